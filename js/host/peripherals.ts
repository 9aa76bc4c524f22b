/**
 * The host's side of the board's pins and serial ports: drive a GPIO pin,
 * watch it change, type bytes into a USART and read what it sends, now or
 * at a chosen cycle. Everything the firmware does to a pin or a USART
 * reaches the host as trace events with their exact cycle.
 */
import type { TraceEvent } from "./trace.js";
import { parseCycle } from "./units.js";

/** The ports of the STM32F407 the model has: A..I, 16 pins each. */
export const GPIO_PORTS = "ABCDEFGHI";
/** Injections (IRQ raises, pin levels) the host may have scheduled at once: the firmware keeps them apart from its own alarms (assembly/mcu/clock.ts HOST_ALARM_CAPACITY). */
export const HOST_ALARM_SLOTS = 64;
/** The USARTs the model has. */
export const UART_NUMBERS: readonly number[] = [1, 2, 6];

/** The pin number (port * 16 + n) of a name like "PA0" or "PD12"; throws a clear Error otherwise. */
export function parsePin(name: string): number {
  if (typeof name !== "string") throw new TypeError(`gpio: a pin is named by a string like "PA0", got ${typeof name}`);
  const m = /^P([A-Z])(\d+)$/.exec(name.trim().toUpperCase());
  if (!m) throw new Error(`gpio: "${name}" is not a pin name (write the port letter and pin number, e.g. "PA0" or "PD12")`);
  const port = GPIO_PORTS.indexOf(m[1]);
  if (port < 0) throw new Error(`gpio: "${name}": port ${m[1]} does not exist on the STM32F407 (ports A..I)`);
  const pin = Number(m[2]);
  if (pin > 15) throw new Error(`gpio: "${name}": pin ${pin} does not exist (pins 0..15)`);
  return port * 16 + pin;
}

export function pinName(index: number): string {
  return `P${GPIO_PORTS[index >> 4] ?? "?"}${index & 15}`;
}

export type Level = 0 | 1;
type LevelInput = 0 | 1 | boolean;
type ChangeListener = (level: Level, cycle: bigint) => void;
type DataListener = (bytes: Uint8Array, cycle: bigint) => void;
export type PinMode = "input" | "output" | "alternate" | "analog";
const MODES: PinMode[] = ["input", "output", "alternate", "analog"];

/** What the pin and UART objects need from the machine. @internal */
export interface PeripheralPort {
  readonly exports: object;
  readonly cycles: bigint;
  boot(): void;
}

function need(port: PeripheralPort, name: string): (...args: any[]) => any {
  const f = (port.exports as Record<string, unknown>)[name];
  if (typeof f !== "function") throw new Error(`this firmware has no ${name} export: it was built without the peripheral model`);
  return f as (...args: any[]) => any;
}

function levelOf(what: string, level: unknown): 0 | 1 {
  if (level === 0 || level === false) return 0;
  if (level === 1 || level === true) return 1;
  throw new Error(`${what}: level must be 0, 1, true or false, got ${typeof level === "string" ? `"${level}"` : String(level)}`);
}

function cycleOf(what: string, cycle: bigint | number, now: bigint): bigint {
  return parseCycle(what, cycle, now);
}

/** One pin of the board, seen from outside the chip. */
export class GpioPin {
  private listeners: ChangeListener[] = [];
  constructor(private readonly port: PeripheralPort, readonly name: string, readonly index: number) {}

  private call(name: string, ...args: any[]): number {
    this.port.boot();
    return need(this.port, name)(...args);
  }

  /** Drive the pin to `level` now (a button pressed, a signal from another chip). */
  set(level: LevelInput): void {
    const l = levelOf(`gpio("${this.name}").set`, level);
    this.call("hoprt_gpio_set", this.index, l);
  }

  /** Stop driving the pin: it floats to its pull-up/pull-down (0 with none). */
  release(): void { this.call("hoprt_gpio_set", this.index, 2); }

  /** Drive the pin to `level` when the clock reaches `cycle`. */
  setAt(cycle: bigint | number, level: LevelInput): void {
    const l = levelOf(`gpio("${this.name}").setAt`, level);
    this.schedule(`gpio("${this.name}").setAt`, cycle, l);
  }

  /** Release the pin when the clock reaches `cycle`. */
  releaseAt(cycle: bigint | number): void { this.schedule(`gpio("${this.name}").releaseAt`, cycle, 2); }

  private schedule(what: string, cycle: bigint | number, level: number): void {
    this.port.boot();
    const at = cycleOf(what, cycle, this.port.cycles);
    const r = need(this.port, "hoprt_gpio_schedule")(at, this.index, level);
    if (r === -3) throw new Error(`${what}: the host's alarm slots are full (${HOST_ALARM_SLOTS} scheduled injections pending); run until some fire first`);
    if (r !== 0) throw new Error(`${what}: the firmware refused it (code ${r})`);
  }

  /** The level on the pin now. */
  get(): Level { return this.call("hoprt_gpio_info", this.index, 0) as Level; }

  /** The pin's mode (GPIOx_MODER). */
  mode(): PinMode { return MODES[this.call("hoprt_gpio_info", this.index, 1)]; }

  /** Whether the host drives the pin. */
  driven(): boolean { return this.call("hoprt_gpio_info", this.index, 2) === 1; }

  /** `change`: the pin's level changed (by the firmware or the host), at its exact cycle. */
  on(event: "change", listener: ChangeListener): this {
    if (event !== "change") throw new Error(`gpio("${this.name}").on: unknown event "${event}" (only "change")`);
    this.listeners.push(listener);
    return this;
  }

  /** @internal */
  emit(level: Level, cycle: bigint): void {
    for (const l of this.listeners) l(level, cycle);
  }
}

interface PendingWrite { cycle: bigint; bytes: Uint8Array; offset: number }

/** One of the board's serial ports, seen from the other end of its wires. */
export class Uart {
  private listeners: DataListener[] = [];
  private sent: number[] = [];
  private pending: PendingWrite[] = [];
  constructor(private readonly port: PeripheralPort, readonly number: number) {}

  private bytesOf(what: string, data: Uint8Array | ArrayLike<number> | string): Uint8Array {
    if (typeof data === "string") return new TextEncoder().encode(data);
    if (data instanceof Uint8Array) return data.slice();
    if (data && typeof (data as ArrayLike<number>).length === "number") {
      const out = new Uint8Array(data.length);
      for (let i = 0; i < data.length; i++) {
        const b = data[i];
        if (!Number.isInteger(b) || b < 0 || b > 255) throw new RangeError(`${what}: byte ${i} is ${b}, not a whole number 0..255`);
        out[i] = b;
      }
      return out;
    }
    throw new TypeError(`${what}: send a string, a Uint8Array or an array of bytes`);
  }

  /** Send bytes to the USART's RX pin now: back to back, each one frame at the USART's configured baud rate. */
  write(data: Uint8Array | ArrayLike<number> | string): void {
    this.port.boot();
    this.enqueue(this.port.cycles, this.bytesOf(`uart(${this.number}).write`, data));
  }

  /** Send bytes starting at `cycle` (after whatever is still being sent). */
  writeAt(cycle: bigint | number, data: Uint8Array | ArrayLike<number> | string): void {
    this.port.boot();
    const what = `uart(${this.number}).writeAt`;
    const at = cycleOf(what, cycle, this.port.cycles);
    this.enqueue(at, this.bytesOf(what, data));
  }

  private enqueue(cycle: bigint, bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    // Keep the queue in cycle order (stable): the wire is FIFO.
    let i = this.pending.length;
    while (i > 0 && this.pending[i - 1].cycle > cycle) i--;
    this.pending.splice(i, 0, { cycle, bytes, offset: 0 });
  }

  /** `data`: the firmware sent a byte (when its stop bit ended). */
  on(event: "data", listener: DataListener): this {
    if (event !== "data") throw new Error(`uart(${this.number}).on: unknown event "${event}" (only "data")`);
    this.listeners.push(listener);
    return this;
  }

  /** Every byte the firmware has sent on this USART so far. */
  transmitted(): Uint8Array { return Uint8Array.from(this.sent); }

  /** What the firmware has sent, as text (UTF-8). */
  text(): string { return new TextDecoder().decode(this.transmitted()); }

  /** Whether the USART's receiver is on (clocked, UE, RE, a baud rate): bytes sent now would arrive. */
  receiving(): boolean {
    this.port.boot();
    return Number(need(this.port, "hoprt_uart_frame_cycles")(this.number)) > 0;
  }

  /** Cycles one frame takes at the receiver's configuration (0 while it cannot receive). */
  frameCycles(): bigint {
    this.port.boot();
    return BigInt(need(this.port, "hoprt_uart_frame_cycles")(this.number));
  }

  /** @internal The firmware sent `byte` at `cycle`. */
  emit(byte: number, cycle: bigint): void {
    this.sent.push(byte);
    if (this.listeners.length === 0) return;
    const bytes = Uint8Array.of(byte);
    for (const l of this.listeners) l(bytes, cycle);
  }

  /**
   * @internal Put what is due before `end` on the wire; returns how far the
   * machine may run before the host must look again (the wire holds a few
   * hundred bytes: it is refilled between run slices).
   */
  feed(now: bigint, end: bigint): bigint {
    if (this.pending.length === 0) return end;
    const push = need(this.port, "hoprt_uart_push");
    // Everything scheduled goes on the wire as soon as there is room, not when
    // the run reaches it: what the firmware knows (its idle target, its trace)
    // must not depend on how the host slices the run.
    while (this.pending.length > 0) {
      const w = this.pending[0];
      const at = w.cycle > now ? w.cycle : now;
      while (w.offset < w.bytes.length) {
        const r = push(this.number, at, w.bytes[w.offset]);
        if (r === -3) {
          // The wire is full: run until it could have emptied, then refill.
          const frame = BigInt(need(this.port, "hoprt_uart_frame_cycles")(this.number));
          const queued = BigInt(need(this.port, "hoprt_uart_queued")(this.number));
          const room = (frame > 0n ? frame : 1n) * (queued > 0n ? queued : 1n);
          return now + room < end ? now + room : end;
        }
        if (r !== 0) throw new Error(`uart(${this.number}): the firmware refused a byte (code ${r})`);
        w.offset++;
      }
      this.pending.shift();
    }
    return end;
  }

  /** @internal */
  reset(): void { this.sent.length = 0; this.pending.length = 0; }
}

/** The machine's pins and USARTs, made on first use. @internal */
export class PeripheralHost {
  private readonly pins = new Map<number, GpioPin>();
  private readonly uarts = new Map<number, Uart>();
  constructor(private readonly port: PeripheralPort) {}

  gpio(name: string): GpioPin {
    const index = parsePin(name);
    let p = this.pins.get(index);
    if (!p) {
      p = new GpioPin(this.port, pinName(index), index);
      this.pins.set(index, p);
    }
    return p;
  }

  uart(n: number): Uart {
    if (!UART_NUMBERS.includes(n)) {
      throw new Error(`uart: ${typeof n === "number" ? n : JSON.stringify(n)} is not a USART of the model (1, 2 or 6)`);
    }
    let u = this.uarts.get(n);
    if (!u) {
      u = new Uart(this.port, n);
      this.uarts.set(n, u);
    }
    return u;
  }

  /** Whether any pin or USART is watched (so drain must decode peripheral events). */
  get watching(): boolean { return this.pins.size > 0 || this.uarts.size > 0; }

  /** A decoded trace event: forward pin changes and sent bytes (kept even before uart(n) is first asked for). */
  observe(e: TraceEvent): void {
    if (e.kind === "gpio") this.pins.get(e.a)?.emit(e.b as Level, e.cycle);
    else if (e.kind === "uart_tx" && UART_NUMBERS.includes(e.a)) this.uart(e.a).emit(e.b, e.cycle);
  }

  /** Fill the USARTs' RX wires for a run from `now` to `end`; returns where this run slice must end. */
  feed(now: bigint, end: bigint): bigint {
    let until = end;
    for (const u of this.uarts.values()) {
      const e = u.feed(now, until);
      if (e < until) until = e;
    }
    return until > now ? until : now + 1n;
  }

  reset(): void {
    for (const u of this.uarts.values()) u.reset();
  }
}
