/**
 * The contexts whose stacks the collector scans: every task's context,
 * registered at spawn and removed at reclamation (what of each is a root is
 * decided by kernel/stack/roots.ts).
 *
 * Invariants: `contexts[0 .. contextCount)` holds every registered context
 * once, densely; `slotOfId[id]` is the index of the context of task `id`.
 * Adding and removing are O(1) straight-line code (removal moves the last
 * entry into the freed index): reclamation runs in PendSV, and a scan over
 * every task there delayed interrupts by the task count.
 */
import { Context } from "../stack/context";
import { MAX_TASKS } from "../config";

/** Every task can be registered (the task limit is a build option). */
export const MAX_CONTEXTS: i32 = MAX_TASKS;
const contexts: usize = memory.data(MAX_CONTEXTS * 4);
const slotOfId: usize = memory.data(MAX_CONTEXTS * 4);
export let contextCount: i32 = 0;

/** Register the context of task `id` (its slot in the task table, below MAX_TASKS). */
export function addContext(ctx: usize, id: u32): bool {
  if (contextCount >= MAX_CONTEXTS || id >= <u32>MAX_CONTEXTS) return false;
  store<usize>(contexts + <usize>contextCount * 4, ctx);
  store<i32>(slotOfId + <usize>id * 4, contextCount);
  contextCount++;
  return true;
}

/** Unregister a context added with its task's id (the id must be set in the context by then). */
export function removeContext(ctx: usize): void {
  const id = changetype<Context>(ctx).id;
  if (id >= <u32>MAX_CONTEXTS) return;
  const slot = load<i32>(slotOfId + <usize>id * 4);
  if (slot < 0 || slot >= contextCount || load<usize>(contexts + <usize>slot * 4) != ctx) return;
  contextCount--;
  const last = load<usize>(contexts + <usize>contextCount * 4);
  store<usize>(contexts + <usize>slot * 4, last);
  store<i32>(slotOfId + <usize>changetype<Context>(last).id * 4, slot);
}

/** The i-th registered context (0 <= i < contextCount). */
// @ts-ignore: decorator
@inline export function contextAt(i: i32): usize {
  return load<usize>(contexts + <usize>i * 4);
}
