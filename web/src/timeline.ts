/**
 * The task timeline on a canvas: a lane per task and per exception, the
 * states as coloured segments, switch and wake arrows, panic and restart
 * markers. Wheel zooms around the pointer, dragging pans, double-click
 * follows the present again. Drawing coalesces what falls into one pixel,
 * so a window holding millions of segments draws in a few milliseconds.
 */
import { STATE_BLOCKED, STATE_READY, STATE_RUNNING, STATE_SLEEPING, type Frame, type Lane, type Marker } from "./protocol.js";

const LABEL_WIDTH = 120;
const AXIS_HEIGHT = 20;
const LANE_HEIGHT = 20;
const MAX_SEGMENTS = 1 << 20;
const MAX_ARROWS = 1 << 18;

const COLORS: Record<number, string> = {
  [STATE_READY]: "#e3b341",
  [STATE_RUNNING]: "#2ea043",
  [STATE_BLOCKED]: "#f47067",
  [STATE_SLEEPING]: "#539bf5",
};
const IRQ_COLOR = "#a371f7";
const STATE_NAMES: Record<number, string> = { [STATE_READY]: "ready", [STATE_RUNNING]: "running", [STATE_BLOCKED]: "blocked", [STATE_SLEEPING]: "sleeping" };
/** How tall each state's bar is, as a share of the lane: running stands out. */
const HEIGHTS: Record<number, number> = { [STATE_READY]: 0.35, [STATE_RUNNING]: 0.8, [STATE_BLOCKED]: 0.2, [STATE_SLEEPING]: 0.2 };

class LaneData {
  starts = new Float64Array(1 << 14);
  ends = new Float64Array(1 << 14);
  states = new Uint8Array(1 << 14);
  n = 0;
  openState = 0;
  openSince = 0;
  push(state: number, start: number, end: number): void {
    if (this.n === this.starts.length) {
      if (this.n >= MAX_SEGMENTS) {
        // Keep the newer half: a long run stays within memory.
        const half = this.n >> 1;
        this.starts.copyWithin(0, half); this.ends.copyWithin(0, half); this.states.copyWithin(0, half);
        this.n -= half;
      } else {
        const grow = <T extends Float64Array | Uint8Array>(a: T): T => { const b = new (a.constructor as any)(a.length * 2); b.set(a); return b; };
        this.starts = grow(this.starts); this.ends = grow(this.ends); this.states = grow(this.states);
      }
    }
    this.starts[this.n] = start; this.ends[this.n] = end; this.states[this.n] = state;
    this.n++;
  }
  /** The first segment that ends at or after `cycle`. */
  firstEndingAfter(cycle: number): number {
    let lo = 0, hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.ends[mid] < cycle) lo = mid + 1; else hi = mid;
    }
    return lo;
  }
}

export class Timeline {
  lanes: Lane[] = [];
  data: LaneData[] = [];
  arrows = new Float64Array(4 * 4096);
  arrowCount = 0;
  markers: Marker[] = [];
  now = 0;
  sysclkHz = 168_000_000;
  /** The view: its right edge and its width, in cycles. */
  end = 0;
  span = 168_000_000 / 10;
  follow = true;
  private dirty = true;
  private readonly ctx: CanvasRenderingContext2D;
  /**
   * The canvas's CSS width, kept by a ResizeObserver: reading clientWidth
   * while drawing would make the browser lay out the page from script in
   * every animation frame.
   */
  private width: number;
  private fontSet = false;

  constructor(private readonly canvas: HTMLCanvasElement) {
    this.ctx = canvas.getContext("2d")!;
    this.width = canvas.clientWidth;
    new ResizeObserver((entries) => {
      for (const e of entries) this.width = e.contentRect.width;
      this.dirty = true;
    }).observe(canvas);
    canvas.addEventListener("wheel", (e) => {
      e.preventDefault();
      const { start, plot } = this.geometry();
      const x = Math.max(0, e.offsetX - LABEL_WIDTH);
      const at = start + (x / plot) * this.span;
      const factor = Math.exp(e.deltaY * 0.002);
      this.span = Math.min(Math.max(this.span * factor, 50), this.sysclkHz * 3600);
      // Keep the cycle under the pointer where it is.
      this.end = at + (1 - x / plot) * this.span;
      if (this.end < this.now) this.follow = false;
      this.dirty = true;
    }, { passive: false });
    let drag: { x: number; end: number } | null = null;
    canvas.addEventListener("pointerdown", (e) => { drag = { x: e.clientX, end: this.end }; canvas.setPointerCapture(e.pointerId); });
    canvas.addEventListener("pointermove", (e) => {
      if (!drag) return;
      const { plot } = this.geometry();
      this.end = drag.end - ((e.clientX - drag.x) / plot) * this.span;
      this.follow = false;
      this.dirty = true;
    });
    canvas.addEventListener("pointerup", () => { drag = null; });
    canvas.addEventListener("pointermove", (e) => { if (!drag) this.hover(e.offsetX, e.offsetY); });
    canvas.addEventListener("pointerleave", () => { this.canvas.title = ""; });
    canvas.addEventListener("dblclick", () => { this.follow = true; this.dirty = true; });
  }

  clear(): void {
    this.lanes = [];
    this.data = [];
    this.arrowCount = 0;
    this.markers = [];
    this.now = 0;
    this.end = 0;
    this.follow = true;
    this.dirty = true;
  }

  add(f: Frame): void {
    this.now = f.cycles;
    this.sysclkHz = f.sysclkHz;
    this.lanes = f.lanes;
    while (this.data.length < f.lanes.length) this.data.push(new LaneData());
    const s = f.segments;
    for (let i = 0; i < s.length; i += 4) this.data[s[i]].push(s[i + 1], s[i + 2], s[i + 3]);
    for (const d of this.data) d.openState = 0;
    for (let i = 0; i < f.open.length; i += 3) { this.data[f.open[i]].openState = f.open[i + 1]; this.data[f.open[i]].openSince = f.open[i + 2]; }
    const a = f.arrows;
    if (this.arrowCount * 4 + a.length > this.arrows.length) {
      if (this.arrows.length >= MAX_ARROWS * 4) {
        const keep = Math.max(0, this.arrowCount * 4 - a.length - this.arrows.length / 2) & ~3;
        this.arrows.copyWithin(0, keep, this.arrowCount * 4);
        this.arrowCount -= keep / 4;
      } else {
        const bigger = new Float64Array(Math.max(this.arrows.length * 2, this.arrowCount * 4 + a.length));
        bigger.set(this.arrows.subarray(0, this.arrowCount * 4));
        this.arrows = bigger;
      }
    }
    this.arrows.set(a, this.arrowCount * 4);
    this.arrowCount += a.length / 4;
    this.markers.push(...f.markers);
    if (this.markers.length > 10_000) this.markers.splice(0, this.markers.length - 10_000);
    this.dirty = true;
  }

  private geometry(): { start: number; plot: number } {
    const plot = Math.max(1, this.width - LABEL_WIDTH);
    return { start: this.end - this.span, plot };
  }

  /** Draw if anything changed; returns whether it drew. */
  draw(): boolean {
    if (!this.dirty) return false;
    this.dirty = false;
    const canvas = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const height = AXIS_HEIGHT + Math.max(1, this.lanes.length) * LANE_HEIGHT + 4;
    if (canvas.style.height !== height + "px") canvas.style.height = height + "px";
    const w = Math.round(this.width * dpr), h = Math.round(height * dpr);
    // Setting a font makes the browser resolve the canvas's style, a style
    // pass over the page when its text views just changed: only when resizing
    // the canvas resets the context's state.
    if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; this.fontSet = false; }
    const ctx = this.ctx;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, this.width, height);
    if (this.follow) this.end = Math.max(this.now, this.span * 0.02);
    const { start, plot } = this.geometry();
    const scale = plot / this.span;
    const xOf = (cycle: number) => LABEL_WIDTH + (cycle - start) * scale;

    // Time axis: a tick every 1, 2 or 5 x 10^n of milliseconds.
    const perMs = this.sysclkHz / 1000;
    const target = (this.span / perMs) / 8;
    const pow = Math.pow(10, Math.floor(Math.log10(target)));
    const stepMs = [1, 2, 5, 10].map((k) => k * pow).find((v) => v >= target) ?? pow * 10;
    if (!this.fontSet) { ctx.font = "11px system-ui, sans-serif"; this.fontSet = true; }
    ctx.fillStyle = "#8b949e";
    ctx.strokeStyle = "#30363d";
    ctx.beginPath();
    for (let t = Math.ceil(start / perMs / stepMs) * stepMs; t * perMs <= this.end; t += stepMs) {
      const x = Math.round(xOf(t * perMs)) + 0.5;
      ctx.moveTo(x, AXIS_HEIGHT - 4); ctx.lineTo(x, height);
      const label = stepMs >= 1 ? `${+t.toFixed(3)} ms` : `${+(t * 1000).toFixed(3)} µs`;
      ctx.fillText(label, x + 3, 12);
    }
    ctx.stroke();

    for (let i = 0; i < this.lanes.length; i++) {
      const lane = this.lanes[i], d = this.data[i];
      const y = AXIS_HEIGHT + i * LANE_HEIGHT;
      ctx.fillStyle = i % 2 ? "#161b22" : "#0d1117";
      ctx.fillRect(0, y, this.width, LANE_HEIGHT);
      ctx.fillStyle = lane.kind === "irq" ? "#d2a8ff" : "#c9d1d9";
      ctx.fillText(lane.label, 6, y + 14, LABEL_WIDTH - 10);
      ctx.save();
      ctx.beginPath(); ctx.rect(LABEL_WIDTH, y, plot, LANE_HEIGHT); ctx.clip();
      let lastPx = -1, lastState = -1;
      const paint = (state: number, from: number, to: number) => {
        let x0 = xOf(from), x1 = xOf(to);
        if (x1 < LABEL_WIDTH || x0 > LABEL_WIDTH + plot) return;
        const px = Math.floor(x0);
        // Several segments in one pixel: one paint, running wins.
        if (x1 - x0 < 1 && px === lastPx && (lastState === STATE_RUNNING || state !== STATE_RUNNING)) return;
        lastPx = Math.floor(x1); lastState = state;
        if (x1 - x0 < 1) x1 = x0 + 1;
        const share = HEIGHTS[state] ?? 0.3;
        ctx.fillStyle = lane.kind === "irq" ? IRQ_COLOR : COLORS[state] ?? "#555";
        const bh = LANE_HEIGHT * share;
        ctx.fillRect(x0, y + LANE_HEIGHT - 2 - bh, x1 - x0, bh);
      };
      for (let k = d.firstEndingAfter(start); k < d.n && d.starts[k] <= this.end; k++) paint(d.states[k], d.starts[k], d.ends[k]);
      if (d.openState) paint(d.openState, d.openSince, this.now);
      ctx.restore();
    }

    // Arrows, when few enough to tell apart.
    const arrows = this.arrows;
    let from = 0, to = this.arrowCount;
    { let lo = 0, hi = this.arrowCount; while (lo < hi) { const m = (lo + hi) >> 1; if (arrows[m * 4 + 1] < start) lo = m + 1; else hi = m; } from = lo; }
    { let lo = from, hi = this.arrowCount; while (lo < hi) { const m = (lo + hi) >> 1; if (arrows[m * 4 + 1] <= this.end) lo = m + 1; else hi = m; } to = lo; }
    if (to - from < plot / 3) {
      for (let k = from; k < to; k++) {
        const kind = arrows[k * 4], x = xOf(arrows[k * 4 + 1]) + 0.5;
        const y0 = AXIS_HEIGHT + arrows[k * 4 + 2] * LANE_HEIGHT + LANE_HEIGHT / 2;
        const y1 = AXIS_HEIGHT + arrows[k * 4 + 3] * LANE_HEIGHT + LANE_HEIGHT / 2;
        ctx.strokeStyle = kind === 0 ? "#8b949e" : "#f0883e";
        ctx.fillStyle = ctx.strokeStyle;
        ctx.beginPath(); ctx.moveTo(x, y0); ctx.lineTo(x, y1); ctx.stroke();
        const dir = y1 > y0 ? -1 : 1;
        ctx.beginPath(); ctx.moveTo(x, y1); ctx.lineTo(x - 3, y1 + dir * 5); ctx.lineTo(x + 3, y1 + dir * 5); ctx.fill();
      }
    }
    for (const m of this.markers) {
      if (m.cycle < start || m.cycle > this.end) continue;
      const x = xOf(m.cycle), y = AXIS_HEIGHT + m.lane * LANE_HEIGHT;
      ctx.fillStyle = m.kind === "panic" ? "#ff4d4d" : m.kind === "restart" ? "#56d364" : m.kind === "error" ? "#f0883e" : "#e6edf3";
      ctx.beginPath(); ctx.moveTo(x, y + LANE_HEIGHT - 2); ctx.lineTo(x - 5, y + 2); ctx.lineTo(x + 5, y + 2); ctx.fill();
    }
    return true;
  }

  invalidate(): void { this.dirty = true; }

  /** What is at (x, y): the lane, its state and since when, as the canvas's tooltip. */
  describe(x: number, y: number): string {
    const i = Math.floor((y - AXIS_HEIGHT) / LANE_HEIGHT);
    if (i < 0 || i >= this.lanes.length || x < LABEL_WIDTH) return "";
    const { start, plot } = this.geometry();
    const cycle = start + ((x - LABEL_WIDTH) / plot) * this.span;
    const d = this.data[i];
    const ms = (c: number) => `${((c / this.sysclkHz) * 1000).toFixed(3)} ms`;
    let state = 0, from = 0, to = 0;
    const k = d.firstEndingAfter(cycle);
    if (k < d.n && d.starts[k] <= cycle) { state = d.states[k]; from = d.starts[k]; to = d.ends[k]; }
    else if (d.openState && d.openSince <= cycle && cycle <= this.now) { state = d.openState; from = d.openSince; to = this.now; }
    const lane = this.lanes[i];
    const what = state === 0 ? "-" : lane.kind === "irq" ? "handler running" : STATE_NAMES[state];
    return `${lane.label} at ${ms(cycle)}: ${what}${state ? ` from ${ms(from)} to ${ms(to)} (${Math.round(to - from)} cycles)` : ""}`;
  }

  private hover(x: number, y: number): void {
    this.canvas.title = this.describe(x, y);
  }
}
