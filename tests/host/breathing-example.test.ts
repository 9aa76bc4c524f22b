import { describe, it, expect } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import { machine } from "./support.js";

const SOURCE = fs.readFileSync(path.resolve(__dirname, "../../examples/breathing/app.ts"), "utf8");

/** The lines of one round of readings at `ms` when two of the four sensors may work at once. */
const twoSlotsRound = (round: number, ms: number, values: number[]) => [
  `sensor 0: reading ${round} ready at ${ms} ms`,
  `sensor 0: works on reading ${round} at ${ms} ms (1 of 2 slots busy)`,
  `sensor 1: reading ${round} ready at ${ms} ms`,
  `sensor 1: works on reading ${round} at ${ms} ms (2 of 2 slots busy)`,
  `sensor 2: reading ${round} ready at ${ms} ms`,
  `sensor 3: reading ${round} ready at ${ms} ms`,
  ...(round === 0 ? ["monitor at 12 ms: sensor 0 (working) holds more than twice the stack of sensor 2 (waiting for a slot), in more stacklets"] : []),
  `sensor 0: reading ${round} = ${values[0]}, done at ${ms + 3} ms`,
  `sensor 1: reading ${round} = ${values[1]}, done at ${ms + 3} ms`,
  // The other two enter work only when the first two leave it.
  `sensor 2: works on reading ${round} at ${ms + 3} ms (1 of 2 slots busy)`,
  `sensor 3: works on reading ${round} at ${ms + 3} ms (2 of 2 slots busy)`,
  `sensor 2: reading ${round} = ${values[2]}, done at ${ms + 6} ms`,
  `sensor 3: reading ${round} = ${values[3]}, done at ${ms + 6} ms`,
];

describe("examples/breathing (a playground example)", () => {
  it("two slots: two sensors work while the other two wait for a slot; a waiting sensor holds little stack", async () => {
    const m = await machine("example-breathing", SOURCE);
    m.runFor("12ms");
    // Sensors 0 and 1 are blocked deep inside work(), 2 and 3 wait for a slot with work's frames gone.
    const byName = new Map(m.tasks().map((t) => [t.name, t]));
    const [s0, s1, s2, s3] = ["sensor0", "sensor1", "sensor2", "sensor3"].map((n) => byName.get(n)!);
    for (const working of [s0, s1]) {
      expect(working.stacklets).toBeGreaterThan(3);
      for (const waiting of [s2, s3]) {
        expect(working.stacklets).toBeGreaterThan(waiting.stacklets);
        expect(working.stackUsed).toBeGreaterThan(2 * waiting.stackUsed);
      }
    }
    m.runFor("17ms");
    expect(m.panics()).toEqual([]);
    expect(m.console.lines).toEqual([...twoSlotsRound(0, 10, [100, 110, 120, 130]), ...twoSlotsRound(1, 20, [101, 111, 121, 131])]);
    // Round 0 is over: every sensor's frames of work() are freed, the peak remains.
    for (const t of m.tasks().filter((t) => t.name.startsWith("sensor"))) {
      expect(t.stackletsPeak).toBeGreaterThan(t.stacklets);
    }
  });

  it("four slots (SLOTS = 4): all four work at once", async () => {
    const m = await machine("example-breathing-4", SOURCE.replace("const SLOTS: u32 = 2;", "const SLOTS: u32 = 4;"));
    m.runFor("11ms");
    expect(m.console.lines).toEqual([0, 1, 2, 3].flatMap((i) => [
      `sensor ${i}: reading 0 ready at 10 ms`,
      `sensor ${i}: works on reading 0 at 10 ms (${i + 1} of 4 slots busy)`,
    ]));
  });
});
