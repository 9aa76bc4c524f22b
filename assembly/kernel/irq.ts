/**
 * Interrupt handlers for the application: CMSIS-style numbers, n >= 0 an
 * external line (0..81), n < 0 a system exception (-1 SysTick, -2 PendSV,
 * -5 SVCall, ...). The kernel owns PendSV, SysTick and HardFault.
 */
import * as nvic from "../mcu/nvic";
import * as bus from "../mcu/bus";
import * as scb from "../mcu/scb";
import * as vectors from "../mcu/vectors";
import * as errors from "./errors";
import { refuse } from "./context";

export function exceptionOf(irqn: i32): i32 {
  return nvic.IRQ_BASE + irqn;
}

function check(irqn: i32): i32 {
  const exc = exceptionOf(irqn);
  if (!nvic.isValid(exc) || exc <= nvic.EXC_HARDFAULT) return errors.ERR_BAD_IRQ;
  return errors.OK;
}

export function attach(irqn: i32, handlerIndex: u32, priority: u8): i32 {
  const bad = check(irqn);
  if (bad != errors.OK) return refuse(bad, <u32>irqn);
  const exc = exceptionOf(irqn);
  if (exc == nvic.EXC_PENDSV || exc == nvic.EXC_SYSTICK) return refuse(errors.ERR_RESERVED_IRQ, <u32>irqn);
  if (priority > 15) return refuse(errors.ERR_BAD_PRIORITY, priority);
  vectors.setVector(exc, handlerIndex);
  if (irqn >= 0) bus.write8(scb.NVIC_IPR + <u32>irqn, priority << 4);
  else nvic.setPriority(exc, priority << 4);
  return errors.OK;
}

function bankWrite(bank: u32, irqn: i32): i32 {
  const bad = check(irqn);
  if (bad != errors.OK) return refuse(bad, <u32>irqn);
  if (irqn < 0) return refuse(errors.ERR_BAD_IRQ, <u32>irqn);
  bus.write32(bank + (<u32>irqn >> 5) * 4, 1 << (<u32>irqn & 31));
  return errors.OK;
}

export function enable(irqn: i32): i32 { return bankWrite(scb.NVIC_ISER, irqn); }
export function disable(irqn: i32): i32 { return bankWrite(scb.NVIC_ICER, irqn); }

export function pend(irqn: i32): i32 {
  const bad = check(irqn);
  if (bad != errors.OK) return refuse(bad, <u32>irqn);
  if (irqn >= 0) return bankWrite(scb.NVIC_ISPR, irqn);
  const exc = exceptionOf(irqn);
  if (exc == nvic.EXC_PENDSV) bus.write32(scb.SCB_BASE + scb.ICSR, scb.ICSR_PENDSVSET);
  else if (exc == nvic.EXC_SYSTICK) bus.write32(scb.SCB_BASE + scb.ICSR, scb.ICSR_PENDSTSET);
  else return refuse(errors.ERR_BAD_IRQ, <u32>irqn);
  return errors.OK;
}
