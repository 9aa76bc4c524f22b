import { work } from "./loop";
export function run(n: u32, seed: u32): u32 { return work(n, seed); }
import { crc32, count } from "./kernels";
export function runCrc(rounds: u32, bytes: u32): u32 {
  const buf = heap.alloc(bytes);
  for (let i: u32 = 0; i < bytes; i++) store<u8>(buf + <usize>i, <u8>(i * 7 + 3));
  let crc: u32 = 0;
  for (let r: u32 = 0; r < rounds; r++) crc = crc32(buf, bytes, crc);
  heap.free(buf);
  return crc;
}
export function runCount(rounds: u32, n: u32, seed: u32): u32 {
  let x = seed;
  for (let r: u32 = 0; r < rounds; r++) x = count(n, x);
  return x;
}
