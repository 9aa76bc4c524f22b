/**
 * The STM32F407's on-chip peripherals on the bus (0x4000_0000..0x4FFF_FFFF):
 * address decoding, clock gating, RCC's side effects (peripheral resets,
 * clock changes) and the peripherals' alarms.
 *
 * Model:
 *  - Modeled: TIM2..TIM5, USART2 (APB1); USART1, USART6, SYSCFG, EXTI
 *    (APB2); GPIOA..GPIOI, RCC, FLASH_ACR (AHB1). An address in no modeled
 *    peripheral is a bus fault (bus.ts); a reserved offset inside a modeled
 *    peripheral's 1 KiB window reads 0 and ignores writes, as on silicon.
 *  - A peripheral whose RCC enable bit is clear does not respond: reads
 *    give 0, writes are ignored, and each such access is traced (EV_GATED).
 *    EXTI, RCC and the flash interface have no enable bit.
 *  - Writing 1 to a bit of AHB1RSTR/APB1RSTR/APB2RSTR resets that
 *    peripheral's registers at once.
 *  - Before a peripheral access, alarms already due (an update, a frame
 *    end that the next check point would have fired) are fired first, so
 *    the firmware never reads a state older than the cycle it reads at.
 *
 * Invariant: every peripheral event reaches the core through an alarm at
 * its exact cycle, or synchronously inside the bus access that causes it.
 */
import * as clock from "./clock";
import * as core from "./core";
import * as rcc from "./rcc";
import * as gpio from "./gpio";
import * as syscfg from "./syscfg";
import * as exti from "./exti";
import * as usart from "./usart";
import * as tim from "./tim";
import * as trace from "../probe/trace";
import { Context } from "./context";

export const REGION_BASE: u32 = 0x40000000;
export const REGION_SIZE: u32 = 0x10000000;

/** Set by read32/write32 when no modeled peripheral answers the address. */
export let unmapped: bool = false;

/** Power-on reset, then the clock set-up of the board's startup code (rcc.startupClocks). */
export function reset(): void {
  rcc.reset();
  gpio.reset();
  syscfg.reset();
  exti.reset();
  usart.reset();
  tim.reset();
  rcc.startupClocks();
}

/** Fire alarms that are due but not yet serviced, so an access sees the state at its own cycle. */
function catchUp(): void {
  if (clock.nextDue() <= clock.now()) {
    core.service();
    clock.requestCheck(); // service() re-armed the budget: let the next check point look again
  }
}

function gated(addr: u32, write: bool): void {
  const ctx = core.current;
  trace.emit(trace.EV_GATED, ctx == 0 ? 0 : changetype<Context>(ctx).id, addr, write ? 1 : 0);
}

const USART1_END: u32 = usart.USART1_BASE + usart.SIZE;
const USART6_END: u32 = usart.USART6_BASE + usart.SIZE;

/** The USART instance whose window holds `addr`, or -1. */
function usartAt(addr: u32): i32 {
  if (addr - usart.USART2_BASE < usart.SIZE) return 1;
  if (addr >= usart.USART1_BASE && addr < USART1_END) return 0;
  if (addr >= usart.USART6_BASE && addr < USART6_END) return 2;
  return -1;
}

export function read32(addr: u32): u32 {
  unmapped = false;
  catchUp();
  const t = clock.now();
  if (addr - gpio.BASE < <u32>gpio.PORTS * gpio.STRIDE) {
    const port = <i32>((addr - gpio.BASE) >> 10);
    if (!rcc.enabled(rcc.BUS_AHB1, rcc.AHB1ENR_GPIOAEN << <u32>port)) { gated(addr, false); return 0; }
    return gpio.read(port, addr & 0x3FF);
  }
  if (addr - tim.BASE < <u32>tim.COUNT * tim.STRIDE) {
    const i = <i32>((addr - tim.BASE) >> 10);
    if (!rcc.enabled(rcc.BUS_APB1, tim.enableBit(i))) { gated(addr, false); return 0; }
    return tim.read(i, addr & 0x3FF, t);
  }
  const u = usartAt(addr);
  if (u >= 0) {
    if (!rcc.enabled(usart.busOf(u), usart.enableBit(u))) { gated(addr, false); return 0; }
    return usart.read(u, addr & 0x3FF, t);
  }
  if (addr - rcc.BASE < rcc.SIZE) return rcc.read(addr - rcc.BASE);
  if (addr == rcc.FLASH_ACR_ADDR) return rcc.readFlashAcr();
  if (addr - exti.BASE < exti.SIZE) return exti.read(addr - exti.BASE);
  if (addr - syscfg.BASE < syscfg.SIZE) {
    if (!rcc.enabled(rcc.BUS_APB2, rcc.APB2ENR_SYSCFGEN)) { gated(addr, false); return 0; }
    return syscfg.read(addr - syscfg.BASE);
  }
  unmapped = true;
  return 0;
}

export function write32(addr: u32, value: u32): void {
  unmapped = false;
  catchUp();
  const t = clock.now();
  if (addr - gpio.BASE < <u32>gpio.PORTS * gpio.STRIDE) {
    const port = <i32>((addr - gpio.BASE) >> 10);
    if (!rcc.enabled(rcc.BUS_AHB1, rcc.AHB1ENR_GPIOAEN << <u32>port)) { gated(addr, true); return; }
    gpio.write(port, addr & 0x3FF, value, t);
    return;
  }
  if (addr - tim.BASE < <u32>tim.COUNT * tim.STRIDE) {
    const i = <i32>((addr - tim.BASE) >> 10);
    if (!rcc.enabled(rcc.BUS_APB1, tim.enableBit(i))) { gated(addr, true); return; }
    tim.write(i, addr & 0x3FF, value, t);
    return;
  }
  const u = usartAt(addr);
  if (u >= 0) {
    if (!rcc.enabled(usart.busOf(u), usart.enableBit(u))) { gated(addr, true); return; }
    usart.write(u, addr & 0x3FF, value, t);
    return;
  }
  if (addr - rcc.BASE < rcc.SIZE) { writeRcc(addr - rcc.BASE, value, t); return; }
  if (addr == rcc.FLASH_ACR_ADDR) { rcc.writeFlashAcr(value); return; }
  if (addr - exti.BASE < exti.SIZE) { exti.write(addr - exti.BASE, value, t); return; }
  if (addr - syscfg.BASE < syscfg.SIZE) {
    if (!rcc.enabled(rcc.BUS_APB2, rcc.APB2ENR_SYSCFGEN)) { gated(addr, true); return; }
    syscfg.write(addr - syscfg.BASE, value);
    return;
  }
  unmapped = true;
}

/** An RCC write and what it does to the other peripherals. */
function writeRcc(offset: u32, value: u32, t: i64): void {
  const timing = rcc.timingKey();
  const apb1 = rcc.apb1enr;
  rcc.write(offset, value);
  if (offset == rcc.AHB1RSTR) {
    for (let port = 0; port < gpio.PORTS; port++) if ((value & (<u32>1 << <u32>port)) != 0) gpio.peripheralReset(port, t);
  } else if (offset == rcc.APB1RSTR) {
    for (let i = 0; i < tim.COUNT; i++) if ((value & tim.enableBit(i)) != 0) tim.peripheralReset(i, t);
    if ((value & rcc.APB1ENR_USART2EN) != 0) usart.peripheralReset(1, t);
  } else if (offset == rcc.APB2RSTR) {
    if ((value & rcc.APB2ENR_USART1EN) != 0) usart.peripheralReset(0, t);
    if ((value & rcc.APB2ENR_USART6EN) != 0) usart.peripheralReset(2, t);
    if ((value & rcc.APB2ENR_SYSCFGEN) != 0) syscfg.reset();
  }
  // The timers count only while clocked, at the APB1 timer clock.
  if (rcc.timingKey() != timing || rcc.apb1enr != apb1) tim.clockChanged(t);
}

// Alarm kinds: mirror core.ALARM_*.
const ALARM_TIM: u16 = 3;
const ALARM_USART_TX: u16 = 4;
const ALARM_USART_RX: u16 = 5;
const ALARM_GPIO_INPUT: u16 = 6;

/** core.service() hands the peripherals' alarms here; `due` is the cycle they were set for. */
export function onAlarm(kind: u16, arg: u16, due: i64): void {
  if (kind == ALARM_TIM) tim.onOverflow(<i32>arg, due);
  else if (kind == ALARM_USART_TX) usart.onTxDone(<i32>arg, due);
  else if (kind == ALARM_USART_RX) usart.onRxAlarm(<i32>arg, due);
  else if (kind == ALARM_GPIO_INPUT) gpio.drive(<i32>(arg & 0xFF), <i32>(arg >> 8), gpio.CAUSE_SCHEDULED, due);
}

/** Schedule the host driving `pin` to `level` (gpio.LEVEL_*) at `cycle`. */
export function scheduleGpio(cycle: i64, pin: i32, level: i32): bool {
  return clock.scheduleHost(cycle, ALARM_GPIO_INPUT, <u16>(pin | (level << 8)));
}
