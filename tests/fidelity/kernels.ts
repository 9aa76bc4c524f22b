// The fidelity suite's reference kernels in AssemblyScript: the same
// algorithms as kernels.c, written as a C programmer would write them.
export function crc32(data: usize, len: u32, crc: u32): u32 {
  crc = ~crc;
  for (let i: u32 = 0; i < len; i++) {
    crc ^= <u32>load<u8>(data + <usize>i);
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xEDB88320 & (0 - (crc & 1)));
  }
  return ~crc;
}

export function count(n: u32, seed: u32): u32 {
  let x = seed;
  for (let i: u32 = 0; i < n; i++) x += i;
  return x;
}

export function copyWords(dst: usize, src: usize, words: u32): void {
  for (let i: u32 = 0; i < words; i++) store<u32>(dst + (<usize>i << 2), load<u32>(src + (<usize>i << 2)));
}

export function dot(a: usize, b: usize, n: u32): f32 {
  let s: f32 = 0;
  for (let i: u32 = 0; i < n; i++) s += load<f32>(a + (<usize>i << 2)) * load<f32>(b + (<usize>i << 2));
  return s;
}
