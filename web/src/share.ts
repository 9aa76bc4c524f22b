/**
 * Share links: the source and the inputs of a run, deflated
 * (CompressionStream "deflate-raw") and base64url-encoded in the URL
 * fragment: #run=<data>.
 */
import type { Input } from "./protocol.js";

export interface Shared {
  v: 1;
  source: string;
  /** Run to this cycle, then pause (0: just load). */
  cycles: number;
  inputs: Input[];
}

async function pipe(bytes: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const out = new Response(new Blob([bytes as BlobPart]).stream().pipeThrough(stream));
  return new Uint8Array(await out.arrayBuffer());
}

function toBase64Url(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array {
  const s = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

export async function encodeShare(shared: Shared): Promise<string> {
  const json = new TextEncoder().encode(JSON.stringify(shared));
  return "run=" + toBase64Url(await pipe(json, new CompressionStream("deflate-raw")));
}

/** The run in a fragment ("#run=..."), null when there is none; throws a clear Error when it is damaged. */
export async function decodeShare(fragment: string): Promise<Shared | null> {
  const m = /(?:^#?|&)run=([A-Za-z0-9_-]+)/.exec(fragment);
  if (!m) return null;
  let shared: Shared;
  try {
    const bytes = await pipe(fromBase64Url(m[1]), new DecompressionStream("deflate-raw"));
    shared = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new Error(`this share link is damaged (${(e as Error).message})`);
  }
  if (shared?.v !== 1 || typeof shared.source !== "string" || !Array.isArray(shared.inputs) || typeof shared.cycles !== "number") {
    throw new Error("this share link is not a HopRT playground run (version 1)");
  }
  return shared;
}
