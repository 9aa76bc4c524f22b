/** Durations: a cycle count (number or bigint) or a string with a unit. */
const UNITS: Record<string, number> = { s: 1, ms: 1e-3, us: 1e-6, µs: 1e-6, ns: 1e-9 };

export function parseDuration(value: number | bigint | string, sysclkHz: number): bigint {
  if (typeof value === "bigint") {
    if (value <= 0n) throw new RangeError(`run length must be positive, got ${value} cycles`);
    return value;
  }
  if (typeof value === "number") {
    if (!Number.isInteger(value) || value <= 0) throw new RangeError(`run length must be a positive whole number of cycles, got ${value}`);
    return BigInt(value);
  }
  if (typeof value !== "string") throw new TypeError(`run length must be cycles or a string like "10ms", got ${typeof value}`);
  const m = /^\s*(\d+(?:\.\d+)?)\s*(s|ms|us|µs|ns|cycles?)?\s*$/.exec(value);
  if (!m) throw new RangeError(`run length "${value}" is not a number with a unit (s, ms, us, ns, cycles)`);
  const amount = Number(m[1]);
  const unit = m[2] ?? "cycles";
  const cycles = unit.startsWith("cycle") ? amount : Math.round(amount * UNITS[unit] * sysclkHz);
  if (!Number.isFinite(cycles) || cycles <= 0) throw new RangeError(`run length "${value}" must be positive`);
  return BigInt(Math.round(cycles));
}
