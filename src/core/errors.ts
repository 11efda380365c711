import type {HelperReason} from './helper-codes.generated.js'
import {EXIT, type ExitCode} from './exit-codes.js'

/**
 * Every code a UserError carries, in one place: `--json` prints it as `error.code`, and code that tells failures
 * apart branches on it (a typo is a compile error, not a silently dead branch). Grouped by who raises it.
 */
export const ERROR_CODES = [
  // usage and input (exit 2 unless said otherwise)
  'user-error',
  'usage',
  'unknown-flag',
  'bad-flags',
  'bad-arguments',
  'bad-time',
  'bad-against',
  'bad-kernel-version',
  'bad-name',
  'unknown-command',
  'unknown-architecture',
  'unknown-capability',
  'unknown-recorded-name',
  'too-few-profiles',
  'docker-format',
  'architectures-and-archmap',
  'duplicate-name',
  'stdout-twice',
  'output-needs-one-name',
  'no-such-file',
  'not-a-file',
  'not-a-directory',
  'too-large',
  'unreadable',
  'not-utf8',
  'invalid-profile',
  'invalid-recording',
  'unsupported-action',
  'spo-unrepresentable',
  'merge-conflict',
  // policy (exit 3)
  'hostile-name',
  'symlink',
  'output-refused',
  'config-invalid',
  'config-unreadable',
  'config-overlap',
  'oci-config-invalid',
  'oci-config-unreadable',
  'containerd-config-invalid',
  'containerd-config-refused',
  'not-published',
  'bad-manifest',
  'manifest-damaged',
  // files and locks
  'io',
  'unwritable',
  'unwritable-output',
  'output-failed',
  'conflict',
  'lock',
  'lock-timeout',
  'wait-timeout',
  'lock-foreign',
  'backup',
  'store-unreadable',
  'spool-damaged',
  // recording and the kernel recorder
  'no-helper',
  'no-containerd',
  'no-proc',
  'build-failed',
  'recording-gone',
  'recording-incomplete',
  'recorder-interrupted',
  'interrupted',
  'lost-syscalls',
  'quota-exceeded',
  'no-recordings',
  'no-host-profile',
  'internal',
  // complain mode and drift
  'complain-oci-only',
  'no-enforcing-profile',
  'no-check-runs',
] as const

/**
 * `helper.<reason>`: the native helper failed, with the reason it printed (one of bpf/helper-codes.def);
 * `io.<errno code>`: a system call failed (EACCES, ENOSPC, …).
 */
export type ErrorCode =
  (typeof ERROR_CODES)[number] | `helper.${HelperReason | 'unknown' | 'failed' | 'bad-output'}` | `io.${string}`

/**
 * An error the user can act on: a message, an exit code from the one table, and suggestions.
 * Modules throw it; BaseCommand turns it into oclif's `this.error` so no stack trace is printed.
 */
export class UserError extends Error {
  readonly exit: ExitCode
  readonly suggestions: string[]
  readonly code: ErrorCode

  /** `cause`: the underlying error (e.g. the system error of a failed write), for callers that tell kinds apart. */
  constructor(
    message: string,
    options: {exit?: ExitCode; suggestions?: string[]; code?: ErrorCode; cause?: unknown} = {},
  ) {
    super(message, options.cause === undefined ? undefined : {cause: options.cause})
    this.name = 'UserError'
    this.exit = options.exit ?? EXIT.USAGE
    this.suggestions = options.suggestions ?? []
    this.code = options.code ?? 'user-error'
  }
}

export function isUserError(error: unknown): error is UserError {
  return error instanceof UserError
}
