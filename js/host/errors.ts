/**
 * The kernel's error codes by name (assembly/kernel/errors.ts is the source;
 * tests/host/errors.test.ts checks this table against it), so hosts print
 * `ERR_TASK_LIMIT (-3)`, never 4294967293.
 */
export const ERROR_CODES: Record<number, string> = {
  0: "OK",
  [-1]: "ERR_BAD_PRIORITY",
  [-2]: "ERR_NO_MEMORY",
  [-3]: "ERR_TASK_LIMIT",
  [-4]: "ERR_BAD_STACK",
  [-5]: "ERR_NO_ENTRY",
  [-6]: "ERR_IN_ISR",
  [-7]: "ERR_BAD_IRQ",
  [-8]: "ERR_RESERVED_IRQ",
  [-9]: "ERR_BAD_ARGUMENT",
  [-10]: "ERR_RECURSIVE_LOCK",
  [-11]: "ERR_NOT_OWNER",
  [-12]: "ERR_NOT_LOCKED",
  [-13]: "ERR_WOULD_BLOCK",
  [-14]: "ERR_TIMEOUT",
  [-15]: "ERR_BUSY",
  [-16]: "ERR_LOCK_ABANDONED",
  [-17]: "ERR_TOO_LONG",
};

/** `ERR_TASK_LIMIT (-3)` for a code as the firmware returns it or the trace carries it (a u32 is read as i32). */
export function errorName(code: number): string {
  const signed = code | 0;
  const name = ERROR_CODES[signed];
  return name ? `${name} (${signed})` : `error ${signed}`;
}
