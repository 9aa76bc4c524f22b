/**
 * The stacks the collector scans conservatively for references: every
 * task's context (registered at spawn, removed at reclamation) and the main
 * stack. What of each is a root is decided by kernel/stack/roots.ts.
 */
import { scanContext } from "../stack/roots";
import * as core from "../../mcu/core";

import { MAX_TASKS } from "../config";

/** Every task can be registered (the task limit is a build option). */
export const MAX_CONTEXTS: i32 = MAX_TASKS;
const contexts: usize = memory.data(MAX_CONTEXTS * 4);
export let contextCount: i32 = 0;

export function addContext(ctx: usize): bool {
  if (contextCount >= MAX_CONTEXTS) return false;
  store<usize>(contexts + <usize>contextCount * 4, ctx);
  contextCount++;
  return true;
}

export function removeContext(ctx: usize): void {
  for (let i = 0; i < contextCount; i++) {
    const at = contexts + <usize>i * 4;
    if (load<usize>(at) == ctx) {
      contextCount--;
      store<usize>(at, load<usize>(contexts + <usize>contextCount * 4));
      return;
    }
  }
}

/** Call `scan(start, end)` for every live stack range. */
export function forEachLiveRange(scan: (start: usize, end: usize) => void): void {
  const running = core.current;
  // The main stack holds boot code's frames. A task runs only when no handler is active,
  // and collection never runs in one: then only the heap's own frames are there (atomic
  // code runs on the main stack), which hold no references, over stale words of handlers
  // that ran before, which must not keep garbage alive.
  if (running == 0) scan(__stack_pointer, __heap_base);
  for (let i = 0; i < contextCount; i++) {
    const ptr = load<usize>(contexts + <usize>i * 4);
    scanContext(ptr, ptr == running, scan);
  }
}

