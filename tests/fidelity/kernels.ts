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

export function insertionSort(a: usize, n: u32): void {
  for (let i: u32 = 1; i < n; i++) {
    const v = load<u32>(a + (<usize>i << 2));
    let j = i;
    while (j > 0 && load<u32>(a + (<usize>(j - 1) << 2)) > v) {
      store<u32>(a + (<usize>j << 2), load<u32>(a + (<usize>(j - 1) << 2)));
      j--;
    }
    store<u32>(a + (<usize>j << 2), v);
  }
}

export function firQ15(x: usize, h: usize, y: usize, n: u32, taps: u32): void {
  for (let i: u32 = 0; i < n; i++) {
    let acc: i32 = 0;
    for (let k: u32 = 0; k < taps; k++) acc += <i32>load<i16>(x + (<usize>(i + k) << 1)) * <i32>load<i16>(h + (<usize>k << 1));
    store<i16>(y + (<usize>i << 1), <i16>(acc >> 15));
  }
}

// `buf` is the C version's 10-byte stack array (AssemblyScript has no arrays on the stack).
export function formatU32(v: u32, out: usize, buf: usize): u32 {
  let n: u32 = 0;
  do {
    store<u8>(buf + <usize>n, <u8>(48 + v % 10));
    n++;
    v /= 10;
  } while (v != 0);
  for (let i: u32 = 0; i < n; i++) store<u8>(out + <usize>i, load<u8>(buf + <usize>(n - 1 - i)));
  return n;
}
