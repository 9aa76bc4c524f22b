/** node:url for the browser bundle: only file: URLs map to paths, and there are none in a page. */
export function fileURLToPath(url: string | URL): string {
  const u = new URL(String(url));
  if (u.protocol !== "file:") throw new TypeError(`fileURLToPath: not a file: URL: ${url}`);
  return decodeURIComponent(u.pathname);
}
export function pathToFileURL(p: string): URL {
  return new URL("file://" + encodeURI(p));
}
export default { fileURLToPath, pathToFileURL };
