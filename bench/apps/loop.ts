// The CPU-bound loop both benchmark builds run: plain WebAssembly and inside the machine.
export function work(n: u32, seed: u32): u32 {
  let x = seed;
  for (let i: u32 = 0; i < n; i++) {
    x = x * 1664525 + 1013904223;
    x ^= x >>> 13;
  }
  return x;
}
