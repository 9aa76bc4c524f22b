import { work } from "./loop";
export function run(n: u32, seed: u32): u32 { return work(n, seed); }
