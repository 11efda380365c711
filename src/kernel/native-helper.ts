import {existsSync, statSync} from 'node:fs'
import {readdir} from 'node:fs/promises'
import {dirname, join} from 'node:path'
import {execa} from 'execa'
import {UserError, type ErrorCode} from '../core/errors.js'
import {EXIT} from '../core/exit-codes.js'
import {PACKAGE_ROOT} from '../core/paths.js'
import type {KernelSyscalls} from '../syscalls/syscall-set.js'
import {argumentsProblem, type ArgumentsBySyscall} from '../syscalls/arguments.js'
import {
  HELPER_EXIT_CODE,
  HELPER_REASONS,
  type HelperExitName,
  type HelperReason,
} from '../core/helper-codes.generated.js'
import type {QuotaExceeded} from './quotas.js'

/**
 * Drives the native helper (`bpf/main.c` and the files beside it, built with clang against the kernel's BTF): it loads and pins the
 * BPF recorder, registers targets, reads and removes their syscalls, and launches commands recorded or enforced.
 * The helper has no policy; this module turns its JSON and exit codes into types and UserErrors. Its exit codes and
 * failure reasons come from one table, bpf/helper-codes.def (generated into src/core/helper-codes.generated.ts).
 */

const BUILD_SCRIPT = join(PACKAGE_ROOT, 'bpf', 'build.sh')
const SOURCES_DIR = join(PACKAGE_ROOT, 'bpf')

/** Where the helper binary is: $SECCOMP_RECORDER_HELPER, else the package's build directory. */
export function helperPath(env: NodeJS.ProcessEnv = process.env): string {
  return (
    env.SECCOMP_RECORDER_HELPER ??
    join(env.SECCOMP_RECORDER_BUILD_DIR ?? join(PACKAGE_ROOT, 'build'), 'seccomp-recorder-helper')
  )
}

/** A target's syscalls as the kernel recorded them: numbers per ABI (x32 without its 0x40000000 bit). */
export interface KernelTarget {
  mntns: number
  /** The namespace's 64-bit id, never reused (Linux ≥ 6.8; 0 when unknown). */
  ns_id?: number
  state: 'armed' | 'recording' | 'exited'
  exited: boolean
  /** Syscalls the kernel could not store (map full): a recording with lost > 0 is incomplete. */
  lost: number
  /** The recorder's programs were detached for a while (its pins removed): syscalls were missed. */
  interrupted: boolean
  /** Refused because this recording reached a kernel quota (non-zero: incomplete); absent from older helpers. */
  quota?: QuotaExceeded
  nested: number[]
  syscalls: KernelSyscalls
  /** Argument values seen for the curated syscalls, native ABI only. Absent when the helper records none. */
  args?: ArgumentsBySyscall
}

export interface HelperStatus {
  attached: boolean
  follows_nested: boolean
  tracks_exit?: boolean
  /** Own entries have owner === mntns and state armed|recording; nested namespaces have state 'nested'. */
  targets: Array<{mntns: number; ns_id?: number; owner: number; state: string; args?: ArgumentsBySyscall}>
  prog_ids: number[]
}

export type Boundary = 'exec' | 'seccomp' | 'exec,seccomp' | 'all'

/** What each helper exit code (bpf/helper-codes.def) means for us. */
const HELPER_EXIT: Record<
  Exclude<HelperExitName, 'OK'>,
  {exit: (typeof EXIT)[keyof typeof EXIT]; suggestions: string[]}
> = {
  USAGE: {exit: EXIT.USAGE, suggestions: []},
  NO_TARGET: {
    exit: EXIT.RUNTIME,
    suggestions: ['The recording target is gone: was it removed by another process, or did `seccomp-recorder gc` run?'],
  },
  NO_BPF: {
    exit: EXIT.PREREQUISITE,
    suggestions: ['Run `seccomp-recorder status` to see which prerequisite is missing and how to fix it.'],
  },
  FULL: {
    exit: EXIT.RUNTIME,
    suggestions: [
      'Too many recordings are active at once; wait for some to finish or remove stale ones with `seccomp-recorder gc`.',
    ],
  },
  RUNTIME: {exit: EXIT.RUNTIME, suggestions: []},
  EXEC: {exit: EXIT.CANNOT_EXECUTE, suggestions: []},
}

/** The name of a helper exit code, if it is one of the table's. */
function helperExitName(exitCode: number): HelperExitName | undefined {
  return (Object.keys(HELPER_EXIT_CODE) as HelperExitName[]).find((name) => HELPER_EXIT_CODE[name] === exitCode)
}

export function isHelperReason(value: unknown): value is HelperReason {
  return typeof value === 'string' && Object.hasOwn(HELPER_REASONS, value)
}

/** The UserError code of a helper failure with this reason: compare `error.code` against it, so a typo fails to compile. */
export const helperErrorCode = (reason: HelperReason | 'unknown' | 'failed') => `helper.${reason}` as const

/** The helper's failure line: its message, its reason ('unknown' when missing or not in bpf/helper-codes.def), its errno. */
export interface HelperError {
  error: string
  reason: HelperReason | 'unknown'
  errno?: number
}

/** The last JSON error line the helper printed on stderr, if any. */
export function parseHelperError(stderr: string): HelperError | undefined {
  for (const line of stderr.trim().split('\n').reverse()) {
    try {
      const parsed = JSON.parse(line) as {error?: unknown; reason?: unknown; errno?: unknown}
      if (typeof parsed.error === 'string')
        return {
          error: parsed.error,
          reason: isHelperReason(parsed.reason) ? parsed.reason : 'unknown',
          ...(typeof parsed.errno === 'number' ? {errno: parsed.errno} : {}),
        }
    } catch {
      // not one of the helper's JSON lines
    }
  }
  return undefined
}

export function helperFailure(exitCode: number | undefined, stderr: string, what: string): UserError {
  const parsed = parseHelperError(stderr)
  const name = helperExitName(exitCode ?? HELPER_EXIT_CODE.RUNTIME)
  const mapped = name !== undefined && name !== 'OK' ? HELPER_EXIT[name] : {exit: EXIT.RUNTIME, suggestions: []}
  const reason = parsed?.error ?? (stderr.trim() || `exit code ${exitCode}`)
  return new UserError(`${what}: ${reason}`, {
    exit: mapped.exit,
    code: helperErrorCode(parsed?.reason ?? 'failed'),
    suggestions: mapped.suggestions,
  })
}

/**
 * Makes sure the helper binary exists and is newer than its sources, building it with clang when not.
 * Building is `bpf/build.sh` (CO-RE against /sys/kernel/btf/vmlinux); `onBuild` tells the caller to show progress.
 */
export async function ensureHelper(options: {onBuild?: () => void; env?: NodeJS.ProcessEnv} = {}): Promise<string> {
  const env = options.env ?? process.env
  const path = helperPath(env)
  if (env.SECCOMP_RECORDER_HELPER !== undefined) {
    if (!existsSync(path))
      throw new UserError(`SECCOMP_RECORDER_HELPER=${path} does not exist`, {
        exit: EXIT.PREREQUISITE,
        code: 'no-helper',
      })
    return path
  }
  if (existsSync(path) && !(await sourcesNewerThan(statSync(path).mtimeMs))) return path
  options.onBuild?.()
  const result = await execa('bash', [BUILD_SCRIPT], {
    reject: false,
    env: {...env, BUILD_DIR: dirname(path)},
    all: true,
  })
  if (result.exitCode !== 0 || !existsSync(path)) {
    throw new UserError(`building the BPF recorder failed:\n${result.all ?? ''}`.trimEnd(), {
      exit: EXIT.PREREQUISITE,
      code: 'build-failed',
      suggestions: [
        'Install the build tools: `apt-get install clang llvm libbpf-dev libelf-dev zlib1g-dev libseccomp-dev bpftool`, or run `bash .ci/setup`.',
        'Run `seccomp-recorder status` for the full list of prerequisites.',
      ],
    })
  }
  return path
}

async function sourcesNewerThan(mtimeMs: number): Promise<boolean> {
  const names = await readdir(SOURCES_DIR)
  return names.some((name) => /\.(c|h|def|sh)$/.test(name) && statSync(join(SOURCES_DIR, name)).mtimeMs > mtimeMs)
}

/** Runs one helper subcommand that prints one JSON document. */
export async function runHelper<T>(helper: string, args: string[], what: string): Promise<T> {
  const result = await execa(helper, args, {reject: false, stdin: 'ignore'})
  if (result.exitCode !== 0) throw helperFailure(result.exitCode, result.stderr, what)
  try {
    return JSON.parse(result.stdout) as T
  } catch {
    throw new UserError(`${what}: the helper printed something that is not JSON: ${result.stdout.slice(0, 200)}`, {
      exit: EXIT.RUNTIME,
      code: 'helper.bad-output',
    })
  }
}

/**
 * A target document's `args`, checked against the model (u64 strings, sorted unique tuples, bounded). A `read`
 * whose args do not fit is an error; a `remove` has already taken the target out of the kernel, so its syscalls are
 * kept and only the args are dropped (the syscalls are then allowed by name), with a warning.
 */
export function checkTargetArgs<T extends {args?: unknown}>(target: T, what: string, taken = false): T {
  const problem = target.args === undefined ? undefined : argumentsProblem(target.args, '/args')
  if (problem === undefined) return target
  const message = `${what}: the helper printed argument values that do not fit the model: ${problem}`
  if (!taken) throw new UserError(message, {exit: EXIT.RUNTIME, code: 'helper.bad-output'})
  process.stderr.write(`seccomp-recorder: warning: ${message}; they are dropped (the syscalls stay, allowed by name)\n`)
  const {args: _dropped, ...rest} = target
  return rest as T
}

export const readTarget = async (helper: string, mntns: number) =>
  checkTargetArgs(
    await runHelper<KernelTarget>(helper, ['read', '--mntns', String(mntns)], `reading recording ${mntns}`),
    `reading recording ${mntns}`,
  )
/** Reads and removes a target in one step; the recorder detaches when it was the last one, unless keepAttached. */
export const removeTarget = async (helper: string, mntns: number, options: {keepAttached?: boolean} = {}) =>
  checkTargetArgs(
    await runHelper<KernelTarget & {detached: boolean}>(
      helper,
      ['remove', '--mntns', String(mntns), ...(options.keepAttached ? ['--keep-attached'] : [])],
      `finishing recording ${mntns}`,
    ),
    `finishing recording ${mntns}`,
    true,
  )
export const helperStatus = (helper: string) => runHelper<HelperStatus>(helper, ['list'], 'listing recordings')
/** What `repair` found and did to the pinned recorder (see ensure_pins in bpf/pins.c). */
export interface RecorderRepair {
  attached: boolean
  /** Map pins were missing: pinned again from the running program (nothing lost). */
  repinned: boolean
  /** The programs were detached while recordings were active: attached again, those recordings marked interrupted. */
  reattached: boolean
  /** Leftovers of an interrupted attach (or of another build, idle) were removed. */
  cleaned: boolean
}
export const repairRecorder = (helper: string) =>
  runHelper<RecorderRepair>(helper, ['repair'], "checking the recorder's pins")
/** Detaches the recorder now if no target is left (under the helper's lock). */
export const detachIfIdle = (helper: string) =>
  runHelper<{detached: boolean}>(helper, ['detach-idle', '--after', '0'], 'detaching the idle recorder')
export const detachAll = (helper: string) =>
  runHelper<{detached: boolean}>(helper, ['detach'], 'detaching the recorder')
