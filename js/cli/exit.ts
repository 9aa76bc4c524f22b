/**
 * The exit status of `hoprt run`, for CI (docs/cli.md lists them). The
 * first condition met decides; a run that meets none exits 0.
 */
export const EXIT = {
  /** The run ended and every condition held. */
  OK: 0,
  /** Bad input: a missing or invalid file, a bad option, a build error, an unwritable output. */
  USAGE: 1,
  /** --expect-text or a scenario expectation was not met by the end of --for. */
  EXPECT_FAILED: 2,
  /** --fail-text appeared on the console. */
  FAIL_TEXT: 3,
  /** A context panicked (and --allow-panics was not given). */
  PANIC: 4,
  /** The machine stopped: a lockup, a kernel bug, a fatal fault, a boot failure or a firmware the host cannot trust. */
  MACHINE_STOPPED: 5,
  /** Interrupted (Ctrl-C, SIGINT/SIGTERM). */
  INTERRUPTED: 130,
} as const;
