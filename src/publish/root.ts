import {join, resolve} from 'node:path'
import {isUserError, UserError} from '../core/errors.js'
import {EXIT} from '../core/exit-codes.js'
import {DEFAULT_SECCOMP_ROOT} from '../core/paths.js'
import {acquireLock, readLockOwner, type HeldLock} from '../fs/lock.js'
import {Dir, type FileState} from '../fs/safe-dir.js'
import type {ProfileLocation} from './names.js'

/**
 * The seccomp root from `--root` (the directory itself) or `--kubelet-root-dir` (as the kubelet's `--root-dir`:
 * profiles go to its `seccomp/`), default /var/lib/kubelet/seccomp. Absolute, resolved against the working directory.
 */
export function seccompRoot(options: {root?: string; kubeletRootDir?: string}): string {
  if (options.root !== undefined && options.kubeletRootDir !== undefined) {
    throw new UserError('--root and --kubelet-root-dir name the same directory two ways: give one', {
      exit: EXIT.USAGE,
      code: 'usage',
    })
  }
  const given =
    options.root ??
    (options.kubeletRootDir === undefined ? DEFAULT_SECCOMP_ROOT : join(options.kubeletRootDir, 'seccomp'))
  if (given === '' || given.includes('\0'))
    throw new UserError('the seccomp root must be a non-empty path without NUL bytes', {
      exit: EXIT.REFUSED,
      code: 'hostile-name',
    })
  return resolve(given)
}

/** What is at a profile's location, walking its directories without creating or following anything. */
export function profileState(root: Dir, location: ProfileLocation): FileState {
  const dir = root.walk(location.dirs, {create: false})
  if (dir === undefined) return {kind: 'missing'}
  try {
    return dir.readFile(location.file)
  } finally {
    dir.close()
  }
}

/** The absolute path of a profile below the root. */
export function profilePath(root: string, location: ProfileLocation): string {
  return join(root, location.localhostProfile)
}

/** The seccomp root's lock file: one writer at a time per root (publish, unpublish). */
export const LOCK_FILE = '.seccomp-recorder.lock'
export {DEFAULT_LOCK_TIMEOUT_MS} from '../fs/lock.js'

/**
 * Runs body holding the seccomp root's lock — the lock of src/fs/lock.ts (flock(2): a killed publisher's lock
 * goes with it, also in another PID namespace) on `<root>/.seccomp-recorder.lock`, opened through the checked
 * root directory — with publish's wording for what goes wrong.
 */
export async function withRootLock<T>(root: Dir, timeoutMs: number, body: () => T | Promise<T>): Promise<T> {
  let lock: HeldLock
  try {
    lock = await acquireLock(root.at(LOCK_FILE), {timeoutMs, what: root.display(LOCK_FILE)})
  } catch (error) {
    throw rootLockError(root, timeoutMs, error)
  }
  try {
    return await body()
  } finally {
    await lock.release()
  }
}

function rootLockError(root: Dir, timeoutMs: number, error: unknown): unknown {
  if (isUserError(error)) {
    if (error.code === 'lock-timeout') {
      const holder = readLockOwner(root.at(LOCK_FILE))?.pid
      return new UserError(
        `another publisher${holder ? ` (pid ${holder})` : ''} has held ${root.display(LOCK_FILE)} for more than ${timeoutMs / 1000} s`,
        {
          exit: EXIT.CONFLICT,
          code: 'lock-timeout',
          suggestions: ['Wait for it to finish and run the command again.'],
        },
      )
    }
    if (error.code === 'symlink')
      return new UserError(`refusing to follow the symlink ${root.display(LOCK_FILE)}`, {
        exit: EXIT.REFUSED,
        code: 'symlink',
      })
    if (error.code === 'not-a-file')
      return new UserError(`the lock file ${root.display(LOCK_FILE)} is not a regular file`, {
        exit: EXIT.REFUSED,
        code: 'not-a-file',
      })
    return error
  }
  const code = (error as NodeJS.ErrnoException).code
  return new UserError(`cannot open the lock file ${root.display(LOCK_FILE)}: ${(error as Error).message}`, {
    exit: code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? EXIT.PREREQUISITE : EXIT.RUNTIME,
    code: 'lock',
    suggestions: [
      'The kubelet seccomp root belongs to root: run as root, or publish into a directory you own with --root.',
    ],
  })
}
