import { task, mmio } from "hoprt";
const RCC_AHB1ENR: u32 = 0x40023830;
const GPIOD_MODER: u32 = 0x40020C00;
const GPIOD_ODR: u32 = 0x40020C14;
function toggler(arg: u32): void {
  mmio.write32(RCC_AHB1ENR, mmio.read32(RCC_AHB1ENR) | (1 << 3));
  mmio.write32(GPIOD_MODER, 1 << 24); // PD12 output
  let odr: u32 = 0;
  while (true) {
    odr ^= 1 << 12;
    mmio.write32(GPIOD_ODR, odr);
  }
}
export function main(): void {
  task.build().entry(toggler).priority(8).spawn();
}
