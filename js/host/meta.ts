/**
 * The firmware's metadata: the `hoprt.meta` custom section the build writes
 * (JSON). The firmware is untrusted input: a missing, malformed or
 * ill-typed section reads as null, never as made-up values.
 */
export const META_SECTION = "hoprt.meta";

export interface FirmwareBounds {
  /** Longest run of modelled cycles between two check points in instrumented code (null: unbounded). */
  checkpointGapCycles: number | null;
  checkpointGapFunction: string;
  /** Longest uninterruptible run in atomic code (allocator, collector, memcpy); null: unbounded. */
  atomicStretchCycles: number | null;
  atomicStretchFunction: string;
  /**
   * When the atomic stretch is unbounded: every atomic function holding a loop whose trip
   * count the build cannot bound (each must be bounded for the stretch to be). Absent from
   * firmware built before it was added.
   */
  atomicUnboundedLoops?: string[];
  /**
   * Longest uninterruptible run of one allocation or free of the kernel's heap, no collection
   * (heapAlloc / heapFree: a spawn, a stacklet, a task's end); null: unbounded, or the firmware
   * has neither. Absent from firmware built before it was added.
   */
  heapStretchCycles?: number | null;
}

export interface FirmwareMeta {
  bounds: FirmwareBounds;
}

/** The most function names the host takes from the list (the firmware is untrusted). */
const MAX_LISTED = 1000;

const cycles = (v: unknown) => v === null || (typeof v === "number" && Number.isInteger(v) && v >= 0);

export function readMeta(module: WebAssembly.Module): FirmwareMeta | null {
  const sections = WebAssembly.Module.customSections(module, META_SECTION);
  if (sections.length !== 1) return null;
  let parsed: any;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(sections[0]));
  } catch {
    return null;
  }
  const bounds = parsed?.bounds;
  if (typeof bounds !== "object" || bounds === null) return null;
  if (!cycles(bounds.checkpointGapCycles) || !cycles(bounds.atomicStretchCycles)) return null;
  if (typeof bounds.checkpointGapFunction !== "string" || typeof bounds.atomicStretchFunction !== "string") return null;
  const loops = bounds.atomicUnboundedLoops;
  if (loops !== undefined && !(Array.isArray(loops) && loops.length <= MAX_LISTED && loops.every((n: unknown) => typeof n === "string"))) return null;
  const heap = bounds.heapStretchCycles;
  if (heap !== undefined && !cycles(heap)) return null;
  return {
    bounds: {
      checkpointGapCycles: bounds.checkpointGapCycles,
      checkpointGapFunction: bounds.checkpointGapFunction,
      atomicStretchCycles: bounds.atomicStretchCycles,
      atomicStretchFunction: bounds.atomicStretchFunction,
      ...(loops !== undefined ? { atomicUnboundedLoops: [...loops] } : {}),
      ...(heap !== undefined ? { heapStretchCycles: heap } : {}),
    },
  };
}
