/**
 * The playground's machine worker, in Node (its messages sent and received
 * by hand): what one frame reports of a long run. A replayed share link, a
 * step or a frame at full speed through an idle firmware runs many virtual
 * seconds at once, more trace events than the host's kept window holds.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { firmware } from "../host/support.js";
import { DEFAULT_TRACE_WINDOW } from "../../js/host/index.js";
import type { Frame, MachineReply, MachineRequest } from "../../web/src/protocol.js";
import { STATE_RUNNING } from "../../web/src/protocol.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
/** TIM2 at 84 MHz / 8400 / 2500: an update every 42 000 000 core cycles (examples/blinky). */
const TIM2_PERIOD = 42_000_000;

const replies: MachineReply[] = [];
const scope = globalThis as unknown as { postMessage?: (m: MachineReply) => void; onmessage?: ((e: { data: MachineRequest }) => void) | null };
let send: (request: MachineRequest) => MachineReply[];

beforeAll(async () => {
  scope.postMessage = (m) => { replies.push(m); };
  await import("../../web/src/machine-worker.js");
  const handler = scope.onmessage!;
  send = (request) => {
    replies.length = 0;
    handler({ data: request });
    return replies.slice();
  };
});

afterAll(() => {
  delete scope.postMessage;
  scope.onmessage = null;
});

describe("the machine worker", () => {
  it("hands the timeline every event of a frame that runs longer than the trace's kept window", async () => {
    const wasm = await firmware("blinky", fs.readFileSync(path.join(ROOT, "examples", "blinky", "app.ts"), "utf8"));
    send({ type: "load", wasm: wasm.slice() });
    // 30 virtual seconds in one frame, as a share link replays them.
    const [frame] = send({ type: "advance", until: 30 * 168_000_000 }) as Frame[];
    expect(frame.type).toBe("frame");
    const tim2 = frame.lanes.findIndex((l) => l.label === "IRQ28");
    const runs: number[] = [];
    for (let i = 0; i < frame.segments.length; i += 4) {
      if (frame.segments[i] === tim2 && frame.segments[i + 1] === STATE_RUNNING) runs.push(frame.segments[i + 2]);
    }
    // Every TIM2 update from the first, 250 ms apart: none lost to the window.
    expect(runs[0]).toBeGreaterThan(TIM2_PERIOD);
    expect(runs[0]).toBeLessThan(TIM2_PERIOD + 100_000);
    expect(runs.length).toBe(Math.floor((frame.cycles - runs[0]) / TIM2_PERIOD) + 1);
    runs.forEach((start, k) => expect(start - runs[0]).toBe(k * TIM2_PERIOD));
    // The LEDs too: one ODR write a step, a binary count.
    const steps = new Set<number>();
    for (let i = 0; i < frame.ledChanges.length; i += 3) steps.add(frame.ledChanges[i]);
    expect(steps.size).toBe(runs.length);
    // More than the window: the frame read them as they came, not from what the window kept.
    expect(frame.events).toBeGreaterThan(DEFAULT_TRACE_WINDOW);
  });
});
