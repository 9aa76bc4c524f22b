/**
 * SYSCFG, the system configuration controller (RM0090 §9.2): which GPIO
 * port drives each EXTI line 0..15 (EXTICR1..4), plus its plain registers.
 *
 * Model: EXTICRn holds four 4-bit fields; EXTIx = 0 selects PAx, 1 PBx, ...
 * 8 PIx; the reserved values 9..15 connect no port (the line never sees an
 * edge). MEMRMP reads 0 (boot from main flash, BOOT0 = 0 on the Discovery);
 * PMC is a plain register; CMPCR.READY follows CMP_PD (the compensation
 * cell is ready at once).
 * Invariant: source(line) is the EXTICR field of `line`.
 */
export const BASE: u32 = 0x40013800;
export const SIZE: u32 = 0x400;
export const MEMRMP: u32 = 0x00;
export const PMC: u32 = 0x04;
export const EXTICR1: u32 = 0x08;
export const EXTICR2: u32 = 0x0C;
export const EXTICR3: u32 = 0x10;
export const EXTICR4: u32 = 0x14;
export const CMPCR: u32 = 0x20;

let memrmp: u32 = 0;
let pmc: u32 = 0;
let cmpcr: u32 = 0;
const exticr: usize = memory.data(16);

export function reset(): void {
  memrmp = 0;
  pmc = 0;
  cmpcr = 0;
  for (let i = 0; i < 4; i++) store<u32>(exticr + (<usize>i << 2), 0);
}

/** The port (0 = A .. 8 = I) wired to EXTI line 0..15, or -1. */
export function source(line: i32): i32 {
  const reg = load<u32>(exticr + (<usize>(line >> 2) << 2));
  const port = <i32>((reg >> (<u32>(line & 3) * 4)) & 0xF);
  return port <= 8 ? port : -1;
}

export function read(offset: u32): u32 {
  if (offset >= EXTICR1 && offset <= EXTICR4) return load<u32>(exticr + <usize>(offset - EXTICR1));
  if (offset == MEMRMP) return memrmp;
  if (offset == PMC) return pmc;
  if (offset == CMPCR) return cmpcr;
  return 0;
}

export function write(offset: u32, value: u32): void {
  if (offset >= EXTICR1 && offset <= EXTICR4) store<u32>(exticr + <usize>(offset - EXTICR1), value & 0xFFFF);
  else if (offset == MEMRMP) memrmp = value & 3;
  else if (offset == PMC) pmc = value & (1 << 23);
  else if (offset == CMPCR) cmpcr = (value & 1) | ((value & 1) << 8);
}
