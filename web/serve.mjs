// Serves the playground (web/) on 127.0.0.1: `npm run playground` builds it and runs this.
//   node web/serve.mjs [port]      (default 8080; 0 picks a free one)
import * as http from "node:http";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const WEB = path.dirname(fileURLToPath(import.meta.url));
const TYPES = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
  ".json": "application/json", ".wasm": "application/wasm", ".png": "image/png", ".svg": "image/svg+xml",
};

/** Start serving; resolves to the server and its URL. */
export function serve(port = 8080, host = "127.0.0.1") {
  if (!fs.existsSync(path.join(WEB, "dist", "playground.js"))) {
    throw new Error("web/dist/ is missing: run `npm run build:web` first");
  }
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    let file = path.normalize(path.join(WEB, decodeURIComponent(url.pathname)));
    if (!file.startsWith(WEB)) { res.writeHead(403).end("forbidden"); return; }
    if (url.pathname.endsWith("/")) file = path.join(file, "index.html");
    fs.readFile(file, (err, data) => {
      if (err) { res.writeHead(404, { "content-type": "text/plain" }).end(`not found: ${url.pathname}`); return; }
      res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream", "cache-control": "no-cache" });
      res.end(data);
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const address = server.address();
      resolve({ server, url: `http://${host}:${address.port}/` });
    });
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const port = process.argv[2] !== undefined ? Number(process.argv[2]) : 8080;
  serve(port).then(({ url }) => console.log(`HopRT playground: ${url}`), (e) => {
    console.error(e.code === "EADDRINUSE" ? `port ${port} is in use: try \`node web/serve.mjs 0\` for a free one` : e.message);
    process.exit(1);
  });
}
