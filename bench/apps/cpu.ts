import { task, time, debug } from "hoprt";
import { work } from "./loop";
// Keep in step with bench/run.ts.
const ROUNDS = 2000;
const PER_ROUND: u32 = 10000;
function crunch(arg: u32): void {
  let x: u32 = 1;
  const start = time.cycles();
  for (let r = 0; r < ROUNDS; r++) x = work(PER_ROUND, x);
  const took = time.cycles() - start;
  debug.print(x.toString());
  debug.print(took.toString());
}
export function main(): void {
  task.build().entry(crunch).priority(8).spawn();
}
