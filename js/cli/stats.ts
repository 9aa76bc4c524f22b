/** The per-task summary of `hoprt run --stats`. */
import type { Machine } from "../host/machine.js";

export function formatStats(machine: Machine, elapsed: bigint): string {
  const hz = machine.sysclkHz;
  const lines: string[] = [];
  const ms = (Number(elapsed) / hz) * 1000;
  lines.push(`ran ${elapsed} cycles (${ms.toFixed(3)} ms at ${hz / 1e6} MHz)`);
  lines.push("  id  name              prio   cpu%   switches  stack now/peak/size  save peak");
  const total = Number(machine.cycles);
  for (const t of machine.tasks()) {
    const share = total > 0 ? (100 * Number(t.cycles)) / total : 0;
    lines.push(
      `  ${String(t.id).padStart(2)}  ${t.name.padEnd(16).slice(0, 16)}  ${String(t.priority).padStart(4)}  ${share.toFixed(2).padStart(5)}  ${String(t.switches).padStart(9)}  ${(t.stackUsed + "/" + t.stackPeak + "/" + t.stackBytes).padStart(19)}  ${String(t.savePeak).padStart(9)}`,
    );
  }
  // Tasks that ended during the run (their control block is gone; the trace keeps their numbers).
  for (const e of machine.trace.events()) {
    if (e.kind !== "task_delete") continue;
    const name = machine.taskNames.get(e.context) ?? `task ${e.context}`;
    lines.push(`  ${String(e.context).padStart(2)}  ${name.padEnd(16).slice(0, 16)}  ended      stack peak ${e.b}, save peak ${e.c}`);
  }
  const mem = machine.memory();
  lines.push(`heap ${mem.heapUsed} bytes used, peak ${mem.heapPeak}, of ${mem.heapCapacity} (SRAM ${mem.sramBytes})`);
  lines.push(`trace: ${machine.trace.events().length} events, ${machine.trace.overflow} lost`);
  return lines.join("\n") + "\n";
}
