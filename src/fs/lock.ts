import {randomUUID} from 'node:crypto'
import {readFileSync, readlinkSync} from 'node:fs'
import {link, stat, unlink, writeFile} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'
import {hostname} from 'node:os'
import {setTimeout as sleep} from 'node:timers/promises'
import {UserError} from '../core/errors.js'
import {EXIT} from '../core/exit-codes.js'
import {readTextIfExists, tempFileName} from './atomic-write.js'

/**
 * An exclusive lock between processes, for read-modify-write sections of the store (building a profile and its
 * coverage sidecar). The lock is a file created atomically with its content (written to a temp file, then
 * link(2)ed into place: link fails with EEXIST when the lock is held), so holding it is a kernel-level fact, not
 * a timing guess. Waiters poll with back-off until a deadline.
 *
 * A holder that died (kill -9, crash) is detected from the owner record: same host and pid namespace → the pid
 * is gone or belongs to a newer process (start time in /proc differs); otherwise the lock is stale only after
 * `staleMs`. Breaking a stale lock happens under a second, short-lived lock (`<lock>.break`) and only removes
 * the exact lock file that was judged stale (compared by its unique token).
 */

export interface LockOwner {
  pid: number
  host: string
  /** /proc/<pid>/stat start time: tells a reused pid from the owner. */
  start: string | null
  /** /proc/self/ns/pid: pids are comparable only within one pid namespace. */
  pidns: string | null
  token: string
  /** Date.now() when taken. */
  at: number
}

export interface LockOptions {
  /** Give up after this long (default 30 s): a UserError with exit CONFLICT. */
  timeoutMs?: number
  /** A lock whose owner cannot be checked (another host or pid namespace) is stale after this long (default 10 min). */
  staleMs?: number
  /** What is locked, for the error message (default: the lock's path). */
  what?: string
}

export interface HeldLock {
  path: string
  owner: LockOwner
  release(): Promise<void>
}

const DEFAULT_TIMEOUT_MS = 30_000
const DEFAULT_STALE_MS = 10 * 60_000
/** The breaker lock is held for microseconds; one older than this belongs to a crashed breaker. */
const BREAKER_STALE_MS = 5_000
/** A lock file that does not parse (not written by us) counts as stale after this long. */
const UNREADABLE_STALE_MS = 5_000

let selfStart: string | null | undefined
let selfPidns: string | null | undefined

function ownerRecord(): LockOwner {
  selfStart ??= processStartTime(process.pid)
  selfPidns ??= pidNamespace()
  return {pid: process.pid, host: hostname(), start: selfStart, pidns: selfPidns, token: randomUUID(), at: Date.now()}
}

/** Takes the lock at `path` (waiting as long as options.timeoutMs allows). */
export async function acquireLock(path: string, options: LockOptions = {}): Promise<HeldLock> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const staleMs = options.staleMs ?? DEFAULT_STALE_MS
  const owner = ownerRecord()
  const content = JSON.stringify(owner)
  const deadline = Date.now() + timeoutMs
  let delay = 2
  for (;;) {
    if (await createExclusive(path, content)) {
      return {path, owner, release: () => releaseLock(path, owner.token)}
    }
    const current = await readLock(path)
    if (current === undefined) continue // released between our attempt and the read: try again at once
    if (await isStale(path, current, staleMs)) {
      await breakLock(path, current.raw, staleMs)
      continue
    }
    if (Date.now() >= deadline) {
      const held = current.owner ? `held by pid ${current.owner.pid} on ${current.owner.host} since ${new Date(current.owner.at).toISOString()}` : 'held by an unknown process'
      throw new UserError(`could not lock ${options.what ?? path} within ${Math.round(timeoutMs / 1000)} s: ${held}`, {
        exit: EXIT.CONFLICT,
        code: 'lock-timeout',
        suggestions: [`Wait for the other seccomp-recorder process to finish; if none is running, remove ${path}.`],
      })
    }
    await sleep(delay + Math.random() * delay)
    delay = Math.min(delay * 2, 50)
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

async function releaseLock(path: string, token: string): Promise<void> {
  const current = await readLock(path)
  // Only our own lock: if it was (wrongly) broken and taken by another process, that one keeps it.
  if (current?.owner?.token === token) await unlink(path).catch(ignoreMissing)
}

/** Creates `path` with `content` atomically; false when it exists. The temp file is named as atomic-write names them. */
async function createExclusive(path: string, content: string): Promise<boolean> {
  const temp = join(dirname(path), tempFileName(basename(path)))
  await writeFile(temp, content, {flag: 'wx', mode: 0o644})
  try {
    await link(temp, path)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  } finally {
    await unlink(temp).catch(ignoreMissing)
  }
}

interface ReadLock {
  raw: string
  owner: LockOwner | null
}

async function readLock(path: string): Promise<ReadLock | undefined> {
  const raw = await readTextIfExists(path)
  return raw === undefined ? undefined : {raw, owner: parseOwner(raw)}
}

function parseOwner(raw: string): LockOwner | null {
  try {
    const value = JSON.parse(raw) as Partial<LockOwner>
    if (typeof value.pid === 'number' && typeof value.host === 'string' && typeof value.token === 'string' && typeof value.at === 'number') {
      return {pid: value.pid, host: value.host, start: typeof value.start === 'string' ? value.start : null, pidns: typeof value.pidns === 'string' ? value.pidns : null, token: value.token, at: value.at}
    }
  } catch {
    // not ours
  }
  return null
}

async function isStale(path: string, lock: ReadLock, staleMs: number): Promise<boolean> {
  if (lock.owner === null) return (await ageMs(path)) > UNREADABLE_STALE_MS
  return !ownerAlive(lock.owner, staleMs)
}

/** Whether the owner may still hold the lock. */
export function ownerAlive(owner: LockOwner, staleMs: number = DEFAULT_STALE_MS): boolean {
  selfPidns ??= pidNamespace()
  const comparable = owner.host === hostname() && owner.pidns !== null && owner.pidns === selfPidns
  if (!comparable) return Date.now() - owner.at < staleMs
  try {
    process.kill(owner.pid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false
  }
  if (owner.start === null) return true
  const start = processStartTime(owner.pid)
  return start === null || start === owner.start
}

async function breakLock(path: string, observedRaw: string, staleMs: number): Promise<void> {
  const breaker = `${path}.break`
  const me = ownerRecord()
  if (!(await createExclusive(breaker, JSON.stringify(me)))) {
    // Another process is breaking it right now; clear its breaker lock only if that process crashed.
    const other = await readLock(breaker)
    if (other && (other.owner ? !ownerAlive(other.owner, staleMs) || Date.now() - other.owner.at > BREAKER_STALE_MS : (await ageMs(breaker)) > BREAKER_STALE_MS)) {
      await unlink(breaker).catch(ignoreMissing)
    } else {
      await sleep(1)
    }
    return
  }
  try {
    const current = await readLock(path)
    if (current?.raw === observedRaw) await unlink(path).catch(ignoreMissing)
  } finally {
    await releaseLock(breaker, me.token)
  }
}

async function ageMs(path: string): Promise<number> {
  try {
    return Date.now() - (await stat(path)).mtimeMs
  } catch {
    return 0
  }
}

function ignoreMissing(error: NodeJS.ErrnoException): void {
  if (error.code !== 'ENOENT') throw error
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
