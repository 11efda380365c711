import {join, resolve} from 'node:path'
import {UserError} from '../core/errors.js'
import {EXIT} from '../core/exit-codes.js'
import {DEFAULT_SECCOMP_ROOT} from '../core/paths.js'
import {Dir, type FileState} from '../fs/safe-dir.js'
import type {ProfileLocation} from './names.js'


/**
 * The seccomp root from `--root` (the directory itself) or `--kubelet-root-dir` (as the kubelet's `--root-dir`:
 * profiles go to its `seccomp/`), default /var/lib/kubelet/seccomp. Absolute, resolved against the working directory.
 */
export function seccompRoot(options: {root?: string; kubeletRootDir?: string}): string {
  if (options.root !== undefined && options.kubeletRootDir !== undefined) {
    throw new UserError('--root and --kubelet-root-dir name the same directory two ways: give one', {exit: EXIT.USAGE, code: 'usage'})
  }
  const given = options.root ?? (options.kubeletRootDir === undefined ? DEFAULT_SECCOMP_ROOT : join(options.kubeletRootDir, 'seccomp'))
  if (given === '' || given.includes('\0')) throw new UserError('the seccomp root must be a non-empty path without NUL bytes', {exit: EXIT.REFUSED, code: 'hostile-name'})
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
