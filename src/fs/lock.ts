import {spawn} from 'node:child_process'
import {randomUUID} from 'node:crypto'
import {
  closeSync,
  constants,
  existsSync,
  fchmodSync,
  fstatSync,
  ftruncateSync,
  linkSync,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  type Stats,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import {hostname} from 'node:os'
import {setTimeout as sleep} from 'node:timers/promises'
import {basename, dirname, join} from 'node:path'
import {UserError} from '../core/errors.js'
import {EXIT} from '../core/exit-codes.js'
import {leftoverTempPid, tempFileName} from './atomic-write.js'

/**
 * The one lock between processes of seccomp-recorder: the store's read-modify-write sections, the spool's
 * per-container and per-namespace locks (hook, `record`, gc) and publish's lock on the seccomp root.
 *
 * It is an exclusive flock(2) on the lock file. A flock belongs to the open file description we keep open while
 * holding it, so the kernel drops it when we close it — or when we die, kill -9 included. No stale-lock guessing
 * (pids, start times, ages) is needed, and it holds across PID namespaces (a publisher in a pod) and, on NFS,
 * across hosts. Node has no flock, so util-linux's flock(1) takes it for us on the descriptor we hand down as
 * its fd 3 (about 2 ms more than a link(2)-based lock file; measured in the report of issue 13).
 *
 * The lock file is created on demand, whole with an owner record (temp file, then link(2): never empty, never
 * through a symlink, 0600: a flock needs only a read-only descriptor, so whoever can open it can block us), and
 * removed by its holder on release,
 * while still holding it. A waiter that opened the file before it was removed gets a lock on a file no longer
 * at `path`: it notices (the inode at `path` differs from its own) and tries again, so two holders never coexist.
 * The holder writes its owner record (pid, host, …) into the file — one write(2) of a fixed-size record, so the
 * file is never half-written — for the messages of whoever waits on it and for gc's report; no decision depends
 * on it. A lock file that is not locked is free, whatever it contains.
 */

export interface LockOwner {
  pid: number
  host: string
  /** /proc/<pid>/stat start time (informational: tells a reused pid from the owner in a report). */
  start: string | null
  /** /proc/self/ns/pid (informational). */
  pidns: string | null
  token: string
  /** Date.now() when taken. */
  at: number
}

export interface LockOptions {
  /** Give up after this long (default 30 s; 0: do not wait): a UserError with exit CONFLICT, code lock-timeout. */
  timeoutMs?: number
  /** What is locked, for the error message (default: the lock's path). */
  what?: string
}

export interface HeldLock {
  path: string
  owner: LockOwner
  release(): Promise<void>
}

export const DEFAULT_LOCK_TIMEOUT_MS = 30_000
/** Owner records are padded with spaces (JSON allows them) to this size: rewritten in place by one write(2). */
const RECORD_BYTES = 512
/** flock(1)'s exit status when the lock could not be taken in time (set with --conflict-exit-code). */
const BUSY = 75

let selfStart: string | null | undefined
let selfPidns: string | null | undefined

function ownerRecord(): LockOwner {
  selfStart ??= processStartTime(process.pid)
  selfPidns ??= pidNamespace()
  return {pid: process.pid, host: hostname(), start: selfStart, pidns: selfPidns, token: randomUUID(), at: Date.now()}
}

/** Takes the lock at `path` (waiting as long as options.timeoutMs allows). */
export async function acquireLock(path: string, options: LockOptions = {}): Promise<HeldLock> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const owner = ownerRecord()
    const fd = await openLockFile(path, owner)
    let locked = false
    try {
      locked = await flock(fd, Math.max(0, deadline - Date.now()))
      if (locked && sameFile(fd, path)) {
        writeRecord(fd, owner)
        return {path, owner, release: async () => releaseLock(path, fd)}
      }
    } catch (error) {
      closeSync(fd)
      throw error
    }
    closeSync(fd)
    // Locked but removed by the holder we waited for (its release): try again on the file now at `path`.
    if (locked) continue
    throw timeoutError(path, timeoutMs, options.what)
  }
}

/** Runs fn while holding the lock at `path`; releases it however fn ends. */
export async function withLock<T>(path: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const lock = await acquireLock(path, options)
  try {
    return await fn()
  } finally {
    await lock.release()
  }
}

/**
 * Whether a process holds the lock at `path` now (gc: a lock file nobody holds was left by a process that died).
 * Looks without taking it and without writing; false when there is no lock file.
 */
export async function lockHeld(path: string): Promise<boolean> {
  let fd: number
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw error
  }
  try {
    return !(await flock(fd, 0))
  } finally {
    closeSync(fd) // drops the lock if we got it
  }
}

/** The owner record in a lock file: undefined when there is none, null when it is not one of ours (or cut short). */
export function readLockOwner(path: string): LockOwner | null | undefined {
  let raw: string
  try {
    const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
    try {
      if (!fstatSync(fd).isFile()) return null
      raw = readFileSync(fd, 'utf8').slice(0, 4096)
    } finally {
      closeSync(fd)
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    return null
  }
  return parseOwner(raw)
}

function parseOwner(raw: string): LockOwner | null {
  try {
    const value = JSON.parse(raw) as Partial<LockOwner>
    if (
      typeof value.pid === 'number' &&
      typeof value.host === 'string' &&
      typeof value.token === 'string' &&
      typeof value.at === 'number'
    ) {
      return {
        pid: value.pid,
        host: value.host,
        start: typeof value.start === 'string' ? value.start : null,
        pidns: typeof value.pidns === 'string' ? value.pidns : null,
        token: value.token,
        at: value.at,
      }
    }
  } catch {
    // not ours
  }
  return null
}

function recordBytes(owner: LockOwner): Buffer {
  const json = JSON.stringify(owner)
  return Buffer.from(json.length < RECORD_BYTES ? json.padEnd(RECORD_BYTES - 1, ' ') + '\n' : json)
}

/** Replaces the record in place: one write(2) of the same size, so a reader (or a kill) never sees half of it. */
function writeRecord(fd: number, owner: LockOwner): void {
  const bytes = recordBytes(owner)
  writeSync(fd, bytes, 0, bytes.length, 0)
  if (fstatSync(fd).size !== bytes.length) ftruncateSync(fd, bytes.length)
}

/**
 * Opens the lock file, creating it whole (with `owner`'s record) when missing: never through a symlink, never
 * anything but a regular file of ours (checkLockFile).
 */
async function openLockFile(path: string, owner: LockOwner): Promise<number> {
  let fd: number
  for (;;) {
    try {
      fd = openSync(path, constants.O_RDWR | constants.O_NOFOLLOW | constants.O_NONBLOCK)
      break
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw lockFileError(path, error)
    }
    createWhole(path, recordBytes(owner))
  }
  try {
    await checkLockFile(fd, path)
  } catch (error) {
    closeSync(fd)
    throw error
  }
  return fd
}

/** How long a second link may last: a creator links its temp file to `path`, then removes the temp (createWhole). */
const LINK_SETTLE_MS = 200

/**
 * Refuses (exit 3) what is open at `fd` unless it is a regular file owned by our euid with at most one link (none:
 * its holder just removed it, and we try again); takes group and other bits off an own file (0600).
 */
async function checkLockFile(fd: number, path: string): Promise<void> {
  let stat = fstatSync(fd)
  if (!stat.isFile())
    throw new UserError(`the lock file ${path} is not a regular file`, {exit: EXIT.REFUSED, code: 'not-a-file'})
  const euid = process.geteuid?.()
  if (euid !== undefined && stat.uid !== euid) throw foreignLockFile(path, `it belongs to uid ${stat.uid}, not ${euid}`)
  for (const settleBy = Date.now() + LINK_SETTLE_MS; stat.nlink > 1 && Date.now() < settleBy; stat = fstatSync(fd)) {
    if (!removeCreatorsTempLink(path, stat)) await sleep(5)
  }
  if (stat.nlink > 1)
    throw foreignLockFile(path, `it has ${stat.nlink} hard links (the lock would write into a file linked elsewhere)`)
  if ((stat.mode & 0o077) !== 0) fchmodSync(fd, 0o600)
}

/**
 * A creator killed between its link(2) and its unlink(2) (createWhole) leaves its temp file as the lock file's
 * second name. When that is the only other name (st_nlink 2), it is removed — harmless to a creator still alive,
 * whose unlink then finds it gone. True when one was removed.
 */
function removeCreatorsTempLink(path: string, stat: Stats): boolean {
  if (stat.nlink !== 2) return false
  const dir = dirname(path)
  for (const name of readdirSync(dir)) {
    if (leftoverTempPid(name, {ownDirectory: true}) === undefined) continue
    try {
      const other = lstatSync(join(dir, name))
      if (other.isFile() && other.ino === stat.ino && other.dev === stat.dev) {
        unlinkSync(join(dir, name))
        return true
      }
    } catch {
      // gone meanwhile
    }
  }
  return false
}

function foreignLockFile(path: string, why: string): UserError {
  return new UserError(`refusing the lock file ${path}: ${why}`, {
    exit: EXIT.REFUSED,
    code: 'lock-foreign',
    suggestions: [
      `Remove ${path} if no seccomp-recorder process uses it; its directory should be writable by its owner only.`,
    ],
  })
}

/** Creates `path` with `bytes` atomically (temp file named as atomic-write names them, then link(2)); EEXIST is fine. */
function createWhole(path: string, bytes: Buffer): void {
  const temp = join(dirname(path), tempFileName(basename(path)))
  writeFileSync(temp, bytes, {flag: 'wx', mode: 0o600})
  try {
    linkSync(temp, path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw lockFileError(path, error)
  } finally {
    try {
      unlinkSync(temp)
    } catch {
      // gone already
    }
  }
}

/** What an open or link of a lock file failed with: a symlink or directory refused (exit 3), else the error as is. */
function lockFileError(path: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'ELOOP')
    return new UserError(`refusing to follow the symlink ${path} (a lock file)`, {exit: EXIT.REFUSED, code: 'symlink'})
  if (code === 'EISDIR')
    return new UserError(`the lock file ${path} is a directory`, {exit: EXIT.REFUSED, code: 'not-a-file'})
  return error
}

/** Where the system's flock(1) is looked for, in this order (doctor's check and the lock use this one list). */
export const FLOCK_LOCATIONS: readonly string[] = ['/usr/bin/flock', '/bin/flock']

/** The system's flock(1): the first of `locations` that exists, else undefined. */
export function systemFlock(locations: readonly string[] = FLOCK_LOCATIONS): string | undefined {
  return locations.find((path) => existsSync(path))
}

/**
 * The flock(1) to run: the system's; without one, `flock` from $PATH — but never as root (euid 0), where $PATH
 * is not trusted: then a PREREQUISITE error.
 */
export function flockCommand(
  locations: readonly string[] = FLOCK_LOCATIONS,
  euid: number | undefined = process.geteuid?.(),
): string {
  const found = systemFlock(locations)
  if (found !== undefined) return found
  if (euid === 0)
    throw flockMissing(
      `flock(1) is not installed in ${locations.join(' or ')} (as root, $PATH is not searched): seccomp-recorder takes its locks with it`,
    )
  return 'flock'
}

function flockMissing(message: string): UserError {
  return new UserError(message, {
    exit: EXIT.PREREQUISITE,
    code: 'lock',
    suggestions: ['Install util-linux (Debian: apt-get install util-linux).'],
  })
}

let flockCached: string | undefined

function flockPath(): string {
  flockCached ??= flockCommand()
  return flockCached
}

/** flock(LOCK_EX) on `fd` by flock(1), waiting up to timeoutMs (0: not at all). True when taken. */
function flock(fd: number, timeoutMs: number): Promise<boolean> {
  const wait = timeoutMs > 0 ? ['--wait', String(timeoutMs / 1000)] : ['--nonblock']
  return new Promise((resolve, reject) => {
    const child = spawn(flockPath(), ['--exclusive', ...wait, '--conflict-exit-code', String(BUSY), '3'], {
      stdio: ['ignore', 'ignore', 'pipe', fd],
    })
    let stderr = ''
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'ENOENT'
          ? flockMissing('flock(1) is not installed: seccomp-recorder takes its locks with it')
          : new UserError(`cannot run flock(1): ${error.message}`, {exit: EXIT.RUNTIME, code: 'lock'}),
      )
    })
    child.on('close', (status, signal) => {
      if (status === 0) resolve(true)
      else if (status === BUSY) resolve(false)
      else
        reject(
          new UserError(`cannot take a lock: flock exited with ${status ?? signal}: ${stderr.trim()}`, {
            exit: EXIT.RUNTIME,
            code: 'lock',
          }),
        )
    })
  })
}

/** Whether `path` still names the file open at `fd` (its holder removes it on release). */
function sameFile(fd: number, path: string): boolean {
  try {
    const at = lstatSync(path)
    const mine = fstatSync(fd)
    return at.ino === mine.ino && at.dev === mine.dev
  } catch {
    return false
  }
}

/** Removes the lock file while still holding it (only if it is still ours at `path`), then drops the lock. */
function releaseLock(path: string, fd: number): void {
  try {
    if (sameFile(fd, path)) unlinkSync(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  } finally {
    closeSync(fd)
  }
}

function timeoutError(path: string, timeoutMs: number, what: string | undefined): UserError {
  const owner = readLockOwner(path)
  const held = owner
    ? `held by pid ${owner.pid} on ${owner.host} since ${new Date(owner.at).toISOString()}`
    : 'held by an unknown process'
  return new UserError(`could not lock ${what ?? path} within ${Math.round(timeoutMs / 1000)} s: ${held}`, {
    exit: EXIT.CONFLICT,
    code: 'lock-timeout',
    suggestions: [
      `Wait for the other seccomp-recorder process (pid ${owner?.pid ?? 'unknown'}) to finish; the kernel lets the lock go when it ends, so there is nothing to remove.`,
    ],
  })
}

/** Field 22 (starttime, clock ticks since boot) of /proc/<pid>/stat, or null without procfs. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // comm (field 2) may contain spaces and parentheses: count fields after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return rest[19] ?? null
  } catch {
    return null
  }
}

function pidNamespace(): string | null {
  try {
    return readlinkSync('/proc/self/ns/pid')
  } catch {
    return null
  }
}
