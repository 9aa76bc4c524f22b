/**
 * Boot: what the startup code and the kernel's start do before the first
 * task runs. The firmware's generated entry registers the application's
 * main() and calls boot() at the end of static initialisation.
 */
import { STACK_STATIC } from "./stack/context";
import { poolExpired, releasePooled } from "./stack/stacklet";
import * as nvic from "../mcu/nvic";
import * as bus from "../mcu/bus";
import * as scb from "../mcu/scb";
import * as vectors from "../mcu/vectors";
import * as core from "../mcu/core";
import * as config from "./config";
import { spawn } from "./task";
import * as sched from "./sched";
import * as time from "./time";
import { onHardFault, onAbort } from "./fault";
import { installUnwinders } from "./unwind";
import * as clock from "../mcu/clock";

let mainIndex: u32 = 0;
export let booted: bool = false;
const settings = new config.Config();

export function registerMain(main: () => void): void {
  mainIndex = main.index;
}

/** Run the application's configure(cfg) hook, before main and before the kernel starts. */
export function runConfigure(configure: (cfg: config.Config) => void): void {
  configure(settings);
}

/** The idle task: gives pooled stacklets that went unused back to the heap, else sleeps. */
function idle(arg: u32): void {
  while (true) {
    if (poolExpired()) releasePooled();
    else core.wfi();
  }
}

/**
 * Refuse settings the kernel cannot honour (boot then fails with this
 * report): a tick SysTick cannot make at this clock, an unknown policy or
 * tick source.
 */
function refuseSettings(message: string): void {
  onAbort(message, "configure", 0, 0);
}

function checkSettings(): void {
  const sysclk = clock.sysclkHz;
  if (settings.tickSource == config.TickSource.SysTick) {
    const fastest = sysclk / config.MIN_TICK_CYCLES;
    const slowest = (sysclk + config.MAX_TICK_CYCLES - 1) / config.MAX_TICK_CYCLES;
    if (settings.tickHz < slowest || settings.tickHz > fastest) {
      refuseSettings("configure: tickHz " + settings.tickHz.toString() + " is out of range: SysTick at " + sysclk.toString() +
        " Hz ticks at " + slowest.toString() + ".." + fastest.toString() + " Hz");
    }
  }
  if (<u32>settings.policy > <u32>config.Policy.PriorityRR) refuseSettings("configure: policy " + (<u32>settings.policy).toString() + " is not a Policy");
  if (<u32>settings.tickSource > <u32>config.TickSource.External) refuseSettings("configure: tickSource " + (<u32>settings.tickSource).toString() + " is not a TickSource");
}

export function boot(): void {
  checkSettings();
  // PendSV and SysTick at the lowest priority (SHPR3 bytes 2 and 3).
  const prio = <u32>config.KERNEL_EXCEPTION_PRIORITY;
  bus.write32(scb.SCB_BASE + scb.SHPR3, (prio << 24) | (prio << 16));
  vectors.setVector(nvic.EXC_PENDSV, sched.onPendSV.index);
  vectors.setVector(nvic.EXC_SYSTICK, time.onSysTick.index);
  vectors.setVector(nvic.EXC_HARDFAULT, onHardFault.index);
  installUnwinders();
  config.setDefaultTimeslice(settings.defaultTimeslice);
  spawn(idle.index, true, 0, config.IDLE_PRIORITY, STACK_STATIC, config.IDLE_STACK_BYTES, 0, "idle");
  if (mainIndex != 0) spawn(mainIndex, false, 0, config.MAIN_PRIORITY, config.DEFAULT_STACK_MODE, config.DEFAULT_FIRST_STACK_BYTES, 0, "main");
  config.setPolicy(settings.policy);
  config.setDefaultTimeslice(settings.defaultTimeslice);
  config.setTickSource(settings.tickSource);
  time.setStartTick(settings.startTick);
  time.setTickHz(settings.tickHz);
  if (settings.tickSource == config.TickSource.SysTick) time.startTick(time.tickHz);
  sched.start();
  booted = true;
}
