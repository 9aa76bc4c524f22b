/**
 * Boot: what the startup code and the kernel's start do before the first
 * task runs. The firmware's generated entry registers the application's
 * main() and calls boot() at the end of static initialisation.
 */
import * as nvic from "../mcu/nvic";
import * as bus from "../mcu/bus";
import * as scb from "../mcu/scb";
import * as vectors from "../mcu/vectors";
import * as core from "../mcu/core";
import * as config from "./config";
import { spawn } from "./task";
import * as sched from "./sched";
import * as time from "./time";
import { onHardFault } from "./fault";

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

function idle(arg: u32): void {
  while (true) core.wfi();
}

export function boot(): void {
  // PendSV and SysTick at the lowest priority (SHPR3 bytes 2 and 3).
  const prio = <u32>config.KERNEL_EXCEPTION_PRIORITY;
  bus.write32(scb.SCB_BASE + scb.SHPR3, (prio << 24) | (prio << 16));
  vectors.setVector(nvic.EXC_PENDSV, sched.onPendSV.index);
  vectors.setVector(nvic.EXC_SYSTICK, time.onSysTick.index);
  vectors.setVector(nvic.EXC_HARDFAULT, onHardFault.index);
  config.setDefaultTimeslice(settings.defaultTimeslice);
  spawn(idle.index, true, 0, config.IDLE_PRIORITY, config.IDLE_STACK_BYTES, "idle");
  if (mainIndex != 0) spawn(mainIndex, false, 0, config.MAIN_PRIORITY, config.DEFAULT_STACK_BYTES, "main");
  config.setPolicy(settings.policy);
  config.setDefaultTimeslice(settings.defaultTimeslice);
  config.setTickSource(settings.tickSource);
  time.setStartTick(settings.startTick);
  time.setTickHz(settings.tickHz);
  if (settings.tickSource == config.TickSource.SysTick) time.startTick(time.tickHz);
  sched.start();
  booted = true;
}
