import { task, debug } from "hoprt";
import { count } from "./kernels";
// Keep in step with bench/run.ts.
const ROUNDS = 1000;
const PER_ROUND: u32 = 20000;
function run(arg: u32): void {
  let x: u32 = 1;
  for (let r = 0; r < ROUNDS; r++) x = count(PER_ROUND, x);
  debug.print(x.toString());
}
export function main(): void {
  task.build().entry(run).priority(8).spawn();
}
