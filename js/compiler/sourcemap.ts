/**
 * Puts the source map asc and Binaryen made for a firmware into the
 * firmware itself, as the `hoprt.sourcemap` custom section
 * (js/host/sourcemap.ts reads it): one file to copy, to run in any host,
 * and the code section untouched (custom sections go after it, so every
 * offset the map gives stays right). The `sourceMappingURL` section the
 * emitter added (naming a file that is not shipped) is dropped.
 */
import { SOURCE_MAP_SECTION, decodeMappings, encodeMappings, type Segment } from "../host/sourcemap.js";

const CODE_SECTION = 10;

function readLeb(bytes: Uint8Array, at: number): [number, number] {
  let value = 0, shift = 0, i = at;
  for (;;) {
    const byte = bytes[i++];
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [value, i];
    shift += 7;
  }
}

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return out;
}

interface Section { id: number; start: number; end: number; name?: string; contentStart: number }

function sections(wasm: Uint8Array): Section[] {
  const out: Section[] = [];
  let i = 8;
  while (i < wasm.length) {
    const id = wasm[i];
    const [size, contentStart] = readLeb(wasm, i + 1);
    const section: Section = { id, start: i, end: contentStart + size, contentStart };
    if (id === 0) {
      const [length, nameStart] = readLeb(wasm, contentStart);
      section.name = new TextDecoder().decode(wasm.subarray(nameStart, nameStart + length));
    }
    out.push(section);
    i = section.end;
  }
  return out;
}

/** Where each function's body starts (after its size), in module offsets. */
function functionStarts(wasm: Uint8Array, code: Section): number[] {
  const starts: number[] = [];
  let [count, i] = readLeb(wasm, code.contentStart);
  while (count-- > 0) {
    const [size, body] = readLeb(wasm, i);
    starts.push(body);
    i = body + size;
  }
  return starts;
}

function customSection(name: string, payload: Uint8Array): Uint8Array {
  const nameBytes = new TextEncoder().encode(name);
  const content = [...leb(nameBytes.length), ...nameBytes];
  const header = [0, ...leb(content.length + payload.length), ...content];
  const out = new Uint8Array(header.length + payload.length);
  out.set(header);
  out.set(payload, header.length);
  return out;
}

/** The firmware with `mapText` (the emitter's source map JSON) as its hoprt.sourcemap section. */
export function embedSourceMap(wasm: Uint8Array, mapText: string): Uint8Array {
  const map = JSON.parse(mapText);
  const sources: string[] = map.sources;
  const segments = decodeMappings(map.mappings, sources.length);
  if (!segments) throw new Error("hoprt build: the compiler's source map is malformed");
  const all = sections(wasm);
  const code = all.find((s) => s.id === CODE_SECTION);
  // Every function starts with "no location" unless the emitter put one right there.
  const marks: Segment[] = code ? functionStarts(wasm, code).map((o) => [o, -1, 0, 0]) : [];
  const at = new Set(segments.map((s) => s[0]));
  const merged = [...segments, ...marks.filter((m) => !at.has(m[0]))].sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const payload = new TextEncoder().encode(JSON.stringify({ version: 3, sources, names: [], mappings: encodeMappings(merged) }));
  const kept = all.filter((s) => !(s.id === 0 && s.name === "sourceMappingURL"));
  const parts = [wasm.subarray(0, 8), ...kept.map((s) => wasm.subarray(s.start, s.end)), customSection(SOURCE_MAP_SECTION, payload)];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let i = 0;
  for (const p of parts) { out.set(p, i); i += p.length; }
  return out;
}
