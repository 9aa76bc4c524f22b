/**
 * `hoprt run --scenario file.yaml`: timed inputs and expectations.
 *
 *   name: button lights the LED          # optional
 *   steps:
 *     - at: 10ms                         # when (virtual time since boot)
 *       press: PA0                       # drive the pin to 1
 *     - at: 30ms
 *       release: PA0                     # stop driving it
 *     - at: 40ms
 *       set: { pin: PA1, level: 0 }      # drive a pin to a level
 *     - at: 50ms
 *       irq: 28                          # raise an IRQ line
 *     - at: 60ms
 *       uart: { port: 2, text: "hi\n" }  # type bytes into a USART (or bytes: [1, 2])
 *     - by: 100ms
 *       expect-text: "LED on"            # this text on the console by then
 *     - at: 120ms
 *       expect-pin: { pin: PD12, level: 1 }  # the pin's level then
 *
 * Every step has exactly one action; `at` (inputs, expect-pin) or `by`
 * (expect-text) is required. A bad file is refused before the run with an
 * error naming the step and field.
 */
import { parse } from "yaml";
import { parseDuration } from "../host/units.js";
import { parsePin, UART_NUMBERS } from "../host/peripherals.js";
import { IRQ_LINES } from "../host/machine.js";

export type Action =
  | { kind: "set"; pin: string; level: 0 | 1 }
  | { kind: "release"; pin: string }
  | { kind: "irq"; line: number }
  | { kind: "uart"; port: number; bytes: Uint8Array }
  | { kind: "expect-text"; text: string }
  | { kind: "expect-pin"; pin: string; level: 0 | 1 };

export interface Step { index: number; cycle: bigint; action: Action }

export interface Scenario { name?: string; steps: Step[] }

const ACTIONS = ["press", "release", "set", "irq", "uart", "expect-text", "expect-pin"];

/** Parse and check a scenario (times in cycles at `sysclkHz`); throws an Error naming what is wrong. */
export function parseScenario(text: string, file: string, sysclkHz: number): Scenario {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new Error(`${file}: not valid YAML: ${(e as Error).message}`);
  }
  if (!doc || typeof doc !== "object" || !Array.isArray((doc as any).steps)) throw new Error(`${file}: a scenario is a map with a "steps" list`);
  const unknownTop = Object.keys(doc as object).filter((k) => k !== "name" && k !== "steps");
  if (unknownTop.length) throw new Error(`${file}: unknown field ${unknownTop.join(", ")} (a scenario has name and steps)`);
  const steps: Step[] = [];
  (doc as any).steps.forEach((raw: unknown, index: number) => {
    const where = `${file}: step ${index + 1}`;
    if (!raw || typeof raw !== "object") throw new Error(`${where}: a step is a map like { at: 10ms, press: PA0 }`);
    const step = raw as Record<string, unknown>;
    const actions = Object.keys(step).filter((k) => ACTIONS.includes(k));
    const extra = Object.keys(step).filter((k) => !ACTIONS.includes(k) && k !== "at" && k !== "by");
    if (extra.length) throw new Error(`${where}: unknown field ${extra.join(", ")} (actions: ${ACTIONS.join(", ")}; times: at, by)`);
    if (actions.length !== 1) throw new Error(`${where}: needs exactly one action (${ACTIONS.join(", ")}), has ${actions.length}`);
    const name = actions[0];
    const timeField = name === "expect-text" ? "by" : "at";
    const other = timeField === "at" ? "by" : "at";
    if (step[other] !== undefined) throw new Error(`${where}: ${name} takes "${timeField}", not "${other}"`);
    const time = step[timeField];
    if (time === undefined) throw new Error(`${where}: ${name} needs "${timeField}" (a time such as 10ms)`);
    const cycle = time === 0 || time === "0" ? 0n : parseDuration(typeof time === "number" ? time : String(time), sysclkHz);
    const value = step[name];
    const pinOf = (v: unknown, what: string): string => {
      if (typeof v !== "string") throw new Error(`${where}: ${what} must be a pin name like PA0`);
      try { parsePin(v); } catch (e) { throw new Error(`${where}: ${(e as Error).message}`); }
      return v;
    };
    const levelOf = (v: unknown): 0 | 1 => {
      if (v === 0 || v === 1) return v;
      if (v === true || v === "high") return 1;
      if (v === false || v === "low") return 0;
      throw new Error(`${where}: level must be 0 or 1, got ${JSON.stringify(v)}`);
    };
    let action: Action;
    switch (name) {
      case "press": action = { kind: "set", pin: pinOf(value, "press"), level: 1 }; break;
      case "release": action = { kind: "release", pin: pinOf(value, "release") }; break;
      case "set": {
        const v = value as Record<string, unknown>;
        if (!v || typeof v !== "object") throw new Error(`${where}: set is { pin: PA0, level: 1 }`);
        action = { kind: "set", pin: pinOf(v.pin, "set.pin"), level: levelOf(v.level) };
        break;
      }
      case "irq": {
        if (!Number.isInteger(value) || (value as number) < 0 || (value as number) >= IRQ_LINES) {
          throw new Error(`${where}: irq must be an IRQ line 0..${IRQ_LINES - 1}, got ${JSON.stringify(value)}`);
        }
        action = { kind: "irq", line: value as number };
        break;
      }
      case "uart": {
        const v = value as Record<string, unknown>;
        if (!v || typeof v !== "object" || !UART_NUMBERS.includes(v.port as number)) throw new Error(`${where}: uart is { port: 1|2|6, text: "..." } or { port, bytes: [...] }`);
        let bytes: Uint8Array;
        if (typeof v.text === "string") bytes = new TextEncoder().encode(v.text);
        else if (Array.isArray(v.bytes) && v.bytes.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) bytes = Uint8Array.from(v.bytes as number[]);
        else throw new Error(`${where}: uart needs text (a string) or bytes (a list of 0..255)`);
        action = { kind: "uart", port: v.port as number, bytes };
        break;
      }
      case "expect-text": {
        if (typeof value !== "string" || value === "") throw new Error(`${where}: expect-text must be a non-empty string`);
        action = { kind: "expect-text", text: value };
        break;
      }
      default: {
        const v = value as Record<string, unknown>;
        if (!v || typeof v !== "object") throw new Error(`${where}: expect-pin is { pin: PD12, level: 1 }`);
        action = { kind: "expect-pin", pin: pinOf(v.pin, "expect-pin.pin"), level: levelOf(v.level) };
      }
    }
    steps.push({ index: index + 1, cycle, action });
  });
  // Stable: steps at the same time keep their order in the file.
  steps.sort((a, b) => (a.cycle < b.cycle ? -1 : a.cycle > b.cycle ? 1 : a.index - b.index));
  const name = (doc as any).name;
  return { name: typeof name === "string" ? name : undefined, steps };
}
