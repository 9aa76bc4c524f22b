/**
 * Source locations of a firmware's code: the `hoprt.sourcemap` custom
 * section the build writes (docs/abi.md). Its content is a Source Map v3
 * (JSON: version, sources, names, mappings) as Binaryen makes it for a
 * WebAssembly module: one line of mappings whose "column" is a byte offset
 * in the module, the offset a runtime's stack trace gives
 * (`wasm-function[N]:0x1a2b` in V8 and SpiderMonkey). A segment with one
 * field marks code of no known source (the build puts one at the start of
 * every function that has no location of its own there), so a lookup never
 * borrows the location of the function before.
 *
 * The section is untrusted input like the rest of the firmware: anything
 * malformed reads as "no locations", never as made-up ones.
 */
export const SOURCE_MAP_SECTION = "hoprt.sourcemap";

export interface SourceLocation {
  /** As the build named it: relative to the application's folder, or ~lib/... for the package and the standard library. */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

/** One decoded segment: [module offset, source index (-1: none), line (0-based), column (0-based)]. */
export type Segment = [number, number, number, number];

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const DIGIT = new Map([...BASE64].map((c, i) => [c, i]));
/** A longer mappings text is not a firmware's (a whole kernel and app make a few tens of KB). */
const MAX_MAPPINGS = 1 << 24;
const MAX_SOURCES = 1 << 16;

function decodeFields(text: string): number[] | null {
  const out: number[] = [];
  let value = 0, shift = 0;
  for (const ch of text) {
    const d = DIGIT.get(ch);
    if (d === undefined || shift > 30) return null;
    value += (d & 31) * 2 ** shift;
    shift += 5;
    if ((d & 32) === 0) {
      out.push(value % 2 === 1 ? -Math.floor(value / 2) : value / 2);
      value = 0;
      shift = 0;
    }
  }
  return shift === 0 ? out : null;
}

/** The segments of a one-line mappings string, absolute; null when malformed. */
export function decodeMappings(mappings: string, sourceCount: number): Segment[] | null {
  if (mappings.length > MAX_MAPPINGS || mappings.includes(";")) return null;
  const out: Segment[] = [];
  let offset = 0, source = 0, line = 0, column = 0;
  if (mappings.length === 0) return out;
  for (const text of mappings.split(",")) {
    const f = decodeFields(text);
    if (f === null || !(f.length === 1 || f.length === 4 || f.length === 5)) return null;
    offset += f[0];
    if (f.length === 1) { out.push([offset, -1, 0, 0]); continue; }
    source += f[1]; line += f[2]; column += f[3];
    if (offset < 0 || source < 0 || source >= sourceCount || line < 0 || column < 0) return null;
    out.push([offset, source, line, column]);
  }
  for (let i = 1; i < out.length; i++) if (out[i][0] < out[i - 1][0]) return null;
  return out;
}

function encodeField(n: number): string {
  let v = n < 0 ? -n * 2 + 1 : n * 2;
  let s = "";
  do {
    let d = v % 32;
    v = Math.floor(v / 32);
    if (v > 0) d += 32;
    s += BASE64[d];
  } while (v > 0);
  return s;
}

export function encodeMappings(segments: Segment[]): string {
  let offset = 0, source = 0, line = 0, column = 0;
  return segments.map(([o, s, l, c]) => {
    let text = encodeField(o - offset);
    offset = o;
    if (s >= 0) {
      text += encodeField(s - source) + encodeField(l - line) + encodeField(c - column);
      source = s; line = l; column = c;
    }
    return text;
  }).join(",");
}

export class SourceMap {
  private constructor(private readonly sources: string[], private readonly segments: Segment[]) {}

  /** From the section's bytes; null when it is not a valid one. */
  static parse(bytes: ArrayBuffer | Uint8Array): SourceMap | null {
    let parsed: any;
    try {
      parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    } catch {
      return null;
    }
    if (parsed?.version !== 3 || typeof parsed.mappings !== "string" || !Array.isArray(parsed.sources)) return null;
    const sources = parsed.sources as unknown[];
    if (sources.length > MAX_SOURCES || !sources.every((s) => typeof s === "string" && s.length < 4096)) return null;
    const segments = decodeMappings(parsed.mappings, sources.length);
    return segments && new SourceMap(sources as string[], segments);
  }

  /** The source of the code at `offset` (a byte offset in the module), if the build kept one. */
  lookup(offset: number): SourceLocation | undefined {
    const s = this.segments;
    let lo = 0, hi = s.length - 1, found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (s[mid][0] <= offset) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    if (found < 0 || s[found][1] < 0) return undefined;
    const [, source, line, column] = s[found];
    return { file: this.sources[source], line: line + 1, column: column + 1 };
  }
}

/** The firmware's source map, or null if it has none (built without locations) or a malformed one. */
export function readSourceMap(module: WebAssembly.Module): SourceMap | null {
  const sections = WebAssembly.Module.customSections(module, SOURCE_MAP_SECTION);
  return sections.length === 1 ? SourceMap.parse(sections[0]) : null;
}

export function formatLocation(l: SourceLocation): string {
  return `${l.file}:${l.line}:${l.column}`;
}
