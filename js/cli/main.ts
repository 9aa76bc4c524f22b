/**
 * The hoprt command: build an application, run a firmware.
 *
 *   hoprt build <app.ts> [-o out.wasm]
 *   hoprt run <app.ts|app.wasm> [--for <time>] [--trace <file.json>] [--stats]
 *             [--vcd <file.vcd>] [--uart <1|2|6>]
 *
 * `run` prints exactly the application's console lines on stdout; the
 * summary (--stats), panics and errors go to stderr. Exit status 0 when the
 * run ends normally, 1 on bad input or a fatal fault.
 */
import { Command, CommanderError } from "commander";
import * as fs from "node:fs";
import * as path from "node:path";
import { BuildError } from "../compiler/errors.js";
import { cachedBuild } from "../compiler/cache.js";
import { formatBounds } from "../compiler/report.js";
import { Machine, type RunResult } from "../host/machine.js";
import { UART_NUMBERS } from "../host/peripherals.js";
import { parseDuration } from "../host/units.js";
import { formatStats } from "./stats.js";

async function loadFirmware(file: string): Promise<Uint8Array> {
  if (!fs.existsSync(file)) throw new Error(`no such file: ${file}`);
  if (file.endsWith(".ts")) return (await cachedBuild({ app: file })).wasm;
  return new Uint8Array(fs.readFileSync(file));
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command();
  let status = 0;
  program.name("hoprt").description("HopRT: an RTOS and a virtual STM32F4 in WebAssembly").exitOverride();
  program.configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program
    .command("build")
    .argument("<app>", "the application's .ts file (exports main())")
    .option("-o, --out <file>", "output .wasm file (default: build/<app>.wasm)")
    .option("--report", "print the interrupt-latency bounds the build found (modelled cycles)")
    .action(async (app: string, opts: { out?: string; report?: boolean }) => {
      const result = await cachedBuild({ app });
      const out = opts.out ?? path.join("build", path.basename(app, ".ts") + ".wasm");
      fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
      fs.writeFileSync(out, result.wasm);
      process.stderr.write(`hoprt: wrote ${out} (${result.wasm.length} bytes${result.cached ? ", cached" : ""})\n`);
      if (opts.report) process.stdout.write(formatBounds(result.report.bounds));
    });

  program
    .command("run")
    .argument("<firmware>", "an application .ts (built first) or a firmware .wasm")
    .option("--for <time>", "virtual time to run: cycles, or 10ms, 2s, 500us", "1s")
    .option("--trace <file>", "write a Chrome/Perfetto trace (JSON)")
    .option("--stats", "print a per-task summary to stderr")
    .option("--vcd <file>", "write a VCD of the GPIO pins, IRQ lines, USART bytes and running task (GTKWave, Surfer)")
    .option("--uart <n>", "connect USART n (1, 2 or 6) to the terminal: stdin goes to its RX pin, what it sends to stdout (console lines then go to stderr)")
    .action(async (file: string, opts: { for: string; trace?: string; stats?: boolean; vcd?: string; uart?: string }) => {
      const uartNumber = opts.uart === undefined ? undefined : Number(opts.uart);
      if (opts.uart !== undefined && (!/^\d+$/.test(opts.uart) || !UART_NUMBERS.includes(uartNumber!))) {
        throw new Error(`--uart: "${opts.uart}" is not a USART of the model (1, 2 or 6)`);
      }
      const machine = Machine.loadSync(await loadFirmware(file));
      const consoleOut = uartNumber === undefined ? process.stdout : process.stderr;
      machine.console.on("line", (line) => consoleOut.write(line + "\n"));
      const start = machine.cycles;
      const total = parseDuration(/^\d+$/.test(opts.for) ? BigInt(opts.for) : opts.for, machine.sysclkHz);
      const results: RunResult[] = [];
      let remaining = total;
      const run = (cycles: bigint) => {
        const r = machine.runFor(cycles);
        results.push(r);
        remaining -= cycles;
        return r.reason !== "lockup" && r.reason !== "fatal";
      };
      if (uartNumber !== undefined) {
        const uart = machine.uart(uartNumber);
        let out: number[] = [];
        const flush = () => { if (out.length) { process.stdout.write(Uint8Array.from(out)); out = []; } };
        uart.on("data", (bytes) => { for (const b of bytes) out.push(b); if (out.length >= 4096) flush(); });
        const input = process.stdin.isTTY ? new Uint8Array() : new Uint8Array(fs.readFileSync(0));
        let going = true;
        if (input.length > 0) {
          // Type stdin once the firmware's receiver is on (its set-up done).
          const step = BigInt(Math.max(1, Math.round(machine.sysclkHz / 10_000)));
          while (going && remaining > 0n && !uart.receiving()) going = run(remaining < step ? remaining : step);
          if (uart.receiving()) uart.write(input);
          else process.stderr.write(`hoprt: USART${uartNumber}'s receiver never turned on: stdin was not sent\n`);
        }
        if (going && remaining > 0n) run(remaining);
        machine.drain();
        flush();
      } else {
        run(remaining);
      }
      const result: RunResult = {
        reason: results.length ? results[results.length - 1].reason : "cycles",
        cycles: machine.cycles,
        faults: results.flatMap((r) => r.faults),
      };
      for (const p of machine.panics()) {
        process.stderr.write(`hoprt: panic in ${p.where} at cycle ${p.cycle}: ${p.reason}${p.message ? ": " + p.message : ""}\n`);
      }
      for (const f of result.faults) process.stderr.write(`hoprt: trap: ${f}\n`);
      if (opts.trace) fs.writeFileSync(opts.trace, machine.trace.toPerfetto());
      if (opts.vcd) fs.writeFileSync(opts.vcd, machine.trace.toVcd());
      if (opts.stats) process.stderr.write(formatStats(machine, result.cycles - start));
      if (result.reason === "lockup" || result.reason === "fatal") {
        process.stderr.write(`hoprt: the machine stopped: ${result.reason}\n`);
        status = 1;
      }
    });

  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 1;
    const message = e instanceof BuildError ? e.message : `hoprt: ${(e as Error).message}`;
    process.stderr.write(message + "\n");
    return 1;
  }
  return status;
}
