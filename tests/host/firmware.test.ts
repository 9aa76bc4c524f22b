import { describe, it, expect, beforeAll } from "vitest";
import { firmware } from "./support.js";
import { Machine } from "../../js/host/machine.js";

const APP = `
import { debug } from "hoprt";
export function main(): void { debug.print("up"); }
`;

let wasm: Uint8Array;
beforeAll(async () => { wasm = await firmware("minimal", APP); });

describe("the firmware module", () => {
  it("has no imports, so any WebAssembly runtime can embed it", () => {
    const module = new WebAssembly.Module(wasm as Uint8Array<ArrayBuffer>);
    expect(WebAssembly.Module.imports(module)).toEqual([]);
  });

  it("exports only the hoprt_* ABI and its memory", () => {
    const names = WebAssembly.Module.exports(new WebAssembly.Module(wasm as Uint8Array<ArrayBuffer>)).map((e) => e.name);
    expect(names).toContain("hoprt_abi_version");
    expect(names).toContain("hoprt_run");
    expect(names.filter((n) => n !== "memory" && !n.startsWith("hoprt_"))).toEqual([]);
  });

  it("runs and prints", () => {
    const m = Machine.loadSync(wasm);
    const result = m.runFor("1ms");
    expect(result.reason).toBe("cycles");
    expect(m.console.lines).toEqual(["up"]);
    expect(m.cycles).toBeGreaterThanOrEqual(168_000n);
  });

  it("is built the same way twice (deterministic output)", async () => {
    const { build } = await import("../../js/compiler/build.js");
    const fs = await import("node:fs");
    const os = await import("node:os");
    const path = await import("node:path");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hoprt-det-"));
    fs.writeFileSync(path.join(dir, "app.ts"), APP);
    const a = await build({ app: path.join(dir, "app.ts") });
    const b = await build({ app: path.join(dir, "app.ts") });
    expect(Buffer.from(a.wasm).equals(Buffer.from(b.wasm))).toBe(true);
  });
});

describe("bad input to the host", () => {
  it("refuses bytes that are not WebAssembly", () => {
    expect(() => Machine.loadSync(new TextEncoder().encode("hello world"))).toThrow(/not a WebAssembly module/);
  });

  it("refuses a module that is not a HopRT firmware", () => {
    // (module (func (export "f")))
    const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 7, 5, 1, 1, 102, 0, 0, 10, 4, 1, 2, 0, 11]);
    expect(() => Machine.loadSync(bytes)).toThrow(/not a HopRT firmware \(missing exports memory, hoprt_abi_version/);
  });

  it("refuses a firmware with another ABI version", async () => {
    const binaryen = (await import("binaryen")).default;
    const mod = binaryen.readBinary(wasm);
    mod.removeExport("hoprt_abi_version");
    mod.addFunction("abi2", binaryen.none, binaryen.i32, [], mod.i32.const(2));
    mod.addFunctionExport("abi2", "hoprt_abi_version");
    const patched = mod.emitBinary();
    expect(() => Machine.loadSync(patched)).toThrow("Machine.load: firmware ABI version 2, this host supports 1");
  });

  it("refuses an unknown IRQ line", () => {
    const m = Machine.loadSync(wasm);
    expect(() => m.irq.raise(82)).toThrow(/82 is not an IRQ line of the STM32F407 \(0\.\.81\)/);
    expect(() => m.irq.raise(-1)).toThrow(/-1 is not an IRQ line/);
    expect(() => m.irq.schedule(1.5, 100)).toThrow(/1\.5 is not an IRQ line/);
  });

  it("refuses negative, zero and non-numeric run lengths", () => {
    const m = Machine.loadSync(wasm);
    expect(() => m.runFor(-5)).toThrow(/run length must be a positive whole number of cycles, got -5/);
    expect(() => m.runFor(0n)).toThrow(/run length must be positive, got 0 cycles/);
    expect(() => m.runFor("ten ms")).toThrow(/run length "ten ms" is not a number with a unit/);
    expect(() => m.runFor("-3ms")).toThrow(/is not a number with a unit/);
    // Nothing ran past boot: the cycle is where a fresh machine's boot ends.
    expect(m.cycles).toBe(Machine.loadSync(wasm).cycles);
  });

  it("reads the cycle after boot before the first run: the 'now' of a schedule, and where the run starts", () => {
    const m = Machine.loadSync(wasm);
    const booted = m.cycles;
    expect(booted).toBeGreaterThan(0n); // the startup code (clock, kernel) ran: it takes cycles
    expect(m.cycles).toBe(booted); // reading it again runs nothing
    // Right after loading, a schedule relative to m.cycles is in the future, and fires at exactly that cycle.
    m.irq.schedule(3, m.cycles + 1201n);
    m.runFor(2000);
    const raise = m.trace.events().find((e) => e.kind === "irq_raise" && e.a === 16 + 3);
    expect(raise?.cycle).toBe(booted + 1201n);
    expect(m.cycles).toBeGreaterThanOrEqual(booted + 2000n);
    expect(() => m.irq.schedule(3, booted)).toThrow(/in the past/);
  });

  it("refuses to schedule an IRQ in the past", () => {
    const m = Machine.loadSync(wasm);
    m.runFor(1000);
    expect(() => m.irq.schedule(3, 10n)).toThrow(/cycle 10 is in the past/);
  });
});
