import {spawnSync} from 'node:child_process'
import {closeSync, constants, ftruncateSync, openSync, writeSync} from 'node:fs'
import {UserError} from '../core/errors.js'
import {EXIT} from '../core/exit-codes.js'
import type {Dir} from '../fs/safe-dir.js'

/**
 * One writer at a time per seccomp root: an exclusive flock(2) on `<root>/.seccomp-recorder.lock`.
 *
 * Node has no flock, so util-linux's flock(1) takes it for us on a descriptor we hand down as its fd 3. A flock
 * belongs to the open file description, which this process keeps open after flock(1) exits: the lock is ours
 * until we close the descriptor — or until we die, kill -9 included, when the kernel drops it. No stale-lock
 * guessing (pid files, ages) is needed, and it works across PID namespaces on the same file system.
 * The lock file stays in place (removing it would race with the next locker); it holds the last holder's pid.
 */

export const LOCK_FILE = '.seccomp-recorder.lock'
export const DEFAULT_LOCK_TIMEOUT_MS = 30_000
/** flock(1)'s exit status when the lock could not be taken in time (set with -E). */
const TIMED_OUT = 75

export async function withRootLock<T>(root: Dir, timeoutMs: number, body: () => T | Promise<T>): Promise<T> {
  let fd: number
  try {
    fd = openSync(root.at(LOCK_FILE), constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o644)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ELOOP') throw new UserError(`refusing to follow the symlink ${root.display(LOCK_FILE)}`, {exit: EXIT.REFUSED, code: 'symlink'})
    throw new UserError(`cannot open the lock file ${root.display(LOCK_FILE)}: ${(error as Error).message}`, {
      exit: code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? EXIT.PREREQUISITE : EXIT.RUNTIME,
      code: 'lock',
      suggestions: ['The kubelet seccomp root belongs to root: run as root, or publish into a directory you own with --root.'],
    })
  }
  try {
    const run = spawnSync('flock', ['--exclusive', '--wait', String(timeoutMs / 1000), '--conflict-exit-code', String(TIMED_OUT), '3'], {
      stdio: ['ignore', 'ignore', 'pipe', fd],
      encoding: 'utf8',
      timeout: timeoutMs + 10_000,
    })
    if (run.error) {
      const missing = (run.error as NodeJS.ErrnoException).code === 'ENOENT'
      throw new UserError(missing ? 'flock(1) is not installed: publish locks the seccomp root with it' : `cannot lock ${root.display(LOCK_FILE)}: ${run.error.message}`, {
        exit: missing ? EXIT.PREREQUISITE : EXIT.RUNTIME,
        code: 'lock',
        suggestions: missing ? ['Install util-linux (Debian: apt-get install util-linux).'] : [],
      })
    }
    if (run.status === TIMED_OUT) {
      const holder = readHolder(root)
      throw new UserError(`another publisher${holder ? ` (pid ${holder})` : ''} has held ${root.display(LOCK_FILE)} for more than ${timeoutMs / 1000} s`, {
        exit: EXIT.CONFLICT,
        code: 'lock-timeout',
        suggestions: ['Wait for it to finish and run the command again.'],
      })
    }
    if (run.status !== 0) {
      throw new UserError(`cannot lock ${root.display(LOCK_FILE)}: flock exited with ${run.status ?? run.signal}: ${run.stderr.trim()}`, {exit: EXIT.RUNTIME, code: 'lock'})
    }
    // For the message of whoever waits on us next; no correctness depends on it.
    ftruncateSync(fd, 0)
    writeSync(fd, `${process.pid}\n`, 0)
    return await body()
  } finally {
    closeSync(fd)
  }
}

function readHolder(root: Dir): string | undefined {
  try {
    // Never follows a symlink, never blocks on a FIFO, reads a pid's worth at most.
    const state = root.readFile(LOCK_FILE, {maxBytes: 64})
    const text = state.kind === 'file' ? state.bytes.toString('utf8').trim() : ''
    return /^[0-9]+$/.test(text) ? text : undefined
  } catch {
    return undefined
  }
}
