/**
 * The one exit-code table of seccomp-recorder. Every command exits with one of these;
 * `seccomp-recorder --help` prints the table and test/cli/cli.test.ts keeps help, README and code in step.
 */
export const EXIT = {
  OK: 0,
  /** A check did not pass: invalid profile, differences found by `diff`, `merge --check` not a superset. */
  CHECK_FAILED: 1,
  /**
   * Bad flags or arguments, or an input file that cannot be read or parsed as what the command needs: also an input
   * that is not a regular file or is over its size cap, and an output that is a directory, socket or block device.
   */
  USAGE: 2,
  /** Refused by policy: a path outside the configured roots, a hostile name, a bad config file. */
  REFUSED: 3,
  /** A prerequisite is missing: not root, no BTF, no tracefs or bpffs, no clang or libbpf, BPF unavailable. */
  PREREQUISITE: 4,
  /** Recording, the native helper or a container runtime failed while running. */
  RUNTIME: 5,
  /** The target exists and differs (publish without --force), a lock could not be taken in time, or `wait` timed out. */
  CONFLICT: 6,
  /** `record`/`run`: the command could not be started (not found, not executable). */
  CANNOT_EXECUTE: 127,
} as const

export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

export const EXIT_CODE_TABLE: ReadonlyArray<{code: ExitCode; name: keyof typeof EXIT; meaning: string}> = [
  {code: EXIT.OK, name: 'OK', meaning: 'success; for diff and merge --check: no finding'},
  {
    code: EXIT.CHECK_FAILED,
    name: 'CHECK_FAILED',
    meaning:
      'a check failed: invalid profile, differences (diff --fail-on), merge --check not a superset, drift findings',
  },
  {
    code: EXIT.USAGE,
    name: 'USAGE',
    meaning:
      'bad flags or arguments; input unreadable, not a regular file, too large or not parseable; output a directory, socket or block device',
  },
  {
    code: EXIT.REFUSED,
    name: 'REFUSED',
    meaning: 'refused by policy: path outside the configured roots, hostile name, bad config',
  },
  {
    code: EXIT.PREREQUISITE,
    name: 'PREREQUISITE',
    meaning: 'a prerequisite is missing (root, BTF, tracefs/bpffs, clang, libbpf); see `status`',
  },
  {code: EXIT.RUNTIME, name: 'RUNTIME', meaning: 'recording, the native helper or a container runtime failed'},
  {
    code: EXIT.CONFLICT,
    name: 'CONFLICT',
    meaning: 'target exists and differs (use --force), a lock timed out, or `wait` timed out',
  },
  {
    code: EXIT.CANNOT_EXECUTE,
    name: 'CANNOT_EXECUTE',
    meaning: "record/run: the command could not be started; otherwise record/run exit with the command's own status",
  },
]

/** The table as shown in `--help` and in the README. */
export function formatExitCodeTable(): string {
  return EXIT_CODE_TABLE.map(({code, meaning}) => `${String(code).padStart(3)}  ${meaning}`).join('\n')
}
