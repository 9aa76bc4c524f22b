// Modules the rollup build (web/rollup.config.mjs) generates at bundle time.
declare module "virtual:hoprt-assembly" {
  /** The package's assembly/ sources, by path relative to assembly/ ("kernel/boot.ts"). */
  export const files: Record<string, string>;
}
declare module "virtual:hoprt-examples" {
  /** The playground's examples: name, title, source. */
  export const examples: Array<{ name: string; title: string; source: string }>;
}
declare module "virtual:hoprt-prebuilt" {
  /** The examples' firmware, built with the page (web/rollup.config.mjs): source, file (relative to the worker's script), compiler messages. */
  export const prebuilt: Array<{ source: string; file: string; stderr: string }>;
}
