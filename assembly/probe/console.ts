/**
 * The console channel of the debug probe (semihosting-style): typed
 * records in a byte ring the host drains. Costs no cycles.
 *
 * Header (16 bytes): written (u32 bytes ever written), acked (u32 bytes the
 * host has consumed), capacity (u32), dropped (u32 records that did not fit).
 * Record: kind (u8), pad (u8), context (u16), length (u32, payload bytes),
 * payload (UTF-16LE text; for TASK_NAME the creation cycle (u64) then the
 * name of task `context`).
 */
import { CONSOLE_RING, CONSOLE_CAPACITY, CONSOLE_HEADER_BYTES } from "../mcu/memmap";
import { now } from "../mcu/clock";

export const REC_LINE: u8 = 1;
export const REC_TASK_NAME: u8 = 2;
export const REC_PANIC: u8 = 3;
export const REC_PANIC_FILE: u8 = 4; // the source file of the REC_PANIC before it

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
  const length: u32 = textBytes + (stamped ? 8 : 0);
  const total: u32 = 8 + length;
  if (total > free()) {
    store<u32>(header(12), load<u32>(header(12)) + 1);
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
