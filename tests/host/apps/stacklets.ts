// Segmented stacks under attack (tests/host/stacklet.test.ts): workers spawned from
// interrupts recurse to random depths across stacklet boundaries, keep strings on
// their stacks (roots in stacklets and in saved state), get preempted and sleep at
// the bottom (their saved state then needs a block), while handlers allocate too.
import { task, time, debug, irq, Semaphore } from "hoprt";

export const SPAWN_SHALLOW: i32 = 10;
export const SPAWN_DEEP: i32 = 11;
export const CHURN: i32 = 12;
export const AUDIT: i32 = 13;

let spawned: u32 = 0;
let finished: u32 = 0;
let bad: u32 = 0;
const audit = new Semaphore(1, 0);

function word(seed: u32): string {
  let s = "w";
  for (let i: u32 = 0; i < 3 + seed % 5; i++) s += String.fromCharCode(97 + <i32>((seed >> i) % 26));
  return s;
}

// Each level keeps a string across the deeper call: it lives in this frame (a stacklet)
// or, while the task is suspended, in its saved state.
function descend(level: u32, depth: u32, seed: u32): u32 {
  const mine = word(seed + level);
  let below: u32 = 0;
  if (level < depth) below = descend(level + 1, depth, seed * 1103515245 + 12345);
  else if ((seed & 3) == 0) time.sleepMs(1);
  else if ((seed & 3) == 1) task.yieldCurrent();
  if (mine != word(seed + level)) bad++;
  return below * 31 + <u32>mine.length;
}

function worker(arg: u32): void {
  const depth = (arg & 0xFF) + 1;
  const seed = arg >> 8;
  const first = descend(0, depth, seed);
  const again = descend(0, depth, seed);
  if (first != again) bad++;
  finished++;
}

function spawnWorker(depthMask: u32): void {
  spawned++;
  const arg = ((spawned * 2654435761) & 0xFFFF00) | ((spawned * 40503) & depthMask);
  task.build().entry(worker).arg(arg).priority(<i32>(4 + spawned % 4)).timeslice(1).spawn();
}

function onShallow(): void { spawnWorker(0x0F); }
function onDeep(): void { spawnWorker(0x7F); }
function onChurn(): void {
  const garbage = word(spawned) + word(finished);
  if (garbage.length < 8) bad++;
}
function onAudit(): void { audit.giveFromIsr(); }

function auditor(arg: u32): void {
  while (true) {
    audit.take();
    __collect();
    // Marks, not a line: the audit allocates nothing, so the host compares the heap exactly.
    debug.mark(spawned, finished);
    debug.mark(bad, <u32>task.count());
  }
}

export function main(): void {
  irq.attach(SPAWN_SHALLOW, onShallow, 3); irq.enable(SPAWN_SHALLOW);
  irq.attach(SPAWN_DEEP, onDeep, 3); irq.enable(SPAWN_DEEP);
  irq.attach(CHURN, onChurn, 2); irq.enable(CHURN);
  irq.attach(AUDIT, onAudit, 1); irq.enable(AUDIT);
  // A static stack: when the workers are gone, no stacklet is left anywhere.
  task.build().entry(auditor).priority(12).name("auditor").staticStack(4096).spawn();
}
