/** The per-task summary of `hoprt run --stats`. */
import type { Machine } from "../host/machine.js";

export function formatStats(machine: Machine, elapsed: bigint): string {
  const hz = machine.sysclkHz;
  const lines: string[] = [];
  const ms = (Number(elapsed) / hz) * 1000;
  lines.push(`ran ${elapsed} cycles (${ms.toFixed(3)} ms at ${hz / 1e6} MHz)`);
  lines.push("  id  name              prio   cpu%   switches  stack now/peak/size  save peak  stacklets  state");
  const total = Number(machine.cycles);
  for (const t of machine.tasks({ ended: true })) {
    const share = total > 0 ? (100 * Number(t.cycles)) / total : 0;
    const prio = t.priority >= 0 ? String(t.priority) : "-";
    lines.push(
      `  ${String(t.id).padStart(2)}  ${t.name.padEnd(16).slice(0, 16)}  ${prio.padStart(4)}  ${share.toFixed(2).padStart(5)}  ${String(t.switches).padStart(9)}  ${(t.stackUsed + "/" + t.stackPeak + "/" + t.stackBytes).padStart(19)}  ${String(t.savePeak).padStart(9)}  ${(t.stacklets + "/" + t.stackletsPeak).padStart(9)}  ${t.ended ?? "alive"}`,
    );
  }
  const mem = machine.memory();
  lines.push(`heap ${mem.heapUsed} bytes used, peak ${mem.heapPeak}, of ${mem.heapCapacity} (SRAM ${mem.sramBytes})`);
  lines.push(`stacklets ${mem.stacklets} live (${mem.stackletBytes} bytes allocated, peak ${mem.stackletPeakBytes}), ${mem.stackletsPooled} of them pooled (${mem.stackletPooledBytes} bytes), ${mem.stackletAllocations} allocated since boot`);
  const panics = machine.panics();
  lines.push(`panics: ${panics.length}`);
  const refused = machine.refusedCalls();
  if (refused.length) lines.push(`kernel calls refused: ${refused.map((r) => `${r.name} x${r.count}`).join(", ")}`);
  const kept = machine.trace.events().length;
  lines.push(`trace: ${kept} events kept, ${machine.trace.overflow} lost; console: ${machine.console.dropped} records dropped`);
  return lines.join("\n") + "\n";
}
