import { task, time, debug } from "hoprt";
import { count } from "./kernels";
// Keep in step with bench/run.ts.
const ROUNDS = 1000;
const PER_ROUND: u32 = 20000;
function run(arg: u32): void {
  let x: u32 = 1;
  const start = time.cycles();
  for (let r = 0; r < ROUNDS; r++) x = count(PER_ROUND, x);
  const took = time.cycles() - start;
  debug.print(x.toString());
  debug.print(took.toString());
}
export function main(): void {
  task.build().entry(run).priority(8).spawn();
}
