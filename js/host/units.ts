/** Durations: a cycle count (number or bigint) or a string with a unit. */
const UNITS: Record<string, number> = { s: 1, ms: 1e-3, us: 1e-6, µs: 1e-6, ns: 1e-9 };

/**
 * The longest single run: 2^53 - 1 cycles (Number.MAX_SAFE_INTEGER, so every
 * length is exact as a number too): about 1.7 years of virtual time at 168 MHz.
 */
export const MAX_RUN_CYCLES = 2n ** 53n - 1n;
/** The latest cycle the clock may reach or an injection may be scheduled for (2^62: the i64 clock never wraps). */
export const MAX_CYCLE = 2n ** 62n;

export function parseDuration(value: number | bigint | string, sysclkHz: number): bigint {
  if (typeof value === "bigint") {
    if (value <= 0n) throw new RangeError(`run length must be positive, got ${value} cycles`);
    if (value > MAX_RUN_CYCLES) throw new RangeError(`run length ${value} cycles is more than the most one run may last (${MAX_RUN_CYCLES} cycles)`);
    return value;
  }
  if (typeof value === "number") {
    if (!Number.isInteger(value) || value <= 0) throw new RangeError(`run length must be a positive whole number of cycles, got ${value}`);
    if (value > Number(MAX_RUN_CYCLES)) throw new RangeError(`run length ${value} cycles is more than the most one run may last (${MAX_RUN_CYCLES} cycles)`);
    return BigInt(value);
  }
  if (typeof value !== "string") throw new TypeError(`run length must be cycles or a string like "10ms", got ${typeof value}`);
  const m = /^\s*(\d+(?:\.\d+)?)\s*(s|ms|us|µs|ns|cycles?)?\s*$/.exec(value);
  if (!m) throw new RangeError(`run length "${value}" is not a number with a unit (s, ms, us, ns, cycles)`);
  const unit = m[2] ?? "cycles";
  let cycles: bigint;
  if (unit.startsWith("cycle")) {
    if (m[1].includes(".")) throw new RangeError(`run length "${value}": cycles are whole numbers`);
    cycles = BigInt(m[1]);
  } else {
    const amount = Math.round(Number(m[1]) * UNITS[unit] * sysclkHz);
    if (!Number.isFinite(amount) || amount > Number(MAX_RUN_CYCLES)) {
      throw new RangeError(`run length "${value}" is more than the most one run may last (${MAX_RUN_CYCLES} cycles, ${(Number(MAX_RUN_CYCLES) / sysclkHz).toExponential(3)} s at ${sysclkHz / 1e6} MHz)`);
    }
    cycles = BigInt(amount);
  }
  if (cycles <= 0n) throw new RangeError(`run length "${value}" must be positive`);
  if (cycles > MAX_RUN_CYCLES) throw new RangeError(`run length "${value}" is more than the most one run may last (${MAX_RUN_CYCLES} cycles)`);
  return cycles;
}

/** A cycle to schedule something at: a whole number or bigint, not in the past, at most MAX_CYCLE. */
export function parseCycle(what: string, cycle: unknown, now: bigint): bigint {
  if (typeof cycle === "number") {
    if (!Number.isSafeInteger(cycle)) throw new RangeError(`${what}: cycle must be a whole number (at most 2^53 - 1 as a number; use a bigint beyond), got ${cycle}`);
  } else if (typeof cycle !== "bigint") {
    throw new TypeError(`${what}: cycle must be a number or bigint, got ${typeof cycle === "string" ? `the string "${cycle}"` : typeof cycle}`);
  }
  const at = BigInt(cycle);
  if (at < now) throw new RangeError(`${what}: cycle ${at} is in the past (now ${now})`);
  if (at > MAX_CYCLE) throw new RangeError(`${what}: cycle ${at} is beyond the last cycle the clock reaches (${MAX_CYCLE})`);
  return at;
}
