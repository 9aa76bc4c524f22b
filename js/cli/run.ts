/**
 * `hoprt run`: drive a firmware for a virtual time with the CI conditions
 * (expected and failing console text, panics, a scenario), optional
 * wall-clock pacing and an interactive or piped UART.
 *
 * The run goes in slices (the machine is deterministic however it is
 * sliced): the next scenario step, a 10 ms step while a condition is
 * watched or time is paced, a 1 s step otherwise.
 */
import * as fs from "node:fs";
import { Machine, FirmwareError, TERMINAL_STOPS } from "../host/machine.js";
import { parseDuration } from "../host/units.js";
import { EXIT } from "./exit.js";
import { parseScenario, type Step } from "./scenario.js";
import { formatStats } from "./stats.js";

export interface RunCommandOptions {
  for: string;
  expectText: string[];
  failText: string[];
  allowPanics?: boolean;
  scenario?: string;
  uart?: string;
  rt?: string | true;
  trace?: string;
  vcd?: string;
  ctf?: string;
  stats?: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function quote(s: string): string { return JSON.stringify(s); }

export async function runFirmware(wasm: Uint8Array, opts: RunCommandOptions, outputs: Record<string, number>): Promise<number> {
  // The VCD and CTF exporters take the whole trace; the Perfetto one (--trace) is streamed to its file as
  // the run goes; otherwise the host keeps no events (panics, tasks and stats do not need them).
  // The CLI prints lines as they come: the host keeps only a few.
  const keepingAll = opts.vcd !== undefined || opts.ctf !== undefined;
  const consoleWindow = 1000;
  const machine = Machine.loadSync(wasm, keepingAll ? { traceWindow: Infinity, consoleWindow } : { collectTrace: false, consoleWindow });
  let perfettoText = "";
  const flushPerfetto = () => { if (perfettoText.length > 0) { fs.writeSync(outputs.trace, perfettoText); perfettoText = ""; } };
  const perfetto = outputs.trace === undefined ? undefined : machine.trace.streamPerfetto((chunk) => {
    perfettoText += chunk;
    if (perfettoText.length >= 1 << 16) flushPerfetto();
  });
  const hz = machine.sysclkHz;
  const uartNumber = opts.uart === undefined ? undefined : Number(opts.uart);
  const interactive = uartNumber !== undefined && process.stdin.isTTY === true;
  const total = parseDuration(/^\d+$/.test(opts.for) ? BigInt(opts.for) : opts.for, hz);
  const scenario = opts.scenario ? parseScenario(fs.readFileSync(opts.scenario, "utf8"), opts.scenario, hz) : undefined;
  const late = scenario?.steps.find((s) => s.cycle > total);
  if (late) throw new Error(`${opts.scenario}: step ${late.index} (at ${formatTime(late.cycle, hz)}) is after the end of the run (--for ${opts.for})`);
  const pace = opts.rt === undefined ? (interactive ? 1 : 0) : opts.rt === true ? 1 : Number(opts.rt);

  let verdict: { code: number; message: string } | undefined;
  const decide = (code: number, message: string) => { verdict ??= { code, message }; };

  // Console conditions, checked line by line.
  const expected = new Set(opts.expectText);
  const timedTexts = (scenario?.steps ?? []).filter((s) => s.action.kind === "expect-text");
  const seenTimed = new Set<Step>();
  const consoleOut = uartNumber === undefined ? process.stdout : process.stderr;
  machine.console.on("line", (line) => {
    consoleOut.write(line + "\n");
    for (const text of opts.failText) if (line.includes(text)) decide(EXIT.FAIL_TEXT, `--fail-text ${quote(text)} appeared: ${quote(line)}`);
    for (const text of expected) if (line.includes(text)) expected.delete(text);
    for (const step of timedTexts) if (!seenTimed.has(step) && line.includes((step.action as { text: string }).text)) seenTimed.add(step);
  });

  let interrupted = false;
  const onSignal = () => { interrupted = true; };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  // The UART: raw keys from a terminal, or all of a pipe once the receiver is on.
  let flushUart = () => {};
  let stopInput = () => {};
  let piped: Uint8Array | undefined;
  if (uartNumber !== undefined) {
    const uart = machine.uart(uartNumber);
    let out: number[] = [];
    flushUart = () => { if (out.length) { process.stdout.write(Uint8Array.from(out)); out = []; } };
    uart.on("data", (bytes) => { for (const b of bytes) out.push(b); if (out.length >= 4096) flushUart(); });
    if (interactive) {
      // Raw mode: bytes as typed, no line editing, no local echo (the firmware echoes if it wants to).
      process.stdin.setRawMode(true);
      process.stdin.resume();
      const onData = (data: Buffer) => {
        if (data.includes(0x03)) { interrupted = true; return; } // Ctrl-C
        try { uart.write(new Uint8Array(data)); } catch { /* the machine stopped: the run loop reports it */ }
      };
      process.stdin.on("data", onData);
      stopInput = () => { process.stdin.off("data", onData); process.stdin.setRawMode(false); process.stdin.pause(); };
    } else {
      piped = new Uint8Array(fs.readFileSync(0));
    }
  }

  const faults: string[] = [];
  let stopped: string | undefined;
  let start = 0n;
  const wallStart = Date.now();
  try {
    machine.boot();
    start = machine.cycles;
    const end = start + total;
    const steps = scenario?.steps ?? [];
    let nextStep = 0;
    const watched = opts.expectText.length > 0 || opts.failText.length > 0 || timedTexts.length > 0 || !opts.allowPanics;
    const slice = BigInt(Math.max(1, Math.round(hz * (pace > 0 || watched || interactive ? 0.01 : 1))));
    let panicsSeen = 0;
    while (machine.cycles < end && !verdict && !interrupted) {
      const now = machine.cycles;
      // Type a pipe's bytes once the firmware's receiver is on (its set-up done).
      if (piped && piped.length > 0 && machine.uart(uartNumber!).receiving()) {
        machine.uart(uartNumber!).write(piped);
        piped = undefined;
      }
      let until = now + (piped ? BigInt(Math.max(1, Math.round(hz / 10_000))) : slice);
      if (nextStep < steps.length && start + steps[nextStep].cycle < until) until = start + steps[nextStep].cycle;
      if (until > end) until = end;
      if (until > now) {
        const r = machine.runFor(until - now);
        faults.push(...r.faults);
        if (TERMINAL_STOPS.includes(r.reason)) { stopped = r.reason; break; }
      }
      // Steps that are due.
      while (nextStep < steps.length && start + steps[nextStep].cycle <= machine.cycles) {
        applyStep(machine, steps[nextStep++], decide, seenTimed);
        if (verdict) break;
      }
      if (!opts.allowPanics) {
        const panics = machine.panics();
        if (panics.length > panicsSeen) {
          const p = panics[panicsSeen];
          decide(EXIT.PANIC, `a panic in ${p.where} at cycle ${p.cycle}: ${p.reason}${p.message ? ": " + p.message : ""} (--allow-panics to go on)`);
        }
        panicsSeen = panics.length;
      }
      if (opts.expectText.length > 0 && expected.size === 0 && timedTexts.every((s) => seenTimed.has(s))) break; // every expected text appeared: pass now
      // Time-bounded console expectations whose time has come.
      for (const s of timedTexts) {
        if (!seenTimed.has(s) && start + s.cycle <= machine.cycles) {
          decide(EXIT.EXPECT_FAILED, `scenario step ${s.index}: ${quote((s.action as { text: string }).text)} did not appear by ${formatTime(s.cycle, hz)}`);
        }
      }
      if (pace > 0) {
        const due = wallStart + (Number(machine.cycles - start) / hz) * 1000 / pace;
        const wait = due - Date.now();
        if (wait > 0) await sleep(wait);
      }
      // At a terminal what the firmware sends shows as it is sent (a pipe gets it in big writes).
      if (interactive) { flushUart(); await new Promise((resolve) => setImmediate(resolve)); }
    }
    if (piped && piped.length > 0) process.stderr.write(`hoprt: USART${uartNumber}'s receiver never turned on: stdin was not sent\n`);
    machine.drain();
  } catch (e) {
    if (!(e instanceof FirmwareError) && !/failed while booting/.test((e as Error).message)) throw e;
    stopped = (e as Error).message;
  } finally {
    stopInput();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  flushUart();

  const alive = stopped === undefined || (TERMINAL_STOPS as readonly string[]).includes(stopped);
  if (alive) {
    for (const p of machine.panics()) {
      const nested = p.nested ? " (nested: inside a cleanup handler)" : "";
      const restarted = p.restartedAs !== undefined ? ` (restarted as task ${p.restartedAs})` : "";
      process.stderr.write(`hoprt: panic in ${p.where} at cycle ${p.cycle}: ${p.reason}${p.message ? ": " + p.message : ""}${nested}${restarted}\n`);
    }
  }
  for (const f of faults) process.stderr.write(`hoprt: trap: ${f}\n`);
  if (alive) {
    if (perfetto) { perfetto.end(); flushPerfetto(); }
    if (outputs.vcd !== undefined) fs.writeSync(outputs.vcd, machine.trace.toVcd());
    if (outputs.ctfMetadata !== undefined) {
      const ctf = machine.trace.toCtf();
      fs.writeSync(outputs.ctfMetadata, ctf.metadata);
      fs.writeSync(outputs.ctfStream, ctf.stream);
    }
    if (opts.stats) process.stderr.write(formatStats(machine, machine.cycles - start));
  }

  if (stopped !== undefined) {
    process.stderr.write(`hoprt: the machine stopped: ${stopped}\n`);
    return EXIT.MACHINE_STOPPED;
  }
  if (verdict) {
    process.stderr.write(`hoprt: ${verdict.message}\n`);
    return verdict.code;
  }
  if (interrupted) {
    process.stderr.write(`hoprt: interrupted at ${formatTime(machine.cycles - start, hz)}\n`);
    return EXIT.INTERRUPTED;
  }
  if (expected.size > 0) {
    process.stderr.write(`hoprt: expected text not seen in ${opts.for}: ${[...expected].map(quote).join(", ")}\n`);
    return EXIT.EXPECT_FAILED;
  }
  return EXIT.OK;
}

function formatTime(cycles: bigint, hz: number): string {
  const ms = (Number(cycles) / hz) * 1000;
  return `${Number(ms.toFixed(3))}ms`;
}

function applyStep(machine: Machine, step: Step, decide: (code: number, message: string) => void, seen: Set<Step>): void {
  const a = step.action;
  switch (a.kind) {
    case "set": machine.gpio(a.pin).set(a.level); break;
    case "release": machine.gpio(a.pin).release(); break;
    case "irq": machine.irq.raise(a.line); break;
    case "uart": machine.uart(a.port).write(a.bytes); break;
    case "expect-pin": {
      const level = machine.gpio(a.pin).get();
      if (level !== a.level) decide(EXIT.EXPECT_FAILED, `scenario step ${step.index}: ${a.pin} was ${level} at cycle ${machine.cycles}, expected ${a.level}`);
      break;
    }
    case "expect-text":
      // Checked as lines arrive; its time is a deadline (see the run loop).
      void seen;
      break;
  }
}
