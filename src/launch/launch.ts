import {mkdir, rm} from 'node:fs/promises'
import {execa} from 'execa'
import {namespaceLockPath, recordMarkerPath, targetAdds, unionTargets} from '../spool/layout.js'
import {writeFileAtomic} from '../fs/atomic-write.js'
import {acquireLock, type HeldLock} from '../fs/lock.js'
import {helperFailure, readTarget, removeTarget, type Boundary, type KernelTarget} from '../kernel/native-helper.js'

export interface LaunchResult {
  /** The command's exit status, or 128 + signal number when a signal ended it (as shells report it). */
  exitCode: number
  signal: string | null
  durationMs: number
}

export interface RecordedRun extends LaunchResult {
  target: KernelTarget
}

const SIGNALS_TO_FORWARD = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const

export interface RecordOptions {
  boundary?: Boundary
  stdoutToStderr?: boolean
  /**
   * The hook's spool (config `spool`). While the command runs and until its target is removed, `record` holds
   * ns.<ns_id>.lock there: `gc` leaves a target alone while a live `record` owns it, and salvages it once the
   * `record` process was killed (the lock is then stale).
   */
  spool?: string
  /**
   * Called with the recorded syscalls before the target is removed from the kernel (and again if more were marked
   * meanwhile): what must survive a kill -9 is written here. `marking(path)` tells gc, before the write, where
   * the recording goes, so a `record` killed after writing it and before removing the target is not saved twice.
   */
  persist?: (
    target: KernelTarget,
    status: Omit<LaunchResult, 'durationMs'>,
    marking: (path: string) => Promise<void>,
  ) => Promise<void>
}

/**
 * Runs `command` through the helper's `launch`: the helper moves into a private mount namespace, registers it
 * (recording starts at the command's execve, so the helper's own set-up is excluded), and execs the command.
 * Children stay recorded. When the command exits, its target is read, handed to `persist`, then removed: killed
 * at any point, either the recording is written or the target is still there for `gc` to salvage.
 * The command's stdout goes to ours, or to our stderr when ours carries JSON or the profile.
 */
export async function recordCommand(
  helper: string,
  command: string[],
  options: RecordOptions = {},
): Promise<RecordedRun> {
  const started = performance.now()
  let claim: Promise<HeldLock | undefined> | undefined
  const onLine = (line: string) => {
    if (options.spool === undefined || claim !== undefined || !line.startsWith('{"mntns"')) return
    try {
      claim = claimNamespace(options.spool, JSON.parse(line) as {mntns: number; ns_id?: number})
    } catch {
      // not the helper's line after all: the report check below says so
    }
  }
  const {report, result} = await runWithReadyFd(
    helper,
    ['launch', '--boundary', options.boundary ?? 'exec'],
    command,
    options.stdoutToStderr,
    onLine,
  )
  const lock = await claim
  const registered = report.find((l) => l.startsWith('{"mntns"'))
  const failed = report.find((l) => l.startsWith('{"error"'))
  try {
    if (failed !== undefined || registered === undefined)
      throw helperFailure(result.exitCode, failed ?? '', `cannot record ${command[0]}`)
    const ns = JSON.parse(registered) as {mntns: number; ns_id?: number}
    const durationMs = performance.now() - started
    let marker: string | undefined
    const marking = async (path: string) => {
      if (lock === undefined || options.spool === undefined) return
      marker = recordMarkerPath(options.spool, ns)
      await writeFileAtomic(marker, `${JSON.stringify({recording: path})}\n`, {mode: 0o600})
    }
    const status = exitStatus(result.exitCode, result.signal)
    // Nothing to persist: the removal's snapshot is the whole recording (one helper call).
    if (!options.persist) return {...status, durationMs, target: await removeTarget(helper, ns.mntns)}
    let target = await readTarget(helper, ns.mntns)
    // A persist that fails (an unwritable store) must not leave the target registered: remove it, then report.
    const persistFailed = await options.persist(target, status, marking).then(
      () => undefined,
      (error: unknown) => ({error}),
    )
    const removed = await removeTarget(helper, ns.mntns)
    if (persistFailed) throw persistFailed.error
    if (targetAdds(target, removed)) {
      target = unionTargets(target, removed)
      await options.persist(target, status, marking)
    }
    if (marker !== undefined) await rm(marker, {force: true})
    return {...status, durationMs, target}
  } finally {
    await lock?.release().catch(() => undefined)
  }
}

/** Takes ns.<ns_id>.lock in the spool for a `record` run; without it (no spool, a lock error) recording goes on. */
async function claimNamespace(spool: string, ns: {mntns: number; ns_id?: number}): Promise<HeldLock | undefined> {
  try {
    await mkdir(spool, {recursive: true, mode: 0o700})
    return await acquireLock(namespaceLockPath(spool, ns), {timeoutMs: 5000, what: `mount namespace ${ns.mntns}`})
  } catch {
    return undefined
  }
}

/**
 * Runs a helper subcommand that becomes COMMAND. fd 3 carries the helper's word: {"mntns":N} once registered
 * (launch), then EOF when the exec succeeded (the descriptor is close-on-exec) or an {"error":…} line when not.
 * Signals sent to us are passed on, so an interrupted command still ends with its recording read.
 */
async function runWithReadyFd(
  helper: string,
  args: string[],
  command: string[],
  stdoutToStderr = false,
  onLine?: (line: string) => void,
) {
  const child = execa(helper, [...args, '--ready-fd', '3', '--', ...command], {
    stdio: ['inherit', stdoutToStderr ? process.stderr : 'inherit', 'inherit', 'pipe'],
    reject: false,
  })
  const forward = (signal: NodeJS.Signals) => child.kill(signal)
  for (const signal of SIGNALS_TO_FORWARD) process.on(signal, forward)
  try {
    const [report, result] = await Promise.all([readAll(child.stdio[3] as NodeJS.ReadableStream, onLine), child])
    return {report: report.split('\n').filter(Boolean), result}
  } finally {
    for (const signal of SIGNALS_TO_FORWARD) process.off(signal, forward)
  }
}

function exitStatus(exitCode: number | undefined, signal: string | undefined): Omit<LaunchResult, 'durationMs'> {
  if (signal) {
    const numbers: Record<string, number> = {
      SIGHUP: 1,
      SIGINT: 2,
      SIGQUIT: 3,
      SIGILL: 4,
      SIGTRAP: 5,
      SIGABRT: 6,
      SIGBUS: 7,
      SIGFPE: 8,
      SIGKILL: 9,
      SIGSEGV: 11,
      SIGPIPE: 13,
      SIGALRM: 14,
      SIGTERM: 15,
      SIGSYS: 31,
    }
    return {exitCode: 128 + (numbers[signal] ?? 0), signal}
  }
  return {exitCode: exitCode ?? 0, signal: null}
}

/** Reads a stream to its end; onLine sees each complete line as soon as it arrives. */
async function readAll(stream: NodeJS.ReadableStream, onLine?: (line: string) => void): Promise<string> {
  let text = ''
  let seen = 0
  for await (const chunk of stream) {
    text += chunk.toString()
    for (let nl = text.indexOf('\n', seen); nl >= 0; nl = text.indexOf('\n', seen)) {
      onLine?.(text.slice(seen, nl))
      seen = nl + 1
    }
  }
  return text
}

/** Runs `command` under the seccomp filter described by `specPath` (see enforce.ts); stdio passes through. */
export async function enforceCommand(
  helper: string,
  specPath: string,
  command: string[],
  options: {log?: boolean; stdoutToStderr?: boolean} = {},
): Promise<LaunchResult> {
  const started = performance.now()
  const {report, result} = await runWithReadyFd(
    helper,
    ['enforce', '--spec', specPath, ...(options.log ? ['--log'] : [])],
    command,
    options.stdoutToStderr,
  )
  const failed = report.find((l) => l.startsWith('{"error"'))
  if (failed !== undefined) throw helperFailure(result.exitCode, failed, `cannot run ${command[0]} under the profile`)
  return {...exitStatus(result.exitCode, result.signal), durationMs: performance.now() - started}
}
