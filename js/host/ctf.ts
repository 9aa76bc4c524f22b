/**
 * A CTF 1.8 trace (Common Trace Format: babeltrace2, Trace Compass) with
 * Zephyr's tracing event names (thread_switched_in, isr_enter,
 * semaphore_give, ...), so tools made for Zephyr's CTF traces read a HopRT
 * run. Two files: `metadata` (TSDL text) and one binary stream. Events with
 * no Zephyr counterpart are kept as `hoprt_event` with their HopRT kind.
 */
import type { TraceEvent } from "./trace.js";

interface CtfOptions { sysclkHz: number; taskNames: Map<number, string> }

type Field = "u32" | "string";
interface EventType { id: number; name: string; fields: Array<[string, Field]> }

/** Zephyr's names for the HopRT kinds that have one; field lists are HopRT's. */
const TYPES: EventType[] = [
  { id: 0x10, name: "thread_switched_out", fields: [["thread_id", "u32"], ["name", "string"]] },
  { id: 0x11, name: "thread_switched_in", fields: [["thread_id", "u32"], ["name", "string"]] },
  { id: 0x12, name: "thread_priority_set", fields: [["thread_id", "u32"], ["name", "string"], ["prio", "u32"]] },
  { id: 0x13, name: "thread_create", fields: [["thread_id", "u32"], ["name", "string"], ["prio", "u32"]] },
  { id: 0x14, name: "thread_abort", fields: [["thread_id", "u32"], ["name", "string"]] },
  { id: 0x17, name: "thread_ready", fields: [["thread_id", "u32"], ["name", "string"]] },
  { id: 0x18, name: "thread_pending", fields: [["thread_id", "u32"], ["name", "string"]] },
  { id: 0x1b, name: "isr_enter", fields: [["exception", "u32"]] },
  { id: 0x1c, name: "isr_exit", fields: [["exception", "u32"]] },
  { id: 0x1e, name: "idle", fields: [] },
  { id: 0x22, name: "semaphore_give", fields: [["id", "u32"], ["count", "u32"]] },
  { id: 0x23, name: "semaphore_take", fields: [["id", "u32"], ["count", "u32"], ["failed", "u32"]] },
  { id: 0x24, name: "mutex_lock", fields: [["id", "u32"], ["ret", "u32"]] },
  { id: 0x25, name: "mutex_unlock", fields: [["id", "u32"], ["ret", "u32"]] },
  { id: 0x40, name: "hoprt_event", fields: [["kind", "string"], ["context", "u32"], ["a", "u32"], ["b", "u32"], ["c", "u32"]] },
];
const BY_NAME = new Map(TYPES.map((t) => [t.name, t]));
const MAGIC = 0xc1fc1fc1;

/** The TSDL metadata for a machine clocked at `sysclkHz`. */
export function ctfMetadata(sysclkHz: number): string {
  const lines = [
    "/* CTF 1.8 */",
    "typealias integer { size = 8; align = 8; signed = false; } := uint8_t;",
    "typealias integer { size = 32; align = 8; signed = false; } := uint32_t;",
    "typealias integer { size = 64; align = 8; signed = false; } := uint64_t;",
    "trace {",
    "  major = 1;",
    "  minor = 8;",
    "  byte_order = le;",
    "  packet.header := struct { uint32_t magic; };",
    "};",
    "env { domain = \"hoprt\"; tracer_name = \"hoprt\"; };",
    `clock { name = cycles; description = "SYSCLK cycles"; freq = ${sysclkHz}; offset = 0; };`,
    "typealias integer { size = 64; align = 8; signed = false; map = clock.cycles.value; } := cycles_t;",
    "stream { event.header := struct { uint8_t id; cycles_t timestamp; }; };",
  ];
  for (const t of TYPES) {
    const fields = t.fields.map(([n, f]) => (f === "u32" ? `uint32_t ${n};` : `string ${n};`)).join(" ");
    lines.push(`event { name = "${t.name}"; id = ${t.id}; fields := struct { ${fields} }; };`);
  }
  return lines.join("\n") + "\n";
}

/** The binary stream for `events`. */
export function ctfStream(events: TraceEvent[], options: CtfOptions): Uint8Array {
  const chunks: number[] = [];
  const u8 = (v: number) => chunks.push(v & 0xff);
  const u32 = (v: number) => { for (let i = 0; i < 4; i++) u8(v >>> (8 * i)); };
  const u64 = (v: bigint) => { for (let i = 0n; i < 64n; i += 8n) u8(Number((v >> i) & 0xffn)); };
  const str = (s: string) => { for (const b of new TextEncoder().encode(s)) u8(b); u8(0); };
  u32(MAGIC);
  const name = (id: number) => options.taskNames.get(id) ?? `task ${id}`;
  for (const e of events) {
    const out = (type: string, values: Array<number | string>) => {
      const t = BY_NAME.get(type)!;
      u8(t.id);
      u64(e.cycle < 0n ? 0n : e.cycle);
      t.fields.forEach(([, f], i) => (f === "u32" ? u32(values[i] as number) : str(values[i] as string)));
    };
    switch (e.kind) {
      case "task_switch_out": out("thread_switched_out", [e.context, name(e.context)]); break;
      case "task_switch_in": out("thread_switched_in", [e.context, name(e.context)]); break;
      case "priority": out("thread_priority_set", [e.context, name(e.context), e.a]); break;
      case "task_create": out("thread_create", [e.context, name(e.context), e.a]); break;
      case "task_exit": out("thread_abort", [e.context, name(e.context)]); break;
      case "task_ready": out("thread_ready", [e.context, name(e.context)]); break;
      case "task_block": case "wait": out("thread_pending", [e.context, name(e.context)]); break;
      case "isr_enter": out("isr_enter", [e.a]); break;
      case "isr_exit": out("isr_exit", [e.a]); break;
      case "idle": out("idle", []); break;
      case "sem_give": out("semaphore_give", [e.a, e.b]); break;
      case "sem_take": out("semaphore_take", [e.a, e.b, e.c]); break;
      case "mutex_lock": out("mutex_lock", [e.a, e.b]); break;
      case "mutex_unlock": out("mutex_unlock", [e.a, e.b]); break;
      default: out("hoprt_event", [e.kind || "unknown", e.context, e.a, e.b, e.c]);
    }
  }
  return Uint8Array.from(chunks);
}

/** Every event name a HopRT CTF trace may contain. */
export const CTF_EVENT_NAMES = TYPES.map((t) => t.name);
