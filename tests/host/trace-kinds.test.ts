/**
 * The trace's event kinds are defined once: assembly/probe/trace.ts numbers
 * them (EV_*), and the host's names (js/host/trace.ts) are those constants'
 * names in lower case, at the same numbers, with nothing on either side alone.
 */
import { describe, it, expect } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import { EVENT_KINDS, PERIPHERAL_KINDS, PROBE_KINDS, kindName } from "../../js/host/trace.js";

const SOURCE = fs.readFileSync(path.resolve(__dirname, "../../assembly/probe/trace.ts"), "utf8");

describe("trace kinds", () => {
  it("are the firmware's EV_* constants, by number and name", () => {
    const firmware = [...SOURCE.matchAll(/^export const EV_([A-Z0-9_]+): u16 = (\d+);/gm)].map((m) => ({ id: Number(m[2]), name: m[1].toLowerCase() }));
    expect(firmware.length).toBeGreaterThan(40);
    expect(new Set(firmware.map((k) => k.id)).size).toBe(firmware.length);
    for (const k of firmware) expect(`${k.id} ${kindName(k.id)}`).toBe(`${k.id} ${k.name}`);
    const host = [
      ...EVENT_KINDS.map((name, id) => ({ id, name })).filter((k) => k.name !== ""),
      ...Object.entries(PERIPHERAL_KINDS).map(([id, name]) => ({ id: Number(id), name })),
      ...Object.entries(PROBE_KINDS).map(([id, name]) => ({ id: Number(id), name })),
    ];
    expect(host.map((k) => `${k.id} ${k.name}`).sort()).toEqual(firmware.map((k) => `${k.id} ${k.name}`).sort());
  });
});
