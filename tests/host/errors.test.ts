import { describe, it, expect } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import { ERROR_CODES, errorName } from "../../js/host/errors.js";

describe("kernel error codes by name", () => {
  it("the host's table is the firmware's (assembly/kernel/errors.ts), every code", () => {
    const source = fs.readFileSync(path.resolve(__dirname, "../../assembly/kernel/errors.ts"), "utf8");
    const firmware: Record<number, string> = {};
    for (const m of source.matchAll(/export const (\w+): i32 = (-?\d+);/g)) firmware[Number(m[2])] = m[1];
    expect(Object.keys(firmware).length).toBeGreaterThan(10);
    expect(ERROR_CODES).toEqual(firmware);
  });

  it("prints a code as the firmware returns it or the trace carries it (a u32)", () => {
    expect(errorName(-3)).toBe("ERR_TASK_LIMIT (-3)");
    expect(errorName(4294967293)).toBe("ERR_TASK_LIMIT (-3)");
    expect(errorName(-99)).toBe("error -99");
  });
});
