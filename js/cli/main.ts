/**
 * The hoprt command: build an application, run a firmware.
 *
 *   hoprt build <app.ts> [-o out.wasm] [--report] [--sram <size>] [--max-tasks <n>] [--tick-hz <hz>] [--kernel-lock soft|mask]
 *               [--stacks segmented|static] [--stacklet-addition <bytes>] [--stacklet-pool <n>] [--no-source-lines]
 *   hoprt run <app.ts|app.wasm> [--for <time>] [--expect-text <s>]... [--fail-text <s>]...
 *             [--allow-panics] [--scenario <file.yaml>] [--uart <1|2|6>] [--rt [factor]]
 *             [--trace <file.json>] [--vcd <file.vcd>] [--stats] [build options]
 *
 * `run` prints exactly the application's console lines on stdout; the
 * summary (--stats), panics, verdicts and errors go to stderr. Exit codes:
 * js/cli/exit.ts (docs/cli.md).
 */
import { Command, CommanderError, Option } from "commander";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import type { BuildOptions } from "../compiler/build.js";
import { UART_NUMBERS } from "../host/peripherals.js";
import { EXIT } from "./exit.js";
import type { RunCommandOptions } from "./run.js";

class UsageError extends Error {}

/**
 * The compiler (AssemblyScript, Binaryen) loads only when something is built: running a .wasm stays small.
 * Builds go through the content-addressed cache (js/compiler/cache.ts).
 */
async function build(options: BuildOptions) {
  return (await import("../compiler/cache.js")).cachedBuild(options);
}

function version(): string {
  try {
    // dist/js/cli/main.js -> the package root
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
    return JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).version;
  } catch {
    return "unknown";
  }
}

/** A size in bytes: 131072, 128K, 128KiB, 1M. */
export function parseSize(what: string, text: string): number {
  const m = /^\s*(\d+)\s*(k|kib|kb|m|mib|mb)?\s*$/i.exec(text);
  if (!m) throw new UsageError(`${what}: "${text}" is not a size (bytes, or with K / M: 128K)`);
  const unit = (m[2] ?? "").toLowerCase();
  const n = Number(m[1]) * (unit.startsWith("k") ? 1024 : unit.startsWith("m") ? 1024 * 1024 : 1);
  if (!Number.isSafeInteger(n)) throw new UsageError(`${what}: "${text}" is too large`);
  return n;
}

function parseWhole(what: string, text: string, min: number, max: number): number {
  if (!/^\s*\d+\s*$/.test(text)) throw new UsageError(`${what}: "${text}" is not a whole number`);
  const n = Number(text);
  if (n < min || n > max) throw new UsageError(`${what}: ${n} is out of range (${min}..${max})`);
  return n;
}

interface BuildFlags { sram?: string; maxTasks?: string; tickHz?: string; kernelLock?: string; stacks?: string; stackletAddition?: string; stackletPool?: string; sourceLines?: boolean }

const KERNEL_LOCKS = ["soft", "mask"] as const;
const STACK_MODES = ["segmented", "static"] as const;

function buildOptions(app: string, flags: BuildFlags): BuildOptions {
  const options: BuildOptions = { app };
  if (flags.sram !== undefined) options.sramBytes = parseSize("--sram", flags.sram);
  if (flags.maxTasks !== undefined) options.maxTasks = parseWhole("--max-tasks", flags.maxTasks, 2, 4096);
  if (flags.tickHz !== undefined) options.tickHz = parseWhole("--tick-hz", flags.tickHz, 1, 0xFFFF_FFFF);
  if (flags.kernelLock !== undefined) {
    const lock = KERNEL_LOCKS.find((k) => k === flags.kernelLock);
    if (!lock) throw new UsageError(`--kernel-lock: "${flags.kernelLock}" is not ${KERNEL_LOCKS.join(" or ")}`);
    options.kernelLock = lock;
  }
  if (flags.stacks !== undefined) {
    const mode = STACK_MODES.find((k) => k === flags.stacks);
    if (!mode) throw new UsageError(`--stacks: "${flags.stacks}" is not ${STACK_MODES.join(" or ")}`);
    options.stacks = mode;
  }
  if (flags.stackletAddition !== undefined) options.stackletAddition = parseWhole("--stacklet-addition", flags.stackletAddition, 0, 4096);
  if (flags.stackletPool !== undefined) options.stackletPool = parseWhole("--stacklet-pool", flags.stackletPool, 0, 16);
  if (flags.sourceLines === false) options.sourceLines = false;
  return options;
}

function addBuildFlags(command: Command): Command {
  return command
    .option("--sram <size>", "SRAM size (bytes, or 128K; a whole number of KiB, at least 32K; default 128K)")
    .option("--max-tasks <n>", "task slots of the kernel, idle and main included (2..4096; default 32)")
    .option("--kernel-lock <kind>", "soft (default: soft-locks, interrupts never masked) or mask (BASEPRI critical sections, the baseline)")
    .option("--stacks <kind>", "segmented (default: stacklets from the heap) or static (2 KiB per task) for tasks that do not say")
    .option("--stacklet-addition <bytes>", "bytes every stacklet gets beyond the frame that asked for it (0..4096; default 64)")
    .option("--stacklet-pool <n>", "stacklets kept machine-wide for reuse after their function returns (0..16; default 1; 0: each freed at once)")
    .option("--tick-hz <hz>", "the kernel's default tick rate (configure() may still set its own); the kernel refuses at boot a rate SysTick cannot make")
    .option("--no-source-lines", "leave out the source locations (a trap's report then names the function only; the code is the same)");
}

async function loadFirmware(file: string, flags: BuildFlags): Promise<Uint8Array> {
  if (!fs.existsSync(file)) throw new UsageError(`no such file: ${file}`);
  if (file.endsWith(".ts")) return (await build(buildOptions(file, flags))).wasm;
  const given = (["sram", "maxTasks", "tickHz", "kernelLock", "stacks", "stackletAddition", "stackletPool"] as const).filter((k) => flags[k] !== undefined);
  if (given.length || flags.sourceLines === false) {
    const names = given.map((k) => "--" + k.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase()));
    if (flags.sourceLines === false) names.push("--no-source-lines");
    throw new UsageError(`${names.join(", ")}: build options, for an app's .ts (${file} is already built)`);
  }
  return new Uint8Array(fs.readFileSync(file));
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command();
  let status: number = EXIT.OK;
  program
    .name("hoprt")
    .description("HopRT: an RTOS and a virtual STM32F4 in WebAssembly")
    .version(version(), "-V, --version", "print the version")
    .exitOverride();
  program.configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });

  addBuildFlags(
    program
      .command("build")
      .argument("<app>", "the application's .ts file (exports main())")
      .option("-o, --out <file>", "output .wasm file (default: build/<app>.wasm)")
      .option("--report", "print the interrupt-latency bounds the build found (modelled cycles)"),
  ).action(async (app: string, opts: BuildFlags & { out?: string; report?: boolean }) => {
    const options = buildOptions(app, opts);
    const result = await build(options);
    const out = opts.out ?? path.join("build", path.basename(app, ".ts") + ".wasm");
    fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
    fs.writeFileSync(out, result.wasm);
    process.stderr.write(`hoprt: wrote ${out} (${result.wasm.length} bytes${result.cached ? ", cached" : ""})\n`);
    if (opts.report) process.stdout.write((await import("../compiler/report.js")).formatBounds(result.report.bounds));
  });

  const collect = (value: string, previous: string[]) => [...previous, value];
  addBuildFlags(
    program
      .command("run")
      .argument("<firmware>", "an application .ts (built first) or a firmware .wasm")
      .option("--for <time>", "virtual time to run: cycles, or 10ms, 2s, 500us", "1s")
      .option("--expect-text <text>", "pass as soon as every such text has appeared on the console; exit 2 if one has not by the end (repeatable)", collect, [])
      .option("--fail-text <text>", "stop and exit 3 as soon as this text appears on the console (repeatable)", collect, [])
      .option("--allow-panics", "do not stop and exit 4 when a context panics")
      .option("--scenario <file>", "a YAML file of timed inputs (pins, IRQs, UART bytes) and expectations (console text, pin levels)")
      .option("--uart <n>", "connect USART n (1, 2 or 6) to the terminal: keys (raw, no echo) or piped stdin go to its RX pin, what it sends to stdout (console lines then go to stderr)")
      .addOption(new Option("--rt [factor]", "pace virtual time to the wall clock (x factor, default 1)"))
      .option("--trace <file>", "write a Chrome/Perfetto trace (JSON)")
      .option("--vcd <file>", "write a VCD of the GPIO pins, IRQ lines, USART bytes and running task (GTKWave, Surfer)")
      .option("--ctf <dir>", "write a CTF trace with Zephyr's event names into this folder (metadata + stream; babeltrace2, Trace Compass)")
      .option("--stats", "print a per-task summary (ended and panicked tasks too) to stderr"),
  ).action(async (file: string, opts: RunCommandOptions & BuildFlags) => {
    if (opts.uart !== undefined && (!/^\d+$/.test(opts.uart) || !UART_NUMBERS.includes(Number(opts.uart)))) {
      throw new UsageError(`--uart: "${opts.uart}" is not a USART of the model (1, 2 or 6)`);
    }
    if (opts.rt !== undefined && opts.rt !== true && !(Number(opts.rt) > 0 && Number.isFinite(Number(opts.rt)))) {
      throw new UsageError(`--rt: "${opts.rt}" is not a speed factor (a number > 0, e.g. 1 or 0.5)`);
    }
    if (opts.scenario !== undefined && !fs.existsSync(opts.scenario)) throw new UsageError(`--scenario: no such file: ${opts.scenario}`);
    // Output files are checked before anything runs: a typo never costs a whole run.
    const outputs: Record<string, number> = {};
    const targets: Array<[string, string, string]> = [];
    if (opts.trace !== undefined) targets.push(["trace", "--trace", opts.trace]);
    if (opts.vcd !== undefined) targets.push(["vcd", "--vcd", opts.vcd]);
    if (opts.ctf !== undefined) {
      try {
        fs.mkdirSync(opts.ctf, { recursive: true });
      } catch (e) {
        throw new UsageError(`--ctf: cannot make the folder ${opts.ctf}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      targets.push(["ctfMetadata", "--ctf", path.join(opts.ctf, "metadata")], ["ctfStream", "--ctf", path.join(opts.ctf, "stream")]);
    }
    for (const [key, flag, target] of targets) {
      try {
        outputs[key] = fs.openSync(target, "w");
      } catch (e) {
        for (const fd of Object.values(outputs)) fs.closeSync(fd);
        throw new UsageError(`${flag}: cannot write ${target}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    }
    try {
      const wasm = await loadFirmware(file, opts);
      // The host and the scenario reader load only to run: a (cached) build stays quick to start.
      status = await (await import("./run.js")).runFirmware(wasm, opts, outputs);
    } finally {
      for (const fd of Object.values(outputs)) fs.closeSync(fd);
    }
  });

  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    const message = (e as Error)?.constructor?.name === "BuildError" ? (e as Error).message : `hoprt: ${(e as Error).message}`;
    process.stderr.write(message + "\n");
    return EXIT.USAGE;
  }
  return status;
}
