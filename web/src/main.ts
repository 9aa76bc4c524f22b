/**
 * The playground page: an editor, the compiler and the machine each in a
 * worker, and live views of what the machine does. The page only draws:
 * every build and every cycle runs off its thread.
 */
import { EditorView, basicSetup } from "codemirror";
import { javascript } from "@codemirror/lang-javascript";
import { StateEffect, StateField } from "@codemirror/state";
import { Decoration, type DecorationSet } from "@codemirror/view";
import { examples } from "virtual:hoprt-examples";
import { Timeline } from "./timeline.js";
import { decodeShare, encodeShare } from "./share.js";
import type { CompilerReply, CompilerRequest, Diagnostic, Frame, Input, MachineReply, MachineRequest, TaskBar } from "./protocol.js";

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

// ---- the editor, with compile errors marked at their lines ----
const setErrors = StateEffect.define<Diagnostic[]>();
const errorField = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(value, tr) {
    value = value.map(tr.changes);
    for (const effect of tr.effects) {
      if (!effect.is(setErrors)) continue;
      const ranges = [];
      const doc = tr.state.doc;
      for (const d of effect.value) {
        if (d.line < 1 || d.line > doc.lines) continue;
        const line = doc.line(d.line);
        ranges.push(Decoration.line({ class: "cm-error-line", attributes: { title: d.message } }).range(line.from));
        const from = Math.min(line.to, line.from + Math.max(0, d.column - 1));
        const word = /^[\w$.]+/.exec(doc.sliceString(from, line.to));
        const to = Math.min(line.to, from + Math.max(1, word ? word[0].length : 1));
        if (to > from) ranges.push(Decoration.mark({ class: "cm-error-mark" }).range(from, to));
      }
      value = Decoration.set(ranges, true);
    }
    return value;
  },
  provide: (f) => EditorView.decorations.from(f),
});

const editor = new EditorView({
  doc: examples[0].source,
  extensions: [basicSetup, javascript({ typescript: true }), errorField],
  parent: $("editor"),
});
const sourceText = () => editor.state.doc.toString();
function setSource(text: string): void {
  editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: text }, effects: setErrors.of([]) });
}

const exampleSelect = $<HTMLSelectElement>("example");
for (const e of examples) exampleSelect.add(new Option(e.title, e.name));
exampleSelect.addEventListener("change", () => {
  const e = examples.find((x) => x.name === exampleSelect.value);
  if (e) { setSource(e.source); showDiagnostics([]); }
});

// ---- status ----
function status(text: string, error = false): void {
  const el = $("state");
  el.textContent = text;
  el.className = error ? "error" : "";
}

// ---- the compiler worker ----
const compiler = new Worker(new URL("./compiler-worker.js", import.meta.url), { type: "module" });
let compilerReady = false;
let buildId = 0;
let onBuilt: ((wasm: Uint8Array) => void) | null = null;
let waitingBuild: CompilerRequest | null = null;
/** buildMs: Build pressed -> firmware; compiled: false when the worker had it (an unedited example ships prebuilt). */
const timings = { compilerLoadMs: 0, buildMs: 0, compiled: false };
/** True: every Build compiles, even an unedited example (bench/page.ts measures the compiler so). */
let freshBuilds = false;
/** The firmware of the last build (a copy: the machine worker takes the one it runs). */
let lastFirmware: Uint8Array | null = null;
compiler.onmessage = (event: MessageEvent<CompilerReply>) => {
  const m = event.data;
  if (m.type === "ready") {
    compilerReady = true;
    timings.compilerLoadMs = m.ms;
    // A message sent while the worker's modules were still loading may be lost: builds asked for before wait until now.
    if (waitingBuild) { compiler.postMessage(waitingBuild); waitingBuild = null; }
    else if ($("state").className !== "error") status(`compiler ready (${(m.ms / 1000).toFixed(1)} s to load): press Build`);
    return;
  }
  if (m.id !== buildId) return;
  $<HTMLButtonElement>("build").disabled = false;
  timings.buildMs = m.ms;
  showDiagnostics(m.diagnostics);
  if (!m.ok) {
    status(`build failed (${m.diagnostics.filter((d) => d.severity === "error").length || 1} error(s)) in ${(m.ms / 1000).toFixed(1)} s`, true);
    if (m.diagnostics.length === 0) appendConsole(m.text, "panic");
    return;
  }
  timings.compiled = m.compiled;
  lastFirmware = m.wasm.slice();
  status(`built ${(m.wasm.length / 1024).toFixed(0)} KiB in ${(m.ms / 1000).toFixed(1)} s${m.compiled ? "" : " (the example as shipped)"}`);
  const done = onBuilt;
  onBuilt = null;
  done?.(m.wasm);
};
compiler.onerror = (e) => status(`the compiler worker failed: ${e.message}`, true);

function showDiagnostics(list: Diagnostic[]): void {
  editor.dispatch({ effects: setErrors.of(list) });
  const ul = $("diagnostics");
  ul.replaceChildren();
  for (const d of list) {
    const li = document.createElement("li");
    li.className = d.severity;
    li.textContent = `${d.line ? `line ${d.line}:${d.column} ` : ""}${d.severity} ${d.code}: ${d.message}`;
    li.dataset.line = String(d.line);
    li.addEventListener("click", () => {
      if (d.line < 1 || d.line > editor.state.doc.lines) return;
      const pos = editor.state.doc.line(d.line).from + Math.max(0, d.column - 1);
      editor.dispatch({ selection: { anchor: pos }, scrollIntoView: true });
      editor.focus();
    });
    ul.append(li);
  }
}

function build(then: (wasm: Uint8Array) => void): void {
  $<HTMLButtonElement>("build").disabled = true;
  onBuilt = then;
  const request: CompilerRequest = { type: "build", id: ++buildId, source: sourceText(), fresh: freshBuilds };
  if (compilerReady) {
    status("building in the worker…");
    compiler.postMessage(request);
  } else {
    status("loading the compiler, then building…");
    waitingBuild = request;
  }
}

// ---- the machine worker ----
const machine = new Worker(new URL("./machine-worker.js", import.meta.url), { type: "module" });
const send = (m: MachineRequest) => machine.postMessage(m);
const timeline = new Timeline($<HTMLCanvasElement>("timeline"));
let loaded = false;
let loads = 0;
let running = false;
let inFlight = false;
let runTo: number | null = null;
let cycles = 0;
let sysclkHz = 168_000_000;
let inputs: Input[] = [];
const consoleLines: string[] = [];
const ledLog: Array<{ cycle: number; led: string; level: number }> = [];
let uartText = "";
const rate = { virtualMs: 0, wallMs: 0, frames: 0, events: 0 };

machine.onmessage = (event: MessageEvent<MachineReply>) => {
  const m = event.data;
  if (m.type === "frame") { if (m.advanced) inFlight = false; onFrame(m); }
  else if (m.type === "loaded") { loaded = true; loads++; controls(); }
  else if (m.type === "error") { inFlight = false; running = false; controls(); status(m.message, true); }
  else if (m.type === "export") download(m.format === "perfetto" ? "hoprt-trace.json" : "hoprt.vcd", m.text);
};
machine.onerror = (e) => status(`the machine worker failed: ${e.message}`, true);

function controls(): void {
  $<HTMLButtonElement>("run").disabled = !loaded || running;
  $<HTMLButtonElement>("pause").disabled = !loaded || !running;
  $<HTMLButtonElement>("step").disabled = !loaded || running;
  $<HTMLButtonElement>("reset").disabled = !loaded;
  $<HTMLButtonElement>("perfetto").disabled = !loaded;
  $<HTMLButtonElement>("vcd").disabled = !loaded;
}

/**
 * The console shows the latest lines, at most ten times a second however
 * many arrive: laying out text is the page's most expensive work. A
 * flush adds one block holding its lines (a handful of layout objects
 * however many lines) and drops the oldest blocks beyond the lines shown;
 * the box scrolls from the bottom (CSS column-reverse), so keeping the
 * newest line in view never asks for a layout from script. While the
 * machine runs, a flush shows at most CONSOLE_LIVE new lines (the box shows
 * about ten) and says how many it passed over; once it stops, the box
 * shows the last CONSOLE_SHOWN lines whole. (playground.consoleLines
 * keeps every line.)
 */
const CONSOLE_SHOWN = 200;
const CONSOLE_LIVE = 40;
let consoleSkipped = false;
const consoleBody = $("console-lines");
let consoleFlushed = 0;
let consoleShown = 0;
let pendingConsole: Array<{ text: string; cls: string }> = [];
let pendingDropped = 0;
function appendConsole(text: string, cls = ""): void {
  consoleLines.push(text);
  if (consoleLines.length > 100_000) consoleLines.splice(0, 50_000);
  pendingConsole.push({ text, cls });
  if (pendingConsole.length > 2 * CONSOLE_SHOWN) {
    pendingDropped += pendingConsole.length - CONSOLE_LIVE;
    pendingConsole = pendingConsole.slice(-CONSOLE_LIVE);
  }
}

const consoleClass = (text: string) => (text.startsWith("[fault]") ? "fault" : /^\[(panic|restart)\]/.test(text) ? "panic" : "");

/**
 * The last CONSOLE_SHOWN lines, whole (after a run whose flushes passed
 * over lines): the newest CONSOLE_LIVE at once, the older ones put in
 * front of them a block per animation frame.
 */
let olderConsole: Array<Array<{ text: string; cls: string }>> = [];
function showConsoleTail(): void {
  const tail = consoleLines.slice(-CONSOLE_SHOWN).map((text) => ({ text, cls: consoleClass(text) }));
  olderConsole = [];
  for (let end = tail.length - CONSOLE_LIVE; end > 0; end -= CONSOLE_LIVE) olderConsole.push(tail.slice(Math.max(0, end - CONSOLE_LIVE), end));
  consoleBody.replaceChildren(consoleBlock(tail.slice(-CONSOLE_LIVE)));
  consoleShown = Math.min(tail.length, CONSOLE_LIVE);
}

function consoleBlock(lines: Array<{ text: string; cls: string }>): HTMLElement {
  const block = document.createElement("div");
  let plain = "";
  for (const { text, cls } of lines) {
    if (!cls) { plain += text + "\n"; continue; }
    if (plain) { block.append(plain); plain = ""; }
    const span = document.createElement("span");
    span.className = cls;
    span.textContent = text + "\n";
    block.append(span);
  }
  if (plain) block.append(plain);
  block.dataset.lines = String(lines.length);
  return block;
}

function flushConsole(now: number): void {
  if (!running && consoleSkipped) { consoleSkipped = false; showConsoleTail(); return; }
  const older = olderConsole.shift();
  if (older) { consoleBody.prepend(consoleBlock(older)); consoleShown += older.length; return; }
  if (pendingConsole.length === 0 || now - consoleFlushed < 100) return;
  consoleFlushed = now;
  const lines = pendingConsole.slice(-CONSOLE_LIVE);
  const skipped = pendingDropped + pendingConsole.length - lines.length;
  pendingConsole = [];
  pendingDropped = 0;
  if (skipped > 0) {
    consoleSkipped = true;
    olderConsole = [];
    lines.unshift({ text: `… ${skipped.toLocaleString("en")} more lines (the last ${CONSOLE_SHOWN} shown once paused)`, cls: "skip" });
  }
  consoleBody.append(consoleBlock(lines));
  consoleShown += lines.length;
  for (let first = consoleBody.firstElementChild as HTMLElement | null; first && consoleShown - Number(first.dataset.lines) >= CONSOLE_SHOWN; first = consoleBody.firstElementChild as HTMLElement | null) {
    consoleShown -= Number(first.dataset.lines);
    first.remove();
  }
}

const ms = (c: number) => (c / sysclkHz) * 1000;

/** The longest the page spent on one frame's data and on one drawing (ms). */
const work = { frameMs: 0, drawMs: 0 };

function onFrame(f: Frame): void {
  const t0 = performance.now();
  receive(f);
  work.frameMs = Math.max(work.frameMs, performance.now() - t0);
}

function receive(f: Frame): void {
  // Frames of the machine before a load or reset may still arrive before it: they are dropped with the views.
  if (f.fresh) clearViews();
  const before = cycles;
  cycles = f.cycles;
  sysclkHz = f.sysclkHz;
  rate.virtualMs += ms(cycles - before);
  rate.wallMs += f.runMs;
  rate.frames++;
  rate.events += f.events;
  inputs.push(...f.inputs);
  timeline.add(f);
  for (const line of f.console) appendConsole(line.text, line.text.startsWith("[fault]") ? "fault" : "");
  for (const mk of f.markers) if (mk.kind === "panic" || mk.kind === "restart") appendConsole(`[${mk.kind}] ${f.lanes[mk.lane]?.label ?? "?"} at ${ms(mk.cycle).toFixed(3)} ms: ${mk.text}`, "panic");
  if (f.uart) {
    uartText += f.uart;
    const out = $("uart-out");
    out.textContent = uartText.slice(-4000);
    out.scrollTop = out.scrollHeight;
  }
  f.leds.forEach((level, i) => {
    const led = $(`led-PD${12 + i}`);
    if (led.classList.contains("on") !== (level === 1)) led.classList.toggle("on", level === 1);
  });
  for (let i = 0; i < f.ledChanges.length; i += 3) ledLog.push({ cycle: f.ledChanges[i], led: `PD${12 + f.ledChanges[i + 1]}`, level: f.ledChanges[i + 2] });
  latestTasks = f.tasks;
  if (f.stopped) { running = false; runTo = null; controls(); status(`the machine stopped: ${f.stopped}`, true); }
  if (runTo !== null && cycles >= runTo) { runTo = null; running = false; controls(); status(`ran to ${ms(cycles).toFixed(3)} ms, as shared`); }
}

/**
 * The tasks panel, redrawn at most four times a second from the latest
 * frame: the rows are built when the set of tasks changes, and otherwise
 * only their numbers and bar widths change.
 */
let latestTasks: TaskBar[] | null = null;
let tasksDrawn = 0;
let shownRows = "";
let rowCells: Array<{ cpu: HTMLElement; cpuText: HTMLElement; peak: HTMLElement; used: HTMLElement; stackText: HTMLElement; stacklets: HTMLElement; priority: HTMLElement }> = [];
function tasksView(now: number): void {
  if (latestTasks === null || (running && now - tasksDrawn < 250)) return;
  const tasks = latestTasks;
  latestTasks = null;
  tasksDrawn = now;
  const key = tasks.map((t) => `${t.id}/${t.name}`).join("|");
  if (key !== shownRows) {
    shownRows = key;
    const body = $("tasks").querySelector("tbody")!;
    body.innerHTML = tasks.map((t) => `<tr data-task="${escapeHtml(t.name)}"><td>${escapeHtml(t.name)}</td><td title="priority"></td>` +
      `<td><div class="bar" title="CPU share"><b></b><span></span></div></td>` +
      `<td><div class="bar" title="stack used / peak / first stacklet (bytes)"><b class="peak"></b><b class="used"></b><span></span></div></td>` +
      `<td class="stacklets" title="stacklets held beyond the first region, now / peak (segmented stack: allocated on demand, freed on return)"></td></tr>`).join("");
    rowCells = [...body.rows].map((row) => {
      const [, priority, cpu, stack, stacklets] = row.cells;
      return {
        priority, stacklets,
        cpu: cpu.querySelector("b")!, cpuText: cpu.querySelector("span")!,
        peak: stack.querySelector("b.peak")!, used: stack.querySelector("b.used")!, stackText: stack.querySelector("span")!,
      };
    });
  }
  const set = (el: HTMLElement, text: string) => { if (el.textContent !== text) el.textContent = text; };
  const width = (el: HTMLElement, share: number) => { const w = `${(share * 100).toFixed(1)}%`; if (el.style.width !== w) el.style.width = w; };
  tasks.forEach((t, i) => {
    const cells = rowCells[i];
    const share = cycles > 0 ? t.cycles / cycles : 0;
    const size = Math.max(t.stackBytes, t.stackPeak, 1);
    set(cells.priority, `p${t.priority}`);
    width(cells.cpu, share);
    set(cells.cpuText, `${(share * 100).toFixed(1)}%`);
    width(cells.peak, t.stackPeak / size);
    width(cells.used, t.stackUsed / size);
    set(cells.stackText, `${t.stackUsed} / ${t.stackPeak} B`);
    set(cells.stacklets, `${t.stacklets} / ${t.stackletsPeak}`);
  });
}

let clockShown = -1;
function clockView(): void {
  if (cycles === clockShown) return;
  clockShown = cycles;
  $("clock").textContent = `t = ${ms(cycles).toFixed(3)} ms (cycle ${cycles.toLocaleString("en")})`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
}

function download(name: string, text: string): void {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([text], { type: "application/octet-stream" }));
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

function clearViews(): void {
  timeline.clear();
  consoleBody.replaceChildren();
  consoleShown = 0;
  consoleSkipped = false;
  olderConsole = [];
  pendingConsole = [];
  pendingDropped = 0;
  latestTasks = null;
  consoleLines.length = 0;
  ledLog.length = 0;
  uartText = "";
  $("uart-out").textContent = "";
  cycles = 0;
  inputs = [];
  Object.assign(rate, { virtualMs: 0, wallMs: 0, frames: 0, events: 0 });
}

function load(wasm: Uint8Array, replay: Input[] = [], target: number | null = null): void {
  running = false;
  loaded = false;
  inFlight = false;
  clearViews();
  shownRows = "";
  controls();
  send({ type: "load", wasm, replay });
  runTo = target;
  if (target !== null && target > 0) running = true;
}

// ---- pacing: each animation frame asks the machine for the next piece ----
const speedSelect = $<HTMLSelectElement>("speed");
let lastFrame = performance.now();
let owed = 0; // wall milliseconds not yet turned into cycles
let rafCount = 0;
let textTurn = false;
function animate(now: number): void {
  rafCount++;
  const dt = now - lastFrame;
  lastFrame = now;
  if (running && loaded) {
    const speed = Number(speedSelect.value);
    if (runTo !== null) {
      if (!inFlight) { inFlight = true; send({ type: "advance", until: runTo }); }
    } else if (speed === 0) {
      if (!inFlight) { inFlight = true; send({ type: "advance", wallMs: 30 }); }
    } else {
      // Wall clock x speed; a machine that cannot keep up runs slower instead of piling up debt.
      owed = Math.min(owed + dt, 100);
      const due = Math.floor((owed * speed * sysclkHz) / 1000);
      if (!inFlight && due >= 1) {
        inFlight = true;
        owed -= (due * 1000) / (speed * sysclkHz);
        send({ type: "advance", cycles: due });
      }
    }
  }
  const t0 = performance.now();
  // While running, a frame either draws the timeline or updates the text
  // views, not both: each costs a layout or a canvas upload, and one
  // frame's work stays well under the 50 ms of a long task.
  textTurn = !textTurn;
  if (!running || textTurn) {
    flushConsole(now);
    tasksView(now);
    clockView();
  }
  if (!running || !textTurn) timeline.draw();
  work.drawMs = Math.max(work.drawMs, performance.now() - t0);
  requestAnimationFrame(animate);
}
requestAnimationFrame(animate);

// ---- controls ----
$("build").addEventListener("click", () => build((wasm) => load(wasm)));
$("run").addEventListener("click", () => { running = true; owed = 0; controls(); status("running"); });
$("pause").addEventListener("click", () => { running = false; runTo = null; controls(); status("paused"); });
$("step").addEventListener("click", () => { if (!inFlight) { inFlight = true; send({ type: "advance", cycles: sysclkHz / 1000 }); } });
$("reset").addEventListener("click", () => { running = false; runTo = null; clearViews(); controls(); send({ type: "reset" }); status("reset to cycle 0"); });
$("perfetto").addEventListener("click", () => send({ type: "export", format: "perfetto" }));
$("vcd").addEventListener("click", () => send({ type: "export", format: "vcd" }));
speedSelect.addEventListener("change", () => { owed = 0; });

const button = $("button");
const press = (level: 0 | 1) => {
  if (!loaded) return;
  if (level === 1 && button.classList.contains("down")) return;
  if (level === 0 && !button.classList.contains("down")) return;
  button.classList.toggle("down", level === 1);
  send({ type: "pin", pin: "PA0", level });
};
button.addEventListener("pointerdown", () => press(1));
button.addEventListener("pointerup", () => press(0));
button.addEventListener("pointerleave", () => press(0));

const uartIn = $<HTMLInputElement>("uart-in");
uartIn.addEventListener("keydown", (e) => {
  if (e.key !== "Enter" || !loaded) return;
  send({ type: "uart", uart: 2, text: uartIn.value + "\n" });
  uartIn.value = "";
});

$("share").addEventListener("click", async () => {
  const fragment = await encodeShare({ v: 1, source: sourceText(), cycles: loaded ? cycles : 0, inputs: loaded ? inputs : [] });
  history.replaceState(null, "", "#" + fragment);
  try { await navigator.clipboard.writeText(location.href); status("link copied: it reproduces this source and run"); }
  catch { status("the address bar now holds a link that reproduces this source and run"); }
});

async function openShared(): Promise<void> {
  let shared;
  try { shared = await decodeShare(location.hash); }
  catch (e) { status((e as Error).message, true); return; }
  if (!shared) return;
  setSource(shared.source);
  exampleSelect.value = "";
  const { inputs: replay, cycles: target } = shared;
  build((wasm) => load(wasm, replay, target > 0 ? target : null));
}
void openShared();

/** For tests and the curious: the page's state. */
(window as unknown as { playground: object }).playground = {
  timeline, ledLog, consoleLines, timings, rate, work,
  get cycles() { return cycles; },
  get running() { return running; },
  get loaded() { return loaded; },
  get loads() { return loads; },
  get uart() { return uartText; },
  get rafCount() { return rafCount; },
  get compilerReady() { return compilerReady; },
  get lastFirmware() { return lastFirmware; },
  get freshBuilds() { return freshBuilds; },
  set freshBuilds(on: boolean) { freshBuilds = on; },
  get source() { return sourceText(); },
  setSource,
};
