import {execa} from 'execa'
import {helperFailure, removeTarget, type Boundary, type KernelTarget} from './native-helper.js'

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

/**
 * Runs `command` through the helper's `launch`: the helper moves into a private mount namespace, registers it
 * (recording starts at the command's execve, so the helper's own set-up is excluded), and execs the command.
 * Children stay recorded. When the command exits, its target is read and removed in one step.
 * The command's stdout goes to ours, or to our stderr when ours carries JSON or the profile.
 */
export async function recordCommand(helper: string, command: string[], options: {boundary?: Boundary; stdoutToStderr?: boolean} = {}): Promise<RecordedRun> {
  const started = performance.now()
  const {report, result} = await runWithReadyFd(helper, ['launch', '--boundary', options.boundary ?? 'exec'], command, options.stdoutToStderr)
  const registered = report.find((l) => l.startsWith('{"mntns"'))
  const failed = report.find((l) => l.startsWith('{"error"'))
  if (failed !== undefined || registered === undefined) throw helperFailure(result.exitCode, failed ?? '', `cannot record ${command[0]}`)
  const {mntns} = JSON.parse(registered) as {mntns: number}
  const durationMs = performance.now() - started
  const target = await removeTarget(helper, mntns)
  return {...exitStatus(result.exitCode, result.signal), durationMs, target}
}

/**
 * Runs a helper subcommand that becomes COMMAND. fd 3 carries the helper's word: {"mntns":N} once registered
 * (launch), then EOF when the exec succeeded (the descriptor is close-on-exec) or an {"error":…} line when not.
 * Signals sent to us are passed on, so an interrupted command still ends with its recording read.
 */
async function runWithReadyFd(helper: string, args: string[], command: string[], stdoutToStderr = false) {
  const child = execa(helper, [...args, '--ready-fd', '3', '--', ...command], {
    stdio: ['inherit', stdoutToStderr ? process.stderr : 'inherit', 'inherit', 'pipe'],
    reject: false,
  })
  const forward = (signal: NodeJS.Signals) => child.kill(signal)
  for (const signal of SIGNALS_TO_FORWARD) process.on(signal, forward)
  try {
    const [report, result] = await Promise.all([readAll(child.stdio[3] as NodeJS.ReadableStream), child])
    return {report: report.split('\n').filter(Boolean), result}
  } finally {
    for (const signal of SIGNALS_TO_FORWARD) process.off(signal, forward)
  }
}

function exitStatus(exitCode: number | undefined, signal: string | undefined): Omit<LaunchResult, 'durationMs'> {
  if (signal) {
    const numbers: Record<string, number> = {SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15, SIGSYS: 31}
    return {exitCode: 128 + (numbers[signal] ?? 0), signal}
  }
  return {exitCode: exitCode ?? 0, signal: null}
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = ''
  for await (const chunk of stream) text += chunk.toString()
  return text
}

/** Runs `command` under the seccomp filter described by `specPath` (see enforce.ts); stdio passes through. */
export async function enforceCommand(helper: string, specPath: string, command: string[], options: {log?: boolean; stdoutToStderr?: boolean} = {}): Promise<LaunchResult> {
  const started = performance.now()
  const {report, result} = await runWithReadyFd(helper, ['enforce', '--spec', specPath, ...(options.log ? ['--log'] : [])], command, options.stdoutToStderr)
  const failed = report.find((l) => l.startsWith('{"error"'))
  if (failed !== undefined) throw helperFailure(result.exitCode, failed, `cannot run ${command[0]} under the profile`)
  return {...exitStatus(result.exitCode, result.signal), durationMs: performance.now() - started}
}
