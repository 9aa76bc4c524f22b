/**
 * Memory regions the collector scans conservatively for references: every
 * task's stack (its live frames and AssemblyScript's shadow-stack slots, and
 * the frames saved there while it is suspended). The main stack is always
 * scanned. A region is registered when its stack is allocated and removed
 * when it is freed.
 */
export const MAX_REGIONS: i32 = 64;
const regions: usize = memory.data(MAX_REGIONS * 8);
export let regionCount: i32 = 0;

export function addRegion(start: usize, end: usize): bool {
  if (regionCount >= MAX_REGIONS) return false;
  store<usize>(regions + <usize>regionCount * 8, start);
  store<usize>(regions + <usize>regionCount * 8, end, 4);
  regionCount++;
  return true;
}

export function removeRegion(start: usize): void {
  for (let i = 0; i < regionCount; i++) {
    const at = regions + <usize>i * 8;
    if (load<usize>(at) == start) {
      regionCount--;
      const last = regions + <usize>regionCount * 8;
      store<usize>(at, load<usize>(last));
      store<usize>(at, load<usize>(last, 4), 4);
      return;
    }
  }
}

export function regionStart(i: i32): usize { return load<usize>(regions + <usize>i * 8); }
export function regionEnd(i: i32): usize { return load<usize>(regions + <usize>i * 8, 4); }
