/** How the build's report reads on a terminal (no compiler code: a cached build prints it too). */
import type { FirmwareBounds as Bounds } from "../host/meta.js";

/** The bounds as `hoprt build --report` prints them. */
export function formatBounds(bounds: Bounds): string {
  const cycles = (n: number | null) => (n === null ? "unbounded" : `${n} cycles`);
  return [
    `check-point gap:   ${cycles(bounds.checkpointGapCycles)} (in ${bounds.checkpointGapFunction || "-"})`,
    bounds.atomicStretchCycles === null && (bounds.atomicUnboundedLoops?.length ?? 0) > 0
      ? `atomic stretch:    unbounded (loops with no bound in ${bounds.atomicUnboundedLoops!.join(", ")})`
      : `atomic stretch:    ${cycles(bounds.atomicStretchCycles)} (in ${bounds.atomicStretchFunction || "-"})`,
    "",
  ].join("\n");
}
