/**
 * The hoprt command: build an application, run a firmware.
 *
 *   hoprt build <app.ts> [-o out.wasm]
 *   hoprt run <app.ts|app.wasm> [--for <time>] [--trace <file.json>] [--stats]
 *
 * `run` prints exactly the application's console lines on stdout; the
 * summary (--stats), panics and errors go to stderr. Exit status 0 when the
 * run ends normally, 1 on bad input or a fatal fault.
 */
import { Command, CommanderError } from "commander";
import * as fs from "node:fs";
import * as path from "node:path";
import { build, BuildError } from "../compiler/build.js";
import { Machine } from "../host/machine.js";
import { formatStats } from "./stats.js";

async function loadFirmware(file: string): Promise<Uint8Array> {
  if (!fs.existsSync(file)) throw new Error(`no such file: ${file}`);
  if (file.endsWith(".ts")) return (await build({ app: file })).wasm;
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
    .action(async (app: string, opts: { out?: string }) => {
      const result = await build({ app });
      const out = opts.out ?? path.join("build", path.basename(app, ".ts") + ".wasm");
      fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
      fs.writeFileSync(out, result.wasm);
      process.stderr.write(`hoprt: wrote ${out} (${result.wasm.length} bytes)\n`);
    });

  program
    .command("run")
    .argument("<firmware>", "an application .ts (built first) or a firmware .wasm")
    .option("--for <time>", "virtual time to run: cycles, or 10ms, 2s, 500us", "1s")
    .option("--trace <file>", "write a Chrome/Perfetto trace (JSON)")
    .option("--stats", "print a per-task summary to stderr")
    .action(async (file: string, opts: { for: string; trace?: string; stats?: boolean }) => {
      const machine = Machine.loadSync(await loadFirmware(file));
      machine.console.on("line", (line) => process.stdout.write(line + "\n"));
      const start = machine.cycles;
      const result = machine.runFor(/^\d+$/.test(opts.for) ? BigInt(opts.for) : opts.for);
      for (const p of machine.panics()) {
        process.stderr.write(`hoprt: panic in ${p.where} at cycle ${p.cycle}: ${p.reason}${p.message ? ": " + p.message : ""}\n`);
      }
      for (const f of result.faults) process.stderr.write(`hoprt: trap: ${f}\n`);
      if (opts.trace) fs.writeFileSync(opts.trace, machine.trace.toPerfetto());
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
