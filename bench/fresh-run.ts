/**
 * A firmware run as `hoprt run` gives it, in the process the bench starts:
 * node bench/fresh-run.js <firmware.wasm> <duration>. The process loads
 * the firmware (the engine compiles it), boots it and runs it for
 * `duration` of virtual time in one runFor, keeping no trace, and prints
 * {"cycles", "wallNs", "cpuNs"}: everything from loading on, the engine's
 * first, unoptimised code and its compiling again included (a user pays
 * for them; a warm process does not show them).
 */
import * as fs from "node:fs";
import { Machine } from "../js/host/machine.js";

const [file, duration] = process.argv.slice(2);
const bytes = fs.readFileSync(file);
const cpu = process.cpuUsage();
const start = process.hrtime.bigint();
const machine = Machine.loadSync(bytes, { collectTrace: false });
machine.runFor(duration);
const wallNs = Number(process.hrtime.bigint() - start);
const used = process.cpuUsage(cpu);
process.stdout.write(JSON.stringify({ cycles: Number(machine.cycles), wallNs, cpuNs: (used.user + used.system) * 1000 }) + "\n");
