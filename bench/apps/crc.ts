import { task, time, debug } from "hoprt";
import { crc32 } from "./kernels";
// Keep in step with bench/run.ts: ROUNDS passes of CRC-32 over BYTES bytes.
const ROUNDS = 256;
const BYTES: u32 = 4096;
function run(arg: u32): void {
  const buf = heap.alloc(BYTES);
  for (let i: u32 = 0; i < BYTES; i++) store<u8>(buf + <usize>i, <u8>(i * 7 + 3));
  let crc: u32 = 0;
  const start = time.cycles();
  for (let r = 0; r < ROUNDS; r++) crc = crc32(buf, BYTES, crc);
  const took = time.cycles() - start;
  debug.print(crc.toString());
  debug.print(took.toString());
}
export function main(): void {
  task.build().entry(run).priority(8).spawn();
}
