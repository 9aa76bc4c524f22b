/**
 * The console channel of the debug probe (semihosting-style): typed
 * records in a byte ring the host drains. Costs no cycles.
 *
 * Header (16 bytes): written (u32 bytes ever written), acked (u32 bytes the
 * host has consumed), capacity (u32), dropped (u32 records that did not fit).
 * Record: kind (u8), pad (u8), context (u16), length (u32, payload bytes),
 * payload (UTF-16LE text; for TASK_NAME the creation cycle (u64) then the
 * name of task `context`).
 *
 * A line longer than LINE_CHUNK_BYTES goes as REC_LINE_PART records then one
 * REC_LINE: the host joins them. Between two parts the writer asks for a
 * stop (reserve), so the host drains the ring and a line of any length
 * arrives whole, whatever the host's run slices: the waiting happens at a
 * check point and costs the same modelled cycles either way. Only outside
 * the dispatch loop (static initialisation) can a record not fit; it is
 * then dropped, counted in the header and traced (EV_CONSOLE_DROP).
 */
import { CONSOLE_RING, CONSOLE_CAPACITY, CONSOLE_HEADER_BYTES } from "../mcu/memmap";
import { now, requestCheck } from "../mcu/clock";
import * as core from "../mcu/core";
import * as trace from "./trace";

export const REC_LINE: u8 = 1;
export const REC_TASK_NAME: u8 = 2;
export const REC_PANIC: u8 = 3;
export const REC_PANIC_FILE: u8 = 4; // the source file of the REC_PANIC before it
export const REC_LINE_PART: u8 = 5;  // a piece of a long line; the next REC_LINE_PART or REC_LINE of the context continues it

/** The most payload bytes of one line record; a longer line is split into parts. */
export const LINE_CHUNK_BYTES: u32 = 2048;

// @ts-ignore: decorator
@inline function header(offset: usize): usize { return CONSOLE_RING + offset; }

export function reset(): void {
  store<u32>(header(0), 0);
  store<u32>(header(4), 0);
  store<u32>(header(8), CONSOLE_CAPACITY);
  store<u32>(header(12), 0);
}

export function free(): u32 {
  return CONSOLE_CAPACITY - (load<u32>(header(0)) - load<u32>(header(4)));
}

function putByte(position: u32, value: u8): void {
  store<u8>(CONSOLE_RING + CONSOLE_HEADER_BYTES + <usize>(position & (CONSOLE_CAPACITY - 1)), value);
}

/** Write a record whose payload is the UTF-16 code units of `text`. */
export function write(kind: u8, context: u32, text: usize): bool {
  return writeStamped(kind, context, text, false);
}

/** A task's name: the payload starts with the cycle the task was created (ids are reused). */
export function writeTaskName(id: u32, text: usize): bool {
  return writeStamped(REC_TASK_NAME, id, text, true);
}

function writeStamped(kind: u8, context: u32, text: usize, stamped: bool): bool {
  const textBytes: u32 = text == 0 ? 0 : load<u32>(text - 4); // the string's byte length (rtSize)
  return writeBytes(kind, context, text, textBytes, stamped);
}

/**
 * Make room for a record of `payload` bytes: when it would not fit, ask the
 * core to stop at the next check point so the host drains the ring (the
 * probe-full stop). Outside the dispatch loop nothing can stop: the write
 * that follows may then be dropped.
 */
export function reserve(payload: u32): void {
  if (<u32>8 + payload > free() && core.dispatching) requestCheck();
}

/** A line that did not fit as a whole (outside the dispatch loop): its later pieces go too. */
let lineDropped: bool = false;

/** One piece of a line: bytes [offset, offset + length) of string `text`. */
export function writePart(kind: u8, context: u32, text: usize, offset: u32, length: u32): bool {
  if (offset == 0) {
    lineDropped = false;
    if (!core.dispatching) {
      // Nothing can drain the ring now: the whole line fits, or none of it goes.
      const total = load<u32>(text - 4);
      const records = total == 0 ? 1 : (total + LINE_CHUNK_BYTES - 1) / LINE_CHUNK_BYTES;
      if (total + records * 8 > free()) {
        lineDropped = true;
        drop(REC_LINE, context, total);
        return false;
      }
    }
  } else if (lineDropped) return false;
  return writeBytes(kind, context, text + offset, length, false);
}

function drop(kind: u8, context: u32, length: u32): void {
  const dropped = load<u32>(header(12)) + 1;
  store<u32>(header(12), dropped);
  trace.emit(trace.EV_CONSOLE_DROP, context, <u32>kind, length, dropped);
}

function writeBytes(kind: u8, context: u32, text: usize, textBytes: u32, stamped: bool): bool {
  const length: u32 = textBytes + (stamped ? 8 : 0);
  const total: u32 = 8 + length;
  if (total > free()) {
    drop(kind, context, length);
    return false;
  }
  let w = load<u32>(header(0));
  putByte(w++, kind);
  putByte(w++, 0);
  putByte(w++, <u8>context);
  putByte(w++, <u8>(context >> 8));
  putByte(w++, <u8>length);
  putByte(w++, <u8>(length >> 8));
  putByte(w++, <u8>(length >> 16));
  putByte(w++, <u8>(length >> 24));
  if (stamped) {
    const cycle = now();
    for (let i: i64 = 0; i < 64; i += 8) putByte(w++, <u8>(cycle >> i));
  }
  for (let i: u32 = 0; i < textBytes; i++) putByte(w++, load<u8>(text + i));
  store<u32>(header(0), w);
  return true;
}
