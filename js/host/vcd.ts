/**
 * Value Change Dump (IEEE 1364 §18) of a trace, for GTKWave or Surfer: one
 * wire per GPIO pin that changed, one per IRQ line whose handler ran (1
 * while it is active), the byte last sent/received on each USART used, and
 * the running task's id. Time is in picoseconds, from the core clock the
 * trace records (clock events), so a clock switch keeps the times right.
 */
import type { TraceEvent } from "./trace.js";
import { pinName } from "./peripherals.js";

export interface VcdOptions {
  /** The core clock before the trace's first clock event. */
  sysclkHz: number;
  taskNames?: Map<number, string>;
}

/** Names of the IRQ lines of the modeled peripherals (RM0090 table 61). */
export const IRQ_NAMES: Record<number, string> = {
  6: "EXTI0", 7: "EXTI1", 8: "EXTI2", 9: "EXTI3", 10: "EXTI4", 23: "EXTI9_5", 28: "TIM2", 29: "TIM3",
  30: "TIM4", 37: "USART1", 38: "USART2", 40: "EXTI15_10", 50: "TIM5", 71: "USART6",
};

function identifier(n: number): string {
  // Printable ASCII 33..126, little-endian base 94.
  let s = "";
  do {
    s += String.fromCharCode(33 + (n % 94));
    n = Math.floor(n / 94);
  } while (n > 0);
  return s;
}

interface Signal {
  id: string;
  scope: string;
  name: string;
  width: number;
  initial: string;
}

function bits(value: number, width: number): string {
  return "b" + (value >>> 0).toString(2).padStart(1, "0").slice(-width);
}

export function toVcd(events: TraceEvent[], options: VcdOptions): string {
  const ordered = events.map((e, i) => ({ e, i })).sort((x, y) => (x.e.cycle < y.e.cycle ? -1 : x.e.cycle > y.e.cycle ? 1 : x.i - y.i)).map((x) => x.e);
  const signals = new Map<string, Signal>();
  let next = 0;
  const signal = (key: string, scope: string, name: string, width: number, initial: string): Signal => {
    let s = signals.get(key);
    if (!s) {
      s = { id: identifier(next++), scope, name, width, initial };
      signals.set(key, s);
    }
    return s;
  };
  // Declare in a stable order: pins, IRQs, USARTs, then the task.
  for (const e of ordered) {
    if (e.kind === "gpio") signal(`pin${e.a}`, "gpio", pinName(e.a), 1, e.b ? "0" : "1");
  }
  for (const e of ordered) {
    if ((e.kind === "isr_enter" || e.kind === "irq_raise") && e.a >= 16) {
      const irq = e.a - 16;
      signal(`irq${irq}`, "irq", IRQ_NAMES[irq] ? `${IRQ_NAMES[irq]}` : `IRQ${irq}`, 1, "0");
    }
  }
  for (const e of ordered) {
    if (e.kind === "uart_tx") signal(`tx${e.a}`, "uart", `USART${e.a}_TX`, 8, "bx");
    if (e.kind === "uart_rx") signal(`rx${e.a}`, "uart", `USART${e.a}_RX`, 8, "bx");
  }
  const task = signal("task", "", "task", 8, "bx");

  let hz = BigInt(Math.round(options.sysclkHz));
  const firstClock = ordered.find((e) => e.kind === "clock");
  if (firstClock && firstClock.a > 0) hz = BigInt(firstClock.a);
  let segCycle = 0n;
  let segPs = 0n;
  const PS = 1_000_000_000_000n;
  const psOf = (cycle: bigint) => segPs + ((cycle - segCycle) * PS) / hz;

  const out: string[] = [];
  out.push("$comment HopRT trace: GPIO pins, IRQ handlers (1 = active), USART bytes, running task $end");
  out.push("$timescale 1ps $end");
  out.push("$scope module hoprt $end");
  const scopes = ["gpio", "irq", "uart"];
  for (const scope of scopes) {
    const inScope = [...signals.values()].filter((s) => s.scope === scope);
    if (inScope.length === 0) continue;
    out.push(`$scope module ${scope} $end`);
    for (const s of inScope) out.push(`$var wire ${s.width} ${s.id} ${s.name} $end`);
    out.push("$upscope $end");
  }
  out.push(`$var wire ${task.width} ${task.id} ${task.name} $end`);
  out.push("$upscope $end");
  out.push("$enddefinitions $end");
  out.push("#0");
  out.push("$dumpvars");
  for (const s of signals.values()) out.push(s.width === 1 ? `${s.initial}${s.id}` : `${s.initial} ${s.id}`);
  out.push("$end");

  const active = new Map<number, number>();
  let lastTime = 0n;
  const change = (cycle: bigint, text: string) => {
    const t = psOf(cycle);
    if (t !== lastTime) {
      out.push(`#${t}`);
      lastTime = t;
    }
    out.push(text);
  };
  for (const e of ordered) {
    switch (e.kind) {
      case "clock": {
        const newHz = BigInt(e.a);
        if (newHz > 0n && newHz !== hz) {
          segPs = psOf(e.cycle);
          segCycle = e.cycle;
          hz = newHz;
        }
        break;
      }
      case "gpio":
        change(e.cycle, `${e.b ? 1 : 0}${signals.get(`pin${e.a}`)!.id}`);
        break;
      case "isr_enter":
      case "isr_exit": {
        if (e.a < 16) break;
        const irq = e.a - 16;
        const depth = (active.get(irq) ?? 0) + (e.kind === "isr_enter" ? 1 : -1);
        active.set(irq, Math.max(0, depth));
        change(e.cycle, `${depth > 0 ? 1 : 0}${signals.get(`irq${irq}`)!.id}`);
        break;
      }
      case "uart_tx":
        change(e.cycle, `${bits(e.b, 8)} ${signals.get(`tx${e.a}`)!.id}`);
        break;
      case "uart_rx":
        change(e.cycle, `${bits(e.b, 8)} ${signals.get(`rx${e.a}`)!.id}`);
        break;
      case "task_switch_in":
        change(e.cycle, `${bits(e.context, 8)} ${task.id}`);
        break;
    }
  }
  return out.join("\n") + "\n";
}
