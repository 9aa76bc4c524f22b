// The CPU-bound kernels both benchmark builds run: plain WebAssembly and inside the machine.
/** Bitwise CRC-32 (reflected, polynomial 0xEDB88320) over `len` bytes at `data`. */
export function crc32(data: usize, len: u32, crc: u32): u32 {
  crc = ~crc;
  for (let i: u32 = 0; i < len; i++) {
    crc ^= <u32>load<u8>(data + <usize>i);
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xEDB88320 & (0 - (crc & 1)));
  }
  return ~crc;
}

/** A counting loop: `n` iterations of an add. */
export function count(n: u32, seed: u32): u32 {
  let x = seed;
  for (let i: u32 = 0; i < n; i++) x += i;
  return x;
}
