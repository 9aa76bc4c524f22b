/**
 * npm run bench [-- --json]
 *
 * cpuLoop       the same AssemblyScript loop, instrumented inside the machine
 *               and as plain WebAssembly, in one process: modelled MHz and the
 *               ratio of the two speeds (instrumentedOverPlain: wall-clock;
 *               ...Cpu: the process's CPU time, which other processes on a
 *               shared machine disturb less).
 * cpuCrc        bitwise CRC-32 over 4 KiB, 256 times; cpuCount a counting loop: the same
 *               ratios and the kernel's own modelled cycles per byte / per iteration
 *               (the app reads the cycle counter around it: no boot, no idle).
 * Each wall-clock figure is the median of REPEATS runs; *Best is the fastest run;
 * *Cpu the median in CPU time. Every timed run follows an untimed one of the
 * same firmware, so the engine's tiering up is not in the figures.
 * contextSwitch two equal-priority tasks yielding to each other: wall-clock ns
 *               and modelled cycles per switch, as `hoprt run` runs it (no trace
 *               kept: the host reads only the trace kinds it needs, so the
 *               firmware writes no switch records); *Traced: with the host's
 *               default, the trace kept (every switch's records written, read
 *               and decoded); *FreshRun: a new process loads the firmware and
 *               runs it for 1 s in one runFor, as `hoprt run` does, all of it
 *               timed (compiling, boot, the engine's unoptimised first code).
 *               Medians of SWITCH_ROUNDS rounds that take the three in turn.
 * irq           a task pends an IRQ in a loop: wall-clock ns per interrupt
 *               round trip, and the modelled entry cost.
 * semaphore     give to a blocked higher-priority task: modelled cycles until
 *               it runs; an IRQ raised -> the waiting task runs (event -> task).
 * mutex         unlock -> the blocked higher-priority waiter owns it and runs.
 * channel       a round trip: send to a server task, receive its answer.
 * gpioToggle    a task toggles PD12 through GPIOD's ODR in a tight loop:
 *               wall-clock ns per GPIO write through the bus (the trace
 *               event each change leaves included), modelled cycles per loop.
 * uartEcho      examples/uart-echo at 115200 baud: the host types 4000 bytes
 *               into USART2 and collects the echo; bytes per wall-clock second.
 * gc            bench/apps/churn.ts for 100 ms (bench/churn.ts): four allocating
 *               tasks preempting each other, a handler allocating, a priority-0
 *               probe every 600..1199 cycles: the longest uninterruptible
 *               stretch of the allocator or collector (maxPauseCycles), the
 *               build's static bound, probe entry worst / mean, collections,
 *               churn loop iterations (throughput).
 * stackMemory   the 12-task reference workload (bench/apps/stackload.ts) for 2 s,
 *               with its first, shallow processing phases and (deep*) with deep ones,
 *               three ways: static stacks (what each task held at most, frames +
 *               saved state: static stacks sized to their peak), segmented stacks
 *               and the sensors as breathing tasks (the most stack memory
 *               allocated at once: stacklets with metadata, saved-state blocks);
 *               and the cycle overhead of segmented vs static stacks, modelled
 *               (cycles the tasks ran for the same work; over the whole run and
 *               over its second second, the steady state) and wall-clock (20 s of
 *               virtual time, medians of 5 rounds taking both in turn), and of
 *               breathing tasks; unpooled*: segmented stacks without the stacklet
 *               pool (--stacklet-pool 0: each stacklet back to the heap on return);
 *               waitingBytes: what the tasks hold while all of them wait;
 *               floorBytes: that plus the deepest task's deep phase, the least
 *               any stack scheme holds when that task is at its deepest.
 * irqLatency    bench/apps/latency.ts: a priority-5 probe IRQ at pseudo-random
 *               cycles while tasks hammer the kernel (semaphores, a mutex with
 *               inheritance, a channel also fed by a handler, sleeps, spawns,
 *               allocation) with 4, 32 and 256 sleeping tasks, in the soft and
 *               the mask build: worst / p99 / mean entry latency in modelled
 *               cycles, the bound the build reports (entry + exit + check-point gap),
 *               with the heap (+ the larger of the gap and one allocation or free:
 *               what the workload without collections can meet) and with atomic
 *               code (+ the larger of the gap and the longest atomic stretch),
 *               handler operations pended
 *               on held soft-locks, probes merged into a pending one; and
 *               give -> take, ISR -> task, mutex hand-off in both builds.
 * build         `hoprt build` as a user runs it (a new process each time) of the
 *               README's blink app (bench/apps/blink.ts: coldMs, cachedMs) and of
 *               examples/blinky (blinkyColdMs, blinkyCachedMs): cold (an empty build
 *               cache) and cached (the second build of the unchanged app), wall-clock
 *               ms; warmMs: the blink app built again in a process that has built it
 *               once (no cache: a warm compiler, as in the playground's worker or a
 *               test process); *CpuMs: the build process's CPU time (all its threads),
 *               steadier than wall-clock on a busy machine; phase.*Ms: where a cold
 *               build's time goes (HOPRT_PROFILE: wall-clock ms of each phase of one
 *               cold CLI build).
 * pageBuild     the playground in headless Chromium (bench/page.ts; runs `npm run
 *               build:web` first): Build of blinky as shipped (prebuilt), blinky
 *               compiled in the page's worker (cold), an edited blinky (warm), and
 *               the worker's load; the demo run for 2 virtual seconds at full speed
 *               (wall-clock ms, and the longest main-thread task meanwhile).
 */
import * as path from "node:path";
import * as fs from "node:fs";
import * as os from "node:os";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import * as asc from "assemblyscript/asc";
import { build, PACKAGE_ROOT, type KernelLock } from "../js/compiler/build.js";
import { buildLatencyApp, measureLatency } from "./latency.js";
import { buildChurnApp, measureChurn } from "./churn.js";
import { Machine } from "../js/host/machine.js";
import { EXCEPTION_ENTRY, EXCEPTION_EXIT } from "../js/compiler/weights.js";
import { pageBuild } from "./page.js";

const APPS = path.join(PACKAGE_ROOT, "bench", "apps");
const CPU_ITERATIONS = 2000 * 10000;

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Wall-clock timings on a shared machine are noisy: repeat, report the median. */
const REPEATS = 7;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** CPU time of this process (all its threads), in seconds. */
function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/**
 * Wall-clock ns per iteration of a firmware's steady loop whose modelled
 * period is `periodCycles`: REPEATS fresh machines, each booted for 1 ms
 * and then timed over `duration` of virtual time, after one untimed run
 * (the engine compiles the firmware's hot functions once per process).
 * Median and best wall-clock, and the median in CPU time.
 */
function wallPerIteration(wasm: Uint8Array, periodCycles: number, duration: string) {
  const ns: number[] = [];
  const cpuNs: number[] = [];
  for (let repeat = -1; repeat < REPEATS; repeat++) {
    const run = timedRun(wasm, periodCycles, duration, false);
    if (repeat < 0) continue; // the warm-up
    ns.push(run.wall);
    cpuNs.push(run.cpu);
  }
  return { median: median(ns), best: Math.min(...ns), cpu: median(cpuNs) };
}

/** A fresh machine booted for 1 ms, then timed over `duration`: wall-clock and CPU ns per `periodCycles`. */
function timedRun(wasm: Uint8Array, periodCycles: number, duration: string, collectTrace: boolean) {
  const machine = Machine.loadSync(wasm, { collectTrace });
  machine.runFor("1ms");
  const startCycles = machine.cycles;
  const cpuStart = cpuSeconds();
  const start = process.hrtime.bigint();
  machine.runFor(duration);
  const wall = seconds(start);
  const cpu = cpuSeconds() - cpuStart;
  const iterations = Number(machine.cycles - startCycles) / periodCycles;
  return { wall: (wall * 1e9) / iterations, cpu: (cpu * 1e9) / iterations };
}

/**
 * Wall-clock and CPU ns per `periodCycles` of a whole `hoprt run`-like run of the firmware in
 * `file` in a new process (bench/fresh-run.ts): loading, compiling, booting, the engine's
 * baseline code and its optimising compiles included, then `duration` in one runFor.
 */
function freshProcessRun(file: string, periodCycles: number, duration: string) {
  const run = spawnSync(process.execPath, [fileURLToPath(new URL("./fresh-run.js", import.meta.url)), file, duration], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`bench: fresh run failed:\n${run.stderr}`);
  const r = JSON.parse(run.stdout) as { cycles: number; wallNs: number; cpuNs: number };
  return { wall: r.wallNs / (r.cycles / periodCycles), cpu: r.cpuNs / (r.cycles / periodCycles) };
}

let plainExports: Record<string, (...args: number[]) => number> | null = null;

async function plainModule(): Promise<Record<string, (...args: number[]) => number>> {
  if (plainExports) return plainExports;
  let wasm: Uint8Array | null = null;
  const result = await asc.main(
    [path.join(APPS, "plain.ts"), "--outFile", "plain.wasm", "-O3", "--runtime", "stub", "--noAssert"],
    { writeFile: (name: string, contents: Uint8Array) => { if (name.endsWith(".wasm")) wasm = contents; }, stdout: { write: () => true } as any, stderr: { write: (s: any) => { process.stderr.write(s); return true; } } as any } as any,
  );
  if (result.error || !wasm) throw new Error("bench: plain kernels did not compile");
  const instance = new WebAssembly.Instance(new WebAssembly.Module(wasm as Uint8Array<ArrayBuffer>), { env: { abort: () => { throw new Error("abort"); } } });
  plainExports = instance.exports as any;
  return plainExports!;
}

/**
 * A CPU-bound kernel inside the machine against the same AssemblyScript as
 * plain WebAssembly: `app` prints its result, then the cycles its kernel
 * took, when done; `plain()` computes the result. Each repeat times the
 * plain run and then the machine's, both after an untimed run of each.
 */
async function cpuKernel(app: string, plain: () => number, iterations: number) {
  const wasm = (await build({ app: path.join(APPS, app) })).wasm;
  const mhz: number[] = [];
  const ratio: number[] = [];
  const ratioCpu: number[] = [];
  let cycles = 0;
  for (let repeat = -1; repeat < REPEATS; repeat++) {
    const plainCpu = cpuSeconds();
    const plainStart = process.hrtime.bigint();
    const expected = plain() >>> 0;
    const plainSeconds = seconds(plainStart);
    const plainCpuSeconds = cpuSeconds() - plainCpu;
    const machine = Machine.loadSync(wasm, { collectTrace: false });
    machine.runFor(1000); // boot
    const cpuStart = cpuSeconds();
    const start = process.hrtime.bigint();
    while (machine.console.lines.length < 2) machine.runFor("10ms");
    const wall = seconds(start);
    const cpu = cpuSeconds() - cpuStart;
    const [result, kernelCycles] = machine.console.lines.map(Number);
    if (result !== expected) throw new Error(`bench: ${app} computed ${machine.console.lines[0]}, plain wasm ${expected}`);
    if (repeat < 0) continue; // the warm-up: both sides compiled and tiered up
    // The kernel's own cycles: boot and the idle time after it (up to the end of the last 10 ms run) are not its.
    cycles = kernelCycles;
    // Its modelled cycles over the wall time of the whole run (the buffer's set-up and the idle time after: a little less).
    mhz.push(kernelCycles / wall / 1e6);
    ratio.push(plainSeconds / wall);
    ratioCpu.push(plainCpuSeconds / cpu);
  }
  return {
    modeledMHz: median(mhz),
    instrumentedOverPlain: median(ratio),
    instrumentedOverPlainCpu: median(ratioCpu),
    cyclesPerIteration: cycles / iterations,
  };
}

/** CRC-32 bitwise, 256 passes over 4 KiB (keep in step with apps/crc.ts): cycles per byte. */
async function cpuCrc() {
  const plain = await plainModule();
  return cpuKernel("crc.ts", () => plain.runCrc(256, 4096), 256 * 4096);
}

/** The counting loop, 1000 x 20000 iterations (apps/count.ts): cycles per iteration. */
async function cpuCount() {
  const plain = await plainModule();
  return cpuKernel("count.ts", () => plain.runCount(1000, 20000, 1), 1000 * 20000);
}

/** The cpuLoop workload, 2000 x 10000 iterations of apps/loop.ts (apps/cpu.ts): cycles per iteration. */
async function cpuLoop() {
  const plain = await plainModule();
  const rounds = () => {
    let x = 1;
    for (let r = 0; r < 2000; r++) x = plain.run(10000, x) >>> 0;
    return x;
  };
  return cpuKernel("cpu.ts", rounds, CPU_ITERATIONS);
}

/** Rounds of the context-switch measurement (each: a warm run, a traced run, a new process's run). */
const SWITCH_ROUNDS = 11;

async function contextSwitch() {
  const wasm = (await build({ app: path.join(APPS, "switch.ts") })).wasm;
  const machine = Machine.loadSync(wasm);
  machine.runFor("1ms");
  const before = machine.trace.events().filter((e) => e.kind === "task_switch_in");
  const gap = Number(before[before.length - 1].cycle - before[before.length - 2].cycle);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hoprt-bench-switch-"));
  try {
    const file = path.join(dir, "firmware.wasm");
    fs.writeFileSync(file, wasm);
    // The warm-up: this process's engine compiles the firmware's hot functions (optimised) once.
    timedRun(wasm, gap, "100ms", false);
    timedRun(wasm, gap, "20ms", true);
    // The three ways round by round: a shared machine's speed drifts over seconds (by half and
    // more), and measured in turn, every way sees the same drift.
    const warm: Array<{ wall: number; cpu: number }> = [];
    const traced: Array<{ wall: number; cpu: number }> = [];
    const fresh: Array<{ wall: number; cpu: number }> = [];
    for (let round = 0; round < SWITCH_ROUNDS; round++) {
      warm.push(timedRun(wasm, gap, "100ms", false));
      // The host's default (Machine.load keeps the latest 100,000 events): every switch's six records decoded.
      traced.push(timedRun(wasm, gap, "20ms", true));
      fresh.push(freshProcessRun(file, gap, "1s"));
    }
    const of = (runs: Array<{ wall: number; cpu: number }>, key: "wall" | "cpu") => median(runs.map((r) => r[key]));
    return {
      nsWall: of(warm, "wall"), nsWallBest: Math.min(...warm.map((r) => r.wall)), nsCpu: of(warm, "cpu"),
      nsWallTraced: of(traced, "wall"), nsCpuTraced: of(traced, "cpu"),
      nsWallFreshRun: of(fresh, "wall"), nsCpuFreshRun: of(fresh, "cpu"), cycles: gap,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function irq() {
  const wasm = (await build({ app: path.join(APPS, "irq.ts") })).wasm;
  const traced = Machine.loadSync(wasm);
  traced.runFor("1ms");
  const enters = traced.trace.events().filter((e) => e.kind === "isr_enter" && e.a === 16 + 5);
  const entryCycles = enters[enters.length - 1].b;
  const roundTrip = Number(enters[enters.length - 1].cycle - enters[enters.length - 2].cycle);
  const wall = wallPerIteration(wasm, roundTrip, "100ms");
  return { nsWall: wall.median, nsWallBest: wall.best, nsCpu: wall.cpu, entryCycles, roundTripCycles: roundTrip };
}

/**
 * A latency between two marks the app leaves in the trace (debug.mark(1) then
 * debug.mark(2), or from an IRQ raise to mark 2), and the wall-clock time per
 * iteration of the app's loop (the span between two consecutive mark 1s).
 */
async function markLatency(app: string, fromRaise = false, kernelLock: KernelLock = "soft") {
  const wasm = (await build({ app: path.join(APPS, app), kernelLock })).wasm;
  const traced = Machine.loadSync(wasm);
  traced.runFor("2ms");
  const events = traced.trace.events().filter((e) => e.kind === "user_mark" || (fromRaise && e.kind === "irq_raise" && e.a === 16 + 5));
  const starts = events.filter((e) => (fromRaise ? e.kind === "irq_raise" : e.a === 1));
  const ends = events.filter((e) => e.kind === "user_mark" && e.a === 2);
  // The steady state: the last loop period and the last complete pair (an app
  // with no mark 2 measures the period itself: a round trip).
  const marks = events.filter((e) => e.kind === "user_mark" && e.a === 1);
  const period = Number(marks[marks.length - 1].cycle - marks[marks.length - 2].cycle);
  const end = ends[ends.length - 1];
  const latency = end ? Number(end.cycle - [...starts].reverse().find((e) => e.cycle < end.cycle)!.cycle) : period;
  return { cycles: latency, nsWall: wallPerIteration(wasm, period, "50ms").median };
}

async function sync() {
  const sem = await markLatency("sem.ts");
  const isr = await markLatency("isrsem.ts", true);
  const mutex = await markLatency("mutex.ts");
  const channel = await markLatency("channel.ts");
  return {
    semaphore: { giveTakeCycles: sem.cycles, giveTakeNsWall: sem.nsWall, isrToTaskCycles: isr.cycles, isrToTaskNsWall: isr.nsWall },
    mutex: { handoffCycles: mutex.cycles, handoffNsWall: mutex.nsWall },
    channel: { roundTripCycles: channel.cycles, roundTripNsWall: channel.nsWall },
  };
}

async function gpioToggle() {
  const wasm = (await build({ app: path.join(APPS, "gpio.ts") })).wasm;
  const traced = Machine.loadSync(wasm);
  traced.runFor("1ms");
  const changes = traced.trace.events().filter((e) => e.kind === "gpio");
  const loopCycles = Number(changes[changes.length - 1].cycle - changes[changes.length - 2].cycle);
  const wall = wallPerIteration(wasm, loopCycles, "20ms");
  return { nsWall: wall.median, nsWallBest: wall.best, loopCycles };
}

async function uartEcho() {
  const wasm = (await build({ app: path.join(PACKAGE_ROOT, "examples", "uart-echo", "app.ts") })).wasm;
  const BYTES = 4000;
  const input = new Uint8Array(BYTES).map((_, i) => 32 + (i % 95));
  const rates: number[] = [];
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    const machine = Machine.loadSync(wasm, { collectTrace: false });
    machine.runFor("1ms");
    const uart = machine.uart(2);
    let echoed = 0;
    uart.on("data", (bytes) => { echoed += bytes.length; });
    const start = process.hrtime.bigint();
    uart.write(input);
    while (echoed < BYTES) machine.runFor("10ms");
    rates.push(BYTES / seconds(start));
  }
  return { bytesPerSecondWall: median(rates), bytesPerSecondWallBest: Math.max(...rates) };
}

async function gcPauses() {
  const built = await buildChurnApp();
  const r = measureChurn(built.wasm, 168_000 * 100); // 100 ms
  const mean = r.samples.reduce((a, b) => a + b, 0) / Math.max(1, r.samples.length);
  return {
    maxPauseCycles: r.maxPauseCycles,
    // The build's static bound, when it has one (an array visit makes it data-dependent: absent then).
    ...(built.report.bounds.atomicStretchCycles !== null ? { atomicStretchBoundCycles: built.report.bounds.atomicStretchCycles } : {}),
    checkpointGapCycles: built.report.bounds.checkpointGapCycles ?? -1,
    probeWorstCycles: r.worst,
    probeMeanCycles: Math.round(mean * 10) / 10,
    probes: r.samples.length,
    collections: r.collections,
    churnIterations: r.iterations,
    corrupt: r.bad,
  };
}

/** The reference workload in one of its three forms (bench/apps/stackload.ts STACKLOAD_MODE). */
async function stackload(mode: 0 | 1 | 2, stacks: "static" | "segmented", deep: boolean, stackletPool?: number): Promise<Uint8Array> {
  const source = fs.readFileSync(path.join(APPS, "stackload.ts"), "utf8");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hoprt-stackload-"));
  const app = path.join(dir, "stackload.ts");
  fs.writeFileSync(app, `const STACKLOAD_MODE: i32 = ${mode};\nconst STACKLOAD_DEEP: bool = ${deep};\n` + source);
  try {
    return (await build({ app, stacks, stackletPool })).wasm;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The run, in two halves: the second shows the steady state, once hot-split mitigation has settled. */
const STACKLOAD_HALF = "1s";

/** Run a workload; its stack memory and the cycles the tasks used (idle excluded; in the second half too). */
function runStackload(wasm: Uint8Array) {
  const busyOf = (m: Machine) => m.tasks().filter((t) => t.name !== "idle").reduce((sum, t) => sum + Number(t.cycles), 0);
  const m = Machine.loadSync(wasm, { collectTrace: false });
  m.runFor(STACKLOAD_HALF);
  const firstHalf = busyOf(m);
  m.runFor(STACKLOAD_HALF);
  const tasks = m.tasks().filter((t) => t.name !== "idle");
  const busy = busyOf(m);
  return { tasks, busy, secondHalfBusy: busy - firstHalf, mem: m.memory() };
}

/** Virtual time a wall-clock round runs: long enough that the engine's tier-up and the host's loop are noise. */
const STACKLOAD_WALL_RUN = "20s";
const STACKLOAD_WALL_ROUNDS = 5;

/**
 * Wall-clock seconds of STACKLOAD_WALL_RUN of each firmware, medians of rounds that take them in
 * turn (a shared machine's speed drifts), after a round that is not counted (the engine compiles
 * the firmware's hot functions, the host's own code warms up).
 */
function stackloadWalls(wasms: Uint8Array[]): number[] {
  const walls: number[][] = wasms.map(() => []);
  for (let round = 0; round <= STACKLOAD_WALL_ROUNDS; round++) {
    wasms.forEach((wasm, i) => {
      const m = Machine.loadSync(wasm, { collectTrace: false });
      const start = process.hrtime.bigint();
      m.runFor(STACKLOAD_WALL_RUN);
      if (round > 0) walls[i].push(seconds(start));
    });
  }
  return walls.map(median);
}

/** The reference workload both ways (bench/apps/stackload.ts): the first figures as they were, the deep phase's as deep*. */
async function stackMemory() {
  const deep = await stackMemoryOf(true);
  const out: Record<string, number> = await stackMemoryOf(false);
  for (const [key, value] of Object.entries(deep)) out[`deep${key[0].toUpperCase()}${key.slice(1)}`] = value;
  return out;
}

async function stackMemoryOf(deep: boolean) {
  // Static 2 KiB stacks: what each task held at most (frames + saved state) is what a static
  // stack sized to its peak must reserve; a static stack's SRAM is reserved whole.
  const fixedWasm = await stackload(0, "static", deep);
  const fixed = runStackload(fixedWasm);
  const staticSizedToPeak = fixed.tasks.reduce((sum, t) => sum + t.stackPeak, 0);
  // Segmented: the most stack memory allocated at once (stacklets with their metadata, saved
  // state that needed a block), machine-wide.
  const segmentedWasm = await stackload(1, "segmented", deep);
  const segmented = runStackload(segmentedWasm);
  const [staticWall, segmentedWall] = stackloadWalls([fixedWasm, segmentedWasm]);
  const breathing = runStackload(await stackload(2, "segmented", deep));
  // Without the stacklet pool: every stacklet back to the heap when its function returns (Hopter's way).
  const unpooled = runStackload(await stackload(1, "segmented", deep, 0));
  const waiting = fixed.tasks.reduce((sum, t) => sum + t.stackUsed, 0);
  // The least any scheme can hold while the deepest task is at its deepest and the others wait.
  const floor = waiting + Math.max(...fixed.tasks.map((t) => t.stackPeak - t.stackUsed));
  const share = (bytes: number) => Math.round((1000 * bytes) / staticSizedToPeak) / 10;
  const overhead = (busy: number, base: number) => Math.round((1000 * (busy - base)) / base) / 10;
  return {
    tasks: fixed.tasks.length,
    staticReservedBytes: fixed.tasks.reduce((sum, t) => sum + t.stackBytes, 0),
    staticSizedToPeakBytes: staticSizedToPeak,
    segmentedPeakBytes: segmented.mem.stackDynamicPeakBytes,
    segmentedPercentOfStatic: share(segmented.mem.stackDynamicPeakBytes),
    breathingPeakBytes: breathing.mem.stackDynamicPeakBytes,
    breathingPercentOfStatic: share(breathing.mem.stackDynamicPeakBytes),
    // What the tasks hold while every one of them waits (frames + saved state, at the end of the
    // run): no stack scheme goes below it, however little its stacklets cost.
    waitingBytes: waiting,
    waitingPercentOfStatic: share(waiting),
    floorBytes: floor,
    floorPercentOfStatic: share(floor),
    stackletAllocations: segmented.mem.stackletAllocations,
    // The same work (same sensors, same periods) over the same virtual time: the cycles tasks ran.
    staticBusyCycles: fixed.busy,
    segmentedBusyCycles: segmented.busy,
    segmentedOverheadPercentModelled: overhead(segmented.busy, fixed.busy),
    // The second second alone: what a long run pays once hot-split mitigation has settled.
    segmentedOverheadPercentModelledSteady: overhead(segmented.secondHalfBusy, fixed.secondHalfBusy),
    breathingOverheadPercentModelledSteady: overhead(breathing.secondHalfBusy, fixed.secondHalfBusy),
    unpooledPeakBytes: unpooled.mem.stackDynamicPeakBytes,
    unpooledPercentOfStatic: share(unpooled.mem.stackDynamicPeakBytes),
    unpooledOverheadPercentModelledSteady: overhead(unpooled.secondHalfBusy, fixed.secondHalfBusy),
    staticWallSeconds: staticWall,
    segmentedWallSeconds: segmentedWall,
    segmentedOverheadPercentWall: Math.round((1000 * (segmentedWall - staticWall)) / staticWall) / 10,
  };
}

const LATENCY_SAMPLES = 3000;

/**
 * Per build and task count: the kernel's own latency (children do not
 * allocate: what the soft-lock claim is about), then the same workload with
 * allocating children (the collector's atomic stretch included, reported
 * apart because it is not bounded yet).
 */
export async function irqLatency() {
  const out: Record<string, number> = {};
  for (const sleepers of [4, 32, 256]) {
    for (const lock of ["soft", "mask"] as const) {
      for (const allocate of [false, true]) {
        const built = await buildLatencyApp(sleepers, lock, allocate);
        const r = measureLatency(built.wasm, allocate ? LATENCY_SAMPLES / 3 : LATENCY_SAMPLES);
        const key = `${lock}.${sleepers}${allocate ? ".alloc" : ""}`;
        out[`${key}.worst`] = r.worst;
        out[`${key}.p99`] = r.p99;
        out[`${key}.mean`] = r.mean;
        out[`${key}.pended`] = r.pended;
        out[`${key}.merged`] = r.merged;
        if (!allocate) {
          // Entry 12 + exception return 10 (an interrupt arriving as a handler ends) + the check-point gap.
          const { checkpointGapCycles: gap, heapStretchCycles: heap, atomicStretchCycles: atomic } = built.report.bounds;
          out[`${key}.bound`] = EXCEPTION_ENTRY + EXCEPTION_EXIT + (gap ?? NaN);
          // Entry + exit + the larger of the gap and a stretch of code with no check point (-1: unbounded).
          const boundWith = (stretch: number | null | undefined) => (stretch === null || stretch === undefined ? -1
            : EXCEPTION_ENTRY + EXCEPTION_EXIT + Math.max(gap ?? NaN, stretch));
          out[`${key}.heapStretch`] = heap ?? -1; // -1: unbounded
          out[`${key}.boundWithHeap`] = boundWith(heap);
          out[`${key}.atomicStretch`] = atomic ?? -1; // -1: unbounded
          // What the soft build promises: entry + exit + the larger of the gap and the longest atomic stretch.
          out[`${key}.boundWithAtomic`] = boundWith(atomic);
        }
        if (r.panics !== 0) throw new Error(`bench irqLatency: ${r.panics} panics (${key})`);
      }
    }
  }
  for (const lock of ["soft", "mask"] as const) {
    out[`${lock}.giveTakeCycles`] = (await markLatency("sem.ts", false, lock)).cycles;
    out[`${lock}.isrToTaskCycles`] = (await markLatency("isrsem.ts", true, lock)).cycles;
    out[`${lock}.mutexHandoffCycles`] = (await markLatency("mutex.ts", false, lock)).cycles;
  }
  return out;
}

const BUILD_REPEATS = 3;

/** Wall-clock and CPU ms of one `hoprt build` of `app` in a new process, with the given cache directory (and its stderr). */
function cliBuild(app: string, cacheDir: string, out: string, env: Record<string, string> = {}): { ms: number; cpuMs: number; stderr: string } {
  const cpuFile = path.join(path.dirname(out), "cpu.txt");
  fs.rmSync(cpuFile, { force: true });
  const start = process.hrtime.bigint();
  const cpuHook = new URL("./cpu-exit.js", import.meta.url).href;
  const run = spawnSync(process.execPath, ["--import", cpuHook, path.join(PACKAGE_ROOT, "bin", "hoprt.js"), "build", app, "-o", out], {
    env: { ...process.env, HOPRT_CACHE_DIR: cacheDir, HOPRT_PROFILE: "", HOPRT_BENCH_CPU_FILE: cpuFile, ...env },
    encoding: "utf8",
  });
  const ms = seconds(start) * 1000;
  if (run.status !== 0) throw new Error(`bench build: hoprt build failed:\n${run.stderr}`);
  return { ms, cpuMs: Number(fs.readFileSync(cpuFile, "utf8")), stderr: run.stderr };
}

/** The phases a cold build reports under HOPRT_PROFILE (transform.ts, build.ts), as bench keys. */
const PHASES: Array<[string, RegExp]> = [
  ["ascParse", /^hoprt: asc parse (\d+) ms/m], ["ascInitialize", /^hoprt: asc initialize (\d+) ms/m], ["ascCompile", /^hoprt: asc compile (\d+) ms/m],
  ["optimize", /^hoprt: optimize \(costs\) (\d+) ms/m], ["instrument", /^hoprt: instrument (\d+) ms/m], ["bounds", /^hoprt: bounds (\d+) ms/m],
  ["asyncify", /^hoprt: asyncify (\d+) ms/m], ["ascEmit", /^hoprt: asc emit (\d+) ms/m], ["sourceMap", /^hoprt: source map section (\d+) ms/m],
  ["ascTotal", /^hoprt: asc total (\d+) ms/m],
];

/** The CLI's build of the README's blink app and of examples/blinky: cold (empty cache) and cached; a warm in-process build; a cold build's phases. */
async function buildTime() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hoprt-bench-build-"));
  try {
    const out = path.join(dir, "out.wasm");
    const result: Record<string, number> = {};
    const apps: Array<[string, string]> = [["", path.join(APPS, "blink.ts")], ["blinky", path.join(PACKAGE_ROOT, "examples", "blinky", "app.ts")]];
    for (const [prefix, app] of apps) {
      const cold: Array<ReturnType<typeof cliBuild>> = [];
      const cached: Array<ReturnType<typeof cliBuild>> = [];
      for (let repeat = 0; repeat < BUILD_REPEATS; repeat++) {
        const cache = path.join(dir, `cache-${prefix}${repeat}`);
        cold.push(cliBuild(app, cache, out));
        const hit = cliBuild(app, cache, out);
        if (!hit.stderr.includes("cached")) throw new Error(`bench build: the second build of ${app} was not a cache hit:\n${hit.stderr}`);
        cached.push(hit);
      }
      const key = (name: string) => (prefix ? prefix + name[0].toUpperCase() + name.slice(1) : name);
      result[key("coldMs")] = median(cold.map((r) => r.ms));
      result[key("coldBestMs")] = Math.min(...cold.map((r) => r.ms));
      result[key("coldCpuMs")] = median(cold.map((r) => r.cpuMs));
      result[key("cachedMs")] = median(cached.map((r) => r.ms));
      result[key("cachedBestMs")] = Math.min(...cached.map((r) => r.ms));
      result[key("cachedCpuMs")] = median(cached.map((r) => r.cpuMs));
    }
    const profiled = cliBuild(path.join(APPS, "blink.ts"), path.join(dir, "cache-profiled"), out, { HOPRT_PROFILE: "1" }).stderr;
    for (const [name, pattern] of PHASES) {
      const m = pattern.exec(profiled);
      if (!m) throw new Error(`bench build: a profiled build reported no ${name} phase:\n${profiled}`);
      result[`phase.${name}Ms`] = Number(m[1]);
    }
    await build({ app: path.join(APPS, "blink.ts") });
    const warm: number[] = [];
    const warmCpu: number[] = [];
    for (let repeat = 0; repeat < BUILD_REPEATS; repeat++) {
      const start = process.hrtime.bigint();
      const cpu = process.cpuUsage();
      await build({ app: path.join(APPS, "blink.ts") });
      const used = process.cpuUsage(cpu);
      warm.push(seconds(start) * 1000);
      warmCpu.push((used.user + used.system) / 1000);
    }
    result.warmMs = median(warm);
    result.warmCpuMs = median(warmCpu);
    return result;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const json = process.argv.includes("--json");
  // --only cpuCrc,contextSwitch runs just those groups.
  const onlyAt = process.argv.indexOf("--only");
  const only = onlyAt > 0 ? new Set(process.argv[onlyAt + 1].split(",")) : null;
  const groups: Array<[string, () => Promise<Record<string, any>>]> = [
    ["cpuLoop", cpuLoop], ["cpuCrc", cpuCrc], ["cpuCount", cpuCount], ["contextSwitch", contextSwitch], ["irq", irq],
    ["sync", sync], ["gpioToggle", gpioToggle], ["uartEcho", uartEcho],
    ["gc", gcPauses], ["stackMemory", stackMemory], ["irqLatency", irqLatency], ["build", buildTime],
    ["pageBuild", () => pageBuild(PACKAGE_ROOT, BUILD_REPEATS)],
  ];
  const flat: Record<string, number> = {};
  if (!only) {
    // Every group in a process of its own: each starts from a fresh engine, and none inherits
    // what the groups before it left in binaryen.js's process-wide state (after some dozens of
    // in-process builds its thread pool has aborted a build: "doWorkers.size() == num").
    for (const [name] of groups) {
      const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--json", "--only", name], {
        encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 24,
      });
      const line = child.stdout.split("\n").reverse().find((l) => l.startsWith("{"));
      if (child.status !== 0 || !line) throw new Error(`bench: group ${name} failed (exit ${child.status})`);
      Object.assign(flat, JSON.parse(line));
    }
  } else {
    const results: Record<string, Record<string, number>> = {};
    for (const [name, run] of groups) {
      if (!only.has(name)) continue;
      const r = await run();
      if (name === "sync") Object.assign(results, r);
      else results[name] = r;
    }
    for (const [group, values] of Object.entries(results)) {
      for (const [key, value] of Object.entries(values)) flat[`${group}.${key}`] = Number(value.toFixed(3));
    }
  }
  if (json) {
    process.stdout.write(JSON.stringify(flat) + "\n");
    return;
  }
  const width = Math.max(...Object.keys(flat).map((k) => k.length));
  for (const [k, v] of Object.entries(flat)) process.stdout.write(`${k.padEnd(width)}  ${v}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().catch((e) => { process.stderr.write(String(e?.stack ?? e) + "\n"); process.exitCode = 1; });
}
