/**
 * USART1, USART2 and USART6 in asynchronous mode (RM0090 §30.6).
 *
 * Model:
 *  - Timing: one bit lasts USARTDIV x 16 (OVER8 = 0: BRR PCLK cycles) or
 *    USARTDIV x 8 (OVER8 = 1: 8 x DIV_Mantissa + DIV_Fraction[2:0] PCLK
 *    cycles) of the USART's APB clock (PCLK2 for USART1/6, PCLK1 for
 *    USART2), each PCLK cycle being apbDiv core cycles (rcc.ts). A frame is
 *    a start bit, 8 or 9 data bits (M; a parity bit is one of them) and the
 *    CR2.STOP stop bits: 10 bit times for 8N1. Half stop bits (0.5, 1.5)
 *    round the frame up to a whole core cycle. BRR = 0 sends nothing.
 *  - Transmitter: writing DR fills TDR (TXE = 0); when the shift register
 *    is free, with UE and TE set, TDR moves into it at once (TXE = 1) and
 *    the frame ends one frame time later, when the byte is traced
 *    (EV_UART_TX) and the next TDR byte, if any, starts; otherwise TC = 1.
 *    Setting TE (with UE) first sends an idle frame (RM0090 §30.3.2).
 *    TC is cleared by reading SR then writing DR, or by writing 0 to it.
 *  - Receiver: the host puts bytes on the RX wire (a ring in the probe
 *    region, memmap.ts), each with the cycle it may start. A frame starts
 *    when the wire is free and its cycle has come, lasts one frame at the
 *    receiver's configuration at its start, and at its end sets RDR and
 *    RXNE, or, if RXNE is still set, sets ORE and the byte is lost (RDR
 *    keeps the older byte). A byte that arrives while the receiver cannot
 *    receive (UE, RE, BRR or the clock off) is lost. Each byte is traced
 *    (EV_UART_RX) with its fate. RXNE is cleared by reading DR (or writing
 *    0); ORE by reading SR then DR.
 *  - Interrupt (one line per USART): TXE & TXEIE | TC & TCIE | (RXNE | ORE)
 *    & RXNEIE, level-sensitive (irqline.ts). Not modeled: IDLE, LIN break,
 *    CTS/RTS, parity/framing/noise errors (their flags stay 0), the
 *    synchronous, smartcard, IrDA and half-duplex modes, DMA, break frames.
 *  - A frame in flight finishes with the timing it started with, even if
 *    the clocks or BRR change meanwhile.
 *
 * Invariants: TXE == !tdrFull; a frame occupies the shift register (tx) or
 * the wire (rx) for exactly its frame time; at most one TX and one RX alarm
 * per USART are queued.
 */
import * as clock from "./clock";
import * as rcc from "./rcc";
import * as irqline from "./irqline";
import * as trace from "../probe/trace";
import { UART_LINE_BASE, UART_LINE_BYTES, UART_LINE_ENTRIES, UART_LINE_HEADER_BYTES } from "./memmap";

export const USART1_BASE: u32 = 0x40011000;
export const USART2_BASE: u32 = 0x40004400;
export const USART6_BASE: u32 = 0x40011400;
export const SIZE: u32 = 0x400;
export const COUNT: i32 = 3; // instances: 0 = USART1, 1 = USART2, 2 = USART6

export const SR: u32 = 0x00;
export const DR: u32 = 0x04;
export const BRR: u32 = 0x08;
export const CR1: u32 = 0x0C;
export const CR2: u32 = 0x10;
export const CR3: u32 = 0x14;
export const GTPR: u32 = 0x18;

export const SR_PE: u32 = 1 << 0;
export const SR_FE: u32 = 1 << 1;
export const SR_NF: u32 = 1 << 2;
export const SR_ORE: u32 = 1 << 3;
export const SR_IDLE: u32 = 1 << 4;
export const SR_RXNE: u32 = 1 << 5;
export const SR_TC: u32 = 1 << 6;
export const SR_TXE: u32 = 1 << 7;
export const SR_LBD: u32 = 1 << 8;
export const SR_CTS: u32 = 1 << 9;
/** SR after reset: TXE and TC. */
export const SR_RESET: u32 = 0x0000_00C0;
const SR_RC_W0: u32 = SR_RXNE | SR_TC | SR_LBD | SR_CTS;
const SR_ERRORS: u32 = SR_PE | SR_FE | SR_NF | SR_ORE | SR_IDLE;

export const CR1_RE: u32 = 1 << 2;
export const CR1_TE: u32 = 1 << 3;
export const CR1_IDLEIE: u32 = 1 << 4;
export const CR1_RXNEIE: u32 = 1 << 5;
export const CR1_TCIE: u32 = 1 << 6;
export const CR1_TXEIE: u32 = 1 << 7;
export const CR1_M: u32 = 1 << 12;
export const CR1_UE: u32 = 1 << 13;
export const CR1_OVER8: u32 = 1 << 15;
const CR1_MASK: u32 = 0xBFFF;
const CR2_MASK: u32 = 0x7F6F;
const CR3_MASK: u32 = 0x0FFF;
export const CR2_STOP_SHIFT: u32 = 12;

// RX fates (EV_UART_RX's c).
export const RX_OK: u32 = 0;
export const RX_OVERRUN: u32 = 1;
export const RX_OFF: u32 = 2;

// Alarm kinds: mirror core.ALARM_USART_TX / ALARM_USART_RX.
const ALARM_TX: u16 = 4;
const ALARM_RX: u16 = 5;

// Per instance, 128 bytes.
const U_BYTES: i32 = 128;
const O_SR: usize = 0;
const O_RDR: usize = 4;
const O_BRR: usize = 8;
const O_CR1: usize = 12;
const O_CR2: usize = 16;
const O_CR3: usize = 20;
const O_GTPR: usize = 24;
const O_TDR: usize = 28;
const O_FLAGS: usize = 32;
const O_TXBYTE: usize = 36;
const O_TXEND: usize = 40;     // i64
const O_RXSTATE: usize = 48;
const O_RXBYTE: usize = 52;
const O_RXEND: usize = 56;     // i64: end of the frame in flight, or the cycle the next one is waited for
const O_RXFREE: usize = 64;    // i64: the wire is free from this cycle
const O_ERRSEEN: usize = 72;   // the error flags the last SR read showed
const units: usize = memory.data(COUNT * U_BYTES);

const F_TDR_FULL: u32 = 1;
const F_TX_BUSY: u32 = 2;
const F_TX_IDLE: u32 = 4;      // the shift register sends an idle frame
const F_SR_READ_TC: u32 = 8;   // SR was read: a DR write completes TC's clear sequence
const F_SR_READ_ERR: u32 = 16; // SR was read: a DR read completes the error flags' clear sequence


const RX_IDLE: u32 = 0;
const RX_WAITING: u32 = 1;
const RX_FRAME: u32 = 2;

// @ts-ignore: decorator
@inline function at(u: i32, offset: usize): usize { return units + <usize>(u * U_BYTES) + offset; }
// @ts-ignore: decorator
@inline function get(u: i32, offset: usize): u32 { return load<u32>(at(u, offset)); }
// @ts-ignore: decorator
@inline function put(u: i32, offset: usize, value: u32): void { store<u32>(at(u, offset), value); }
// @ts-ignore: decorator
@inline function get64(u: i32, offset: usize): i64 { return load<i64>(at(u, offset)); }
// @ts-ignore: decorator
@inline function put64(u: i32, offset: usize, value: i64): void { store<i64>(at(u, offset), value); }

/** The instance of USART number 1, 2 or 6; -1 for any other. */
export function indexOf(number: i32): i32 {
  if (number == 1) return 0;
  if (number == 2) return 1;
  if (number == 6) return 2;
  return -1;
}

export function numberOf(u: i32): u32 { return u == 0 ? 1 : u == 1 ? 2 : 6; }
export function irqOf(u: i32): i32 { return u == 0 ? 37 : u == 1 ? 38 : 71; }
export function busOf(u: i32): i32 { return u == 1 ? rcc.BUS_APB1 : rcc.BUS_APB2; }
export function enableBit(u: i32): u32 {
  return u == 0 ? rcc.APB2ENR_USART1EN : u == 1 ? rcc.APB1ENR_USART2EN : rcc.APB2ENR_USART6EN;
}
function clocked(u: i32): bool { return rcc.enabled(busOf(u), enableBit(u)); }

// ---- the RX wire (probe memory, filled by the host) ----------------------------

// @ts-ignore: decorator
@inline function line(u: i32): usize { return UART_LINE_BASE + <usize>u * UART_LINE_BYTES; }
function lineCount(u: i32): u32 { return load<u32>(line(u)) - load<u32>(line(u), 4); }
function lineEntry(u: i32, index: u32): usize {
  return line(u) + UART_LINE_HEADER_BYTES + (<usize>(index & (UART_LINE_ENTRIES - 1)) << 3);
}

export function reset(): void {
  for (let u = 0; u < COUNT; u++) {
    resetRegisters(u);
    put(u, O_RXSTATE, RX_IDLE);
    put64(u, O_RXFREE, 0);
    store<u32>(line(u), 0);
    store<u32>(line(u), 0, 4);
  }
}

function resetRegisters(u: i32): void {
  put(u, O_SR, SR_RESET);
  put(u, O_RDR, 0);
  put(u, O_BRR, 0);
  put(u, O_CR1, 0);
  put(u, O_CR2, 0);
  put(u, O_CR3, 0);
  put(u, O_GTPR, 0);
  put(u, O_TDR, 0);
  put(u, O_FLAGS, 0);
  put(u, O_ERRSEEN, 0);
}

/** A peripheral reset (RCC): registers and the transmitter; the wire outside goes on. */
export function peripheralReset(u: i32, cycle: i64): void {
  clock.cancel(ALARM_TX, <u16>u);
  resetRegisters(u);
  updateIrq(u, cycle);
}

// ---- timing --------------------------------------------------------------------

/** One bit in PCLK cycles (0: BRR not set). */
function bitPclk(u: i32): i64 {
  const brr = get(u, O_BRR) & 0xFFFF;
  if ((get(u, O_CR1) & CR1_OVER8) != 0) return <i64>((brr >> 4) * 8 + (brr & 7));
  return <i64>brr;
}

/** One frame in core cycles at the current configuration, 0 if BRR is not set. */
export function frameCycles(u: i32): i64 {
  const bit = bitPclk(u);
  if (bit == 0) return 0;
  const cr1 = get(u, O_CR1);
  const dataBits: i64 = (cr1 & CR1_M) != 0 ? 9 : 8;
  const stop = (get(u, O_CR2) >> CR2_STOP_SHIFT) & 3; // 1, 0.5, 2, 1.5 stop bits
  const stopHalves: i64 = stop == 0 ? 2 : stop == 1 ? 1 : stop == 2 ? 4 : 3;
  const halves = 2 * (1 + dataBits) + stopHalves;
  return (halves * bit * rcc.busCycles(busOf(u)) + 1) / 2;
}

function receiverOn(u: i32): bool {
  const cr1 = get(u, O_CR1);
  return clocked(u) && (cr1 & CR1_UE) != 0 && (cr1 & CR1_RE) != 0 && bitPclk(u) != 0;
}

/** The receiver's frame time for the host (0 while it cannot receive). */
export function receiveFrameCycles(u: i32): i64 {
  return receiverOn(u) ? frameCycles(u) : 0;
}

// ---- interrupt -----------------------------------------------------------------

function updateIrq(u: i32, cycle: i64): void {
  const sr = get(u, O_SR);
  const cr1 = get(u, O_CR1);
  const request = ((sr & SR_TXE) != 0 && (cr1 & CR1_TXEIE) != 0) ||
    ((sr & SR_TC) != 0 && (cr1 & CR1_TCIE) != 0) ||
    ((sr & (SR_RXNE | SR_ORE)) != 0 && (cr1 & CR1_RXNEIE) != 0);
  irqline.drive(irqOf(u), request, cycle);
}

function setSr(u: i32, set: u32, clear: u32): void {
  put(u, O_SR, (get(u, O_SR) & ~clear) | set);
}

// ---- transmitter ---------------------------------------------------------------

function startFrame(u: i32, idle: bool, cycle: i64): void {
  const frame = frameCycles(u);
  let flags = get(u, O_FLAGS) | F_TX_BUSY;
  flags = idle ? flags | F_TX_IDLE : flags & ~F_TX_IDLE;
  put(u, O_FLAGS, flags);
  const end = cycle + frame;
  put64(u, O_TXEND, end);
  clock.schedule(end, ALARM_TX, <u16>u);
}

/** Move TDR into a free shift register when the transmitter may send. */
function tryStartTx(u: i32, cycle: i64): void {
  const flags = get(u, O_FLAGS);
  if ((flags & (F_TX_BUSY | F_TDR_FULL)) != F_TDR_FULL) return;
  const cr1 = get(u, O_CR1);
  if ((cr1 & CR1_UE) == 0 || (cr1 & CR1_TE) == 0 || bitPclk(u) == 0) return;
  put(u, O_TXBYTE, get(u, O_TDR));
  put(u, O_FLAGS, flags & ~F_TDR_FULL);
  setSr(u, SR_TXE, 0);
  startFrame(u, false, cycle);
}

/** The TX alarm: the frame in the shift register has ended at `due`. */
export function onTxDone(u: i32, due: i64): void {
  const flags = get(u, O_FLAGS);
  if ((flags & F_TX_BUSY) == 0 || get64(u, O_TXEND) != due) return; // stale
  put(u, O_FLAGS, flags & ~(F_TX_BUSY | F_TX_IDLE));
  if ((flags & F_TX_IDLE) == 0) trace.emitAt(due, trace.EV_UART_TX, 0, numberOf(u), get(u, O_TXBYTE) & 0xFF);
  tryStartTx(u, due);
  if ((get(u, O_FLAGS) & F_TX_BUSY) == 0) setSr(u, SR_TC, 0);
  updateIrq(u, due);
}

// ---- receiver ------------------------------------------------------------------

/** Start the wire's next frames from `t` (the wire is free from then). */
function rxPump(u: i32, t: i64): void {
  while (lineCount(u) > 0) {
    const readIndex = load<u32>(line(u), 4);
    const entry = load<u64>(lineEntry(u, readIndex));
    const notBefore = <i64>(entry >> 8);
    const free = get64(u, O_RXFREE);
    let start = notBefore > t ? notBefore : t;
    if (free > start) start = free;
    if (start > t) {
      put(u, O_RXSTATE, RX_WAITING);
      put64(u, O_RXEND, start);
      clock.schedule(start, ALARM_RX, <u16>u);
      return;
    }
    store<u32>(line(u), readIndex + 1, 4);
    const byte = <u32>(entry & 0xFF);
    if (!receiverOn(u)) {
      trace.emitAt(start, trace.EV_UART_RX, 0, numberOf(u), byte, RX_OFF);
      continue;
    }
    const end = start + frameCycles(u);
    put(u, O_RXSTATE, RX_FRAME);
    put(u, O_RXBYTE, byte);
    put64(u, O_RXEND, end);
    put64(u, O_RXFREE, end);
    clock.schedule(end, ALARM_RX, <u16>u);
    return;
  }
  put(u, O_RXSTATE, RX_IDLE);
}

/** The RX alarm: a frame ends, or a waited-for byte may start, at `due`. */
export function onRxAlarm(u: i32, due: i64): void {
  const state = get(u, O_RXSTATE);
  if (state == RX_IDLE || get64(u, O_RXEND) != due) return; // stale
  if (state == RX_FRAME) {
    const byte = get(u, O_RXBYTE);
    let fate = RX_OK;
    if (!receiverOn(u)) fate = RX_OFF;
    else if ((get(u, O_SR) & SR_RXNE) != 0) {
      fate = RX_OVERRUN;
      setSr(u, SR_ORE, 0);
    } else {
      put(u, O_RDR, byte);
      setSr(u, SR_RXNE, 0);
    }
    trace.emitAt(due, trace.EV_UART_RX, 0, numberOf(u), byte, fate);
    updateIrq(u, due);
  }
  put(u, O_RXSTATE, RX_IDLE);
  rxPump(u, due);
}

/** The host puts `byte` on the RX wire, to start no earlier than `cycle`. False when the wire's ring is full. */
export function pushRx(u: i32, cycle: i64, byte: u32): bool {
  const written = load<u32>(line(u));
  if (written - load<u32>(line(u), 4) >= UART_LINE_ENTRIES) return false;
  store<u64>(lineEntry(u, written), (<u64>cycle << 8) | <u64>(byte & 0xFF));
  store<u32>(line(u), written + 1);
  if (get(u, O_RXSTATE) == RX_IDLE) rxPump(u, clock.now());
  return true;
}

/** Bytes on the wire that have not started yet. */
export function rxQueued(u: i32): u32 { return lineCount(u); }

// ---- registers -----------------------------------------------------------------

export function read(u: i32, offset: u32, cycle: i64): u32 {
  switch (offset) {
    case SR: {
      const sr = get(u, O_SR);
      put(u, O_FLAGS, get(u, O_FLAGS) | F_SR_READ_TC | F_SR_READ_ERR);
      put(u, O_ERRSEEN, sr & SR_ERRORS);
      return sr;
    }
    case DR: {
      const flags = get(u, O_FLAGS);
      let clear = SR_RXNE;
      if ((flags & F_SR_READ_ERR) != 0) clear |= get(u, O_ERRSEEN);
      put(u, O_FLAGS, flags & ~F_SR_READ_ERR);
      setSr(u, 0, clear);
      updateIrq(u, cycle);
      return get(u, O_RDR);
    }
    case BRR: return get(u, O_BRR);
    case CR1: return get(u, O_CR1);
    case CR2: return get(u, O_CR2);
    case CR3: return get(u, O_CR3);
    case GTPR: return get(u, O_GTPR);
  }
  return 0;
}

export function write(u: i32, offset: u32, value: u32, cycle: i64): void {
  switch (offset) {
    case SR: {
      // rc_w0 bits: writing 0 clears, 1 leaves; the others are read-only.
      put(u, O_SR, get(u, O_SR) & (value | ~SR_RC_W0));
      updateIrq(u, cycle);
      break;
    }
    case DR: {
      const flags = get(u, O_FLAGS);
      if ((flags & F_SR_READ_TC) != 0) setSr(u, 0, SR_TC);
      put(u, O_FLAGS, (flags & ~F_SR_READ_TC) | F_TDR_FULL);
      put(u, O_TDR, value & 0x1FF);
      setSr(u, 0, SR_TXE);
      tryStartTx(u, cycle);
      updateIrq(u, cycle);
      break;
    }
    case BRR: put(u, O_BRR, value & 0xFFFF); break;
    case CR1: {
      const before = get(u, O_CR1);
      const after = value & CR1_MASK;
      put(u, O_CR1, after);
      const wasSending = (before & CR1_UE) != 0 && (before & CR1_TE) != 0;
      const sending = (after & CR1_UE) != 0 && (after & CR1_TE) != 0;
      // Setting TE sends an idle frame first (RM0090 §30.3.2).
      if (sending && !wasSending && (get(u, O_FLAGS) & F_TX_BUSY) == 0 && bitPclk(u) != 0) startFrame(u, true, cycle);
      tryStartTx(u, cycle);
      updateIrq(u, cycle);
      break;
    }
    case CR2: put(u, O_CR2, value & CR2_MASK); break;
    case CR3: put(u, O_CR3, value & CR3_MASK); break;
    case GTPR: put(u, O_GTPR, value & 0xFFFF); break;
  }
}
