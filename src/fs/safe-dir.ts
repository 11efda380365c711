import {
  closeSync,
  constants,
  existsSync,
  fchmodSync,
  fstatSync,
  fsyncSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmdirSync,
  unlinkSync,
  writeSync,
} from 'node:fs'
import {basename, join} from 'node:path'
import {UserError, type ErrorCode} from '../core/errors.js'
import {EXIT} from '../core/exit-codes.js'
import {AtomicWriteError, leftoverTempPid, processAlive, writeFileAtomicSync} from './atomic-write.js'
import {formatSize} from './bounded-read.js'
import {describeFileType} from './file-type.js'

/**
 * Directory handles that never follow a symlink below the root. Node has no openat(2), but Linux resolves
 * `/proc/self/fd/N/name` from the directory that descriptor N holds open: every lookup here starts at an open
 * directory and names one component, opened with O_NOFOLLOW. Swapping a directory for a symlink after we
 * checked it cannot redirect a write, because we never look the path up again from the top.
 *
 * Writes are atomic, by the one protocol of atomic-write.ts (temp file in the same directory, fsync, rename over
 * the target, fsync the directory), run relative to the open directory.
 */

const {O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_DIRECTORY, O_NONBLOCK, O_NOCTTY} = constants
export const FILE_MODE = 0o644
export const DIR_MODE = 0o755

/** Files larger than this are not read whole (no profile is; such a file simply differs). */
const MAX_READ_BYTES = 64 * 1024 * 1024

export type FileState =
  {kind: 'missing'} | {kind: 'file'; bytes: Buffer} | {kind: 'symlink'} | {kind: 'other'; what: string}

function refused(message: string, code: ErrorCode, suggestions: string[] = []): UserError {
  return new UserError(message, {exit: EXIT.REFUSED, code, suggestions})
}

function errno(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code
}

/** Wraps an unexpected file-system error with the path it happened on. */
function ioError(error: unknown, action: string, path: string): UserError {
  const code = errno(error)
  const why =
    code === 'EACCES' || code === 'EPERM'
      ? 'permission denied'
      : code === 'EROFS'
        ? 'read-only file system'
        : code === 'ENOSPC'
          ? 'no space left on the device'
          : (error as Error).message
  return new UserError(`cannot ${action} ${path}: ${why}`, {
    exit: code === 'EACCES' || code === 'EPERM' ? EXIT.PREREQUISITE : EXIT.RUNTIME,
    code: 'io',
    suggestions:
      code === 'EACCES' || code === 'EPERM'
        ? ['The kubelet seccomp root belongs to root: run as root, or publish into a directory you own with --root.']
        : [],
    cause: error,
  })
}

export class Dir {
  private closed = false

  private constructor(
    readonly fd: number,
    /** The real path, for messages and results. */
    readonly path: string,
  ) {}

  /**
   * Opens the root directory (creating it, 0755, with its parents when `create`). The root itself is trusted and
   * may be a symlink (e.g. /var/lib/kubelet on another disk); nothing below it may be. Undefined when it is
   * missing and `create` is false.
   */
  static openRoot(root: string, options: {create: boolean}): Dir | undefined {
    if (!existsSync('/proc/self/fd')) {
      throw new UserError(
        '/proc is not mounted: publish needs /proc/self/fd to open directories without following symlinks',
        {exit: EXIT.PREREQUISITE, code: 'no-proc'},
      )
    }
    if (options.create) {
      try {
        mkdirSync(root, {recursive: true, mode: DIR_MODE})
      } catch (error) {
        if (errno(error) === 'EEXIST' || errno(error) === 'ENOTDIR')
          throw refused(`the seccomp root ${root} exists and is not a directory`, 'not-a-directory')
        throw ioError(error, 'create the seccomp root', root)
      }
    }
    let fd: number
    try {
      fd = openSync(root, O_RDONLY | O_DIRECTORY)
    } catch (error) {
      if (errno(error) === 'ENOENT') return undefined
      if (errno(error) === 'ENOTDIR') throw refused(`the seccomp root ${root} is not a directory`, 'not-a-directory')
      throw ioError(error, 'open the seccomp root', root)
    }
    return new Dir(fd, root)
  }

  /** `/proc/self/fd/N/name`: the entry `name` of this open directory. */
  at(name: string): string {
    if (this.closed) throw new Error(`directory ${this.path} is closed`)
    return `/proc/self/fd/${this.fd}/${name}`
  }

  display(name: string): string {
    return join(this.path, name)
  }

  /**
   * Opens the subdirectory `name` without following a symlink. Missing: created 0755 (and this directory
   * fsynced, so the new entry survives a crash) when `create`, else undefined. A symlink or non-directory
   * is refused. `created` collects the paths of directories made.
   */
  child(name: string, options: {create: boolean; created?: string[]}): Dir | undefined {
    for (let attempt = 0; ; attempt++) {
      try {
        return new Dir(openSync(this.at(name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW), this.display(name))
      } catch (error) {
        const code = errno(error)
        if (code === 'ENOENT') {
          if (!options.create) return undefined
          try {
            mkdirSync(this.at(name), DIR_MODE)
          } catch (mkdirError) {
            // Someone else made it meanwhile: open what is there (and check it) on the next round.
            if (errno(mkdirError) === 'EEXIST' && attempt < 3) continue
            throw ioError(mkdirError, 'create the directory', this.display(name))
          }
          const made = openSync(this.at(name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
          fchmodSync(made, DIR_MODE) // not subject to the umask
          fsyncSync(this.fd)
          options.created?.push(this.display(name))
          return new Dir(made, this.display(name))
        }
        if (code === 'ELOOP' || code === 'ENOTDIR') {
          let what = 'not a directory'
          try {
            what = describeFileType(lstatSync(this.at(name)).mode)
          } catch {
            // vanished meanwhile: keep the generic wording
          }
          if (what === 'a symlink') {
            throw refused(
              `refusing to follow the symlink ${this.display(name)}: every directory below the seccomp root must be a real directory`,
              'symlink',
              [
                'A symlink below the kubelet seccomp root could send a write anywhere on the host; replace it with a directory.',
              ],
            )
          }
          throw refused(`${this.display(name)} is ${what}, not a directory`, 'not-a-directory')
        }
        throw ioError(error, 'open the directory', this.display(name))
      }
    }
  }

  /** Walks `segments` below this directory (see `child`). Undefined when one is missing and `create` is false. */
  walk(segments: readonly string[], options: {create: boolean; created?: string[]}): Dir | undefined {
    let current: Dir = this
    for (const segment of segments) {
      let next: Dir | undefined
      try {
        next = current.child(segment, options)
      } finally {
        if (current !== this) current.close()
      }
      if (next === undefined) return undefined
      current = next
    }
    // Always hand back a handle the caller may close.
    return current === this ? new Dir(openSync(this.at('.'), O_RDONLY | O_DIRECTORY), this.path) : current
  }

  /** What is at `name`: never follows a symlink, never blocks on a FIFO, never reads more than `maxBytes`. */
  readFile(name: string, options: {maxBytes?: number} = {}): FileState {
    const maxBytes = options.maxBytes ?? MAX_READ_BYTES
    let fd: number
    try {
      // Looked at first, so a device a pod placed in its directory is refused without being opened.
      const before = lstatSync(this.at(name))
      if (before.isSymbolicLink()) return {kind: 'symlink'}
      if (!before.isFile()) return {kind: 'other', what: describeFileType(before.mode)}
      fd = openSync(this.at(name), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY)
    } catch (error) {
      const code = errno(error)
      if (code === 'ENOENT') return {kind: 'missing'}
      if (code === 'ELOOP') return {kind: 'symlink'}
      if (code === 'ENXIO') return {kind: 'other', what: 'a socket'}
      throw ioError(error, 'read', this.display(name))
    }
    try {
      const stat = fstatSync(fd)
      if (!stat.isFile()) return {kind: 'other', what: describeFileType(stat.mode)}
      if (stat.size > maxBytes)
        return {kind: 'other', what: `a file larger than ${formatSize(maxBytes)} (${stat.size} bytes)`}
      const bytes = Buffer.alloc(stat.size)
      let offset = 0
      while (offset < bytes.length) {
        const n = readSync(fd, bytes, offset, bytes.length - offset, offset)
        if (n === 0) break
        offset += n
      }
      return {kind: 'file', bytes: bytes.subarray(0, offset)}
    } finally {
      closeSync(fd)
    }
  }

  /**
   * Replaces `name` atomically with `bytes` (mode 0644, whatever the umask) by the one atomic-write protocol
   * (atomic-write.ts), run relative to this checked directory. Whoever reads `name` sees the old or the new
   * content, never a mix, even across a crash. A device, FIFO, socket or directory at `name` is refused.
   */
  writeFileAtomic(
    name: string,
    bytes: Uint8Array,
    options: {afterPartialWrite?: (tempPath: string) => void} = {},
  ): void {
    try {
      writeFileAtomicSync(this.at(''), name, bytes, {
        mode: FILE_MODE,
        exactMode: true,
        beforeRename: () => this.refuseToReplace(name),
        afterPartialWrite: options.afterPartialWrite,
      })
    } catch (error) {
      if (!(error instanceof AtomicWriteError)) throw error
      if (error.step === 'create') throw ioError(error.cause, 'create a temp file in', this.path)
      if (error.step === 'write') throw ioError(error.cause, 'write', this.display(basename(error.tempPath)))
      throw ioError(error.cause, 'replace', this.display(name))
    }
  }

  /**
   * Only a regular file (or a symlink, which is replaced itself and never followed) may be replaced: a device,
   * FIFO, socket or directory someone put at `name` is not ours (a pod must not get us to write into a device).
   */
  private refuseToReplace(name: string): void {
    let mode: number
    try {
      mode = lstatSync(this.at(name)).mode
    } catch (error) {
      if (errno(error) === 'ENOENT') return
      throw ioError(error, 'inspect', this.display(name))
    }
    const type = mode & constants.S_IFMT
    if (type === constants.S_IFREG || type === constants.S_IFLNK) return
    throw refused(
      `cannot replace ${this.display(name)}: it is ${describeFileType(mode)}, not a regular file`,
      'not-a-file',
    )
  }

  /**
   * A second name for the file `name` (a backup that costs no copy and cannot be partial). Returns the name
   * used: `<name>.bak-<stamp>`, with `-2`, `-3`… when that exists.
   */
  linkBackup(name: string, stamp: string): string {
    for (let n = 1; n < 100; n++) {
      const backup = `${name}.bak-${stamp}${n === 1 ? '' : `-${n}`}`
      try {
        linkSync(this.at(name), this.at(backup))
        this.sync()
        return backup
      } catch (error) {
        if (errno(error) === 'EEXIST') continue
        if (errno(error) === 'EPERM' || errno(error) === 'EXDEV' || errno(error) === 'EMLINK') {
          // No hard links here: copy instead (atomically, so a backup is never partial either).
          const state = this.readFile(name)
          if (state.kind !== 'file') throw ioError(error, 'back up', this.display(name))
          if (this.readFile(backup).kind !== 'missing') continue
          this.writeFileAtomic(backup, state.bytes)
          return backup
        }
        throw ioError(error, 'back up', this.display(name))
      }
    }
    throw new UserError(`cannot back up ${this.display(name)}: too many backups with the stamp ${stamp}`, {
      exit: EXIT.CONFLICT,
      code: 'backup',
    })
  }

  /** Removes the file `name` and fsyncs this directory. */
  unlink(name: string): void {
    try {
      unlinkSync(this.at(name))
    } catch (error) {
      if (errno(error) === 'ENOENT') return
      throw ioError(error, 'remove', this.display(name))
    }
    this.sync()
  }

  /** Removes the directory `name` if it is empty (fsyncing this directory). True when removed. */
  removeEmptyDir(name: string): boolean {
    try {
      rmdirSync(this.at(name))
    } catch (error) {
      if (['ENOTEMPTY', 'EEXIST', 'ENOENT', 'ENOTDIR', 'EBUSY'].includes(errno(error) ?? '')) return false
      throw ioError(error, 'remove the directory', this.display(name))
    }
    this.sync()
    return true
  }

  /**
   * Removes the temp files interrupted writes left below this directory (no symlink is followed, at most
   * `depth` levels): only our marked names (current and legacy, see leftoverTempPid — the directory may be shared
   * with other tools) of writers that are gone (a live writer's temp file stays). Run it holding the root lock:
   * every writer of ours creates its temp files under it.
   */
  sweepTemps(depth = 16): string[] {
    const removed: string[] = []
    let entries
    try {
      entries = readdirSync(this.at('.'), {withFileTypes: true})
    } catch (error) {
      throw ioError(error, 'list', this.path)
    }
    for (const entry of entries) {
      const writer = entry.isFile() ? leftoverTempPid(entry.name) : undefined
      if (writer !== undefined) {
        if (processAlive(writer)) continue
        this.unlink(entry.name)
        removed.push(this.display(entry.name))
      } else if (entry.isDirectory() && depth > 0) {
        let sub: Dir | undefined
        try {
          sub = this.child(entry.name, {create: false})
        } catch {
          continue // replaced by something else meanwhile: not ours to clean
        }
        if (sub === undefined) continue
        try {
          removed.push(...sub.sweepTemps(depth - 1))
        } finally {
          sub.close()
        }
      }
    }
    return removed
  }

  sync(): void {
    fsyncSync(this.fd)
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    closeSync(this.fd)
  }

  private unlinkQuietly(name: string): void {
    try {
      unlinkSync(this.at(name))
    } catch {
      // the next publish sweeps it
    }
  }
}
