/**
 * The compiler in a Web Worker: asc, Binaryen and the HopRT transform, with
 * the package's assembly/ sources embedded as a read-only file system. The
 * application is /app/app.ts; "hoprt" resolves to /hoprt/assembly as in Node.
 */
import { build, BuildError, PACKAGE_ROOT, type BuildFiles } from "../../js/compiler/build.js";
import { files as assembly } from "virtual:hoprt-assembly";
import { prebuilt } from "virtual:hoprt-prebuilt";
import { parseDiagnostics } from "./diagnostics.js";
import type { CompilerReply, CompilerRequest } from "./protocol.js";

const APP = "/app/app.ts";
const ASSEMBLY = PACKAGE_ROOT + "/assembly/";

function filesFor(source: string): BuildFiles {
  return {
    read(file: string): string | null {
      if (file === APP) return source;
      if (file.startsWith(ASSEMBLY)) return assembly[file.slice(ASSEMBLY.length)] ?? null;
      return null;
    },
  };
}

const scope = globalThis as unknown as { postMessage(m: CompilerReply, transfer?: Transferable[]): void; onmessage: ((e: MessageEvent) => void) | null };
let queue: Promise<void> = Promise.resolve();

/** Firmware built in this worker (or fetched prebuilt), by source: building the same source again (Reset, back to an example) is instant. */
const built = new Map<string, { wasm: Uint8Array; stderr: string }>();
const CACHED = 16;

/** An example's firmware as the page shipped it (web/rollup.config.mjs), when `source` is that example unedited. */
async function prebuiltFor(source: string): Promise<{ wasm: Uint8Array; stderr: string } | undefined> {
  const entry = prebuilt.find((p) => p.source === source);
  if (!entry) return undefined;
  const response = await fetch(new URL(entry.file, import.meta.url));
  // Not served (a copied page without it): compile instead.
  if (!response.ok) return undefined;
  return { wasm: new Uint8Array(await response.arrayBuffer()), stderr: entry.stderr };
}

async function handle(request: CompilerRequest): Promise<void> {
  const started = performance.now();
  try {
    let result = request.fresh ? undefined : built.get(request.source) ?? (await prebuiltFor(request.source));
    const compiled = !result;
    if (!result) {
      result = await build({ app: APP, files: filesFor(request.source) });
    }
    built.set(request.source, { wasm: result.wasm.slice(), stderr: result.stderr });
    if (built.size > CACHED) built.delete(built.keys().next().value!);
    const wasm = result.wasm.slice();
    scope.postMessage({ type: "built", id: request.id, ok: true, wasm, ms: performance.now() - started, diagnostics: parseDiagnostics(result.stderr, "app.ts"), compiled }, [wasm.buffer as ArrayBuffer]);
  } catch (e) {
    const text = e instanceof BuildError ? e.message : `the compiler failed: ${(e as Error)?.stack ?? e}`;
    scope.postMessage({ type: "built", id: request.id, ok: false, ms: performance.now() - started, diagnostics: parseDiagnostics(text, "app.ts"), text });
  }
}

scope.onmessage = (event: MessageEvent) => {
  const request = event.data as CompilerRequest;
  if (request.type === "build") queue = queue.then(() => handle(request));
};
scope.postMessage({ type: "ready", ms: performance.now() });
