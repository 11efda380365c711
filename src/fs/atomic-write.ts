import {randomBytes} from 'node:crypto'
import {
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  fsyncSync,
  openSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs'
import {open, readFile, rename, unlink} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'

/**
 * The one atomic-write protocol of seccomp-recorder (the store, the spool, gc, launch, outputs, install and —
 * through Dir.writeFileAtomic — publish and the hook's confined outputs all use it):
 *
 *   1. create a temp file beside the target, named `.<target name>.<pid>.<8 hex>.seccomp-recorder.tmp` (tempFileName), with
 *      O_CREAT|O_EXCL|O_NOFOLLOW (TEMP_OPEN_FLAGS): never an existing file, never through a symlink;
 *   2. write all of it; with `exactMode`, fchmod (the mode is then not subject to the umask);
 *   3. fsync it (when durable);
 *   4. rename it over the target;
 *   5. fsync the directory (when durable).
 *
 * A reader sees the old document or the new one, never a mix; a crash at any point leaves the old document and
 * maybe a temp file, which `leftoverTempPid` recognises (gc and publish remove them).
 * `writeFileAtomic` (async) and `writeFileAtomicSync` (sync, for Dir's /proc/self/fd paths) are the two entry
 * points; both run the steps below.
 */

export interface AtomicWriteOptions {
  mode?: number
  /** fchmod the temp file to `mode`, so the umask does not apply (default false: open(2)'s mode, umask applies). */
  exactMode?: boolean
  /** fchown the temp file (install keeps the owner of a config.json it edits as root). */
  owner?: {uid: number; gid: number}
  /** fsync the file before the rename and the directory after it (default true): survives power loss, not only crashes. */
  durable?: boolean
  /**
   * Tests only: called after the first half of the data reached the temp file, before the rest, the fsync and the
   * rename — the place where a crash must leave the previous document intact.
   */
  afterPartialWrite?: (tempPath: string) => Promise<void>
}

export interface AtomicWriteSyncOptions extends Omit<AtomicWriteOptions, 'afterPartialWrite'> {
  /** Runs after the temp file is complete and synced, right before the rename: throw to refuse (the temp goes). */
  beforeRename?: () => void
  /** Tests only: as AtomicWriteOptions.afterPartialWrite, synchronously. */
  afterPartialWrite?: (tempPath: string) => void
}

/** Which step of the protocol failed, for callers that word their messages by it (Dir). */
export type AtomicWriteStep = 'create' | 'write' | 'rename'

/** An I/O error of writeFileAtomicSync, with the step it happened in and the temp file's path. */
export class AtomicWriteError extends Error {
  constructor(
    readonly step: AtomicWriteStep,
    readonly tempPath: string,
    override readonly cause: unknown,
  ) {
    super((cause as Error).message)
    this.name = 'AtomicWriteError'
  }
}

export const DEFAULT_FILE_MODE = 0o644
/** Step 1's flags: a fresh file, never an existing one, never through a symlink. */
export const TEMP_OPEN_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW

/**
 * Temp files are `.<target name>.<pid>.<random>.seccomp-recorder.tmp` beside the target: hidden, marked as ours
 * (other tools' temp files in a directory we share are never taken for leftovers), with the writer's pid.
 */
export const TEMP_FILE = /^\..+\.([0-9]{1,10})\.[0-9a-f]{8}\.seccomp-recorder\.tmp$/

/**
 * CLEANUP ONLY — temp names of versions before the marker. Nothing creates them any more; a crash of an older
 * version may have left some on disk, so gc and publish still remove them:
 *   - LEGACY_TEMP_FILES, marked as ours: Dir.writeFileAtomic's (publish, the hook's confined outputs),
 *     `.seccomp-recorder-tmp.<pid>.<12 hex>` — recognised everywhere;
 *   - LEGACY_UNMARKED_TEMP_FILES, which other tools' temp files may match too: the unified protocol's first
 *     `.<name>.<pid>.<8 hex>.tmp`, and the lock's (spool and store locks, not hidden)
 *     `<name>.lock.<pid>.<8 hex>.tmp`, `<name>.lock.break.…` — recognised only in directories that are entirely
 *     ours (the store, the spool: `{ownDirectory: true}`).
 */
export const LEGACY_TEMP_FILES: readonly RegExp[] = [/^\.seccomp-recorder-tmp\.([0-9]{1,10})\.[0-9a-f]{12}$/]
export const LEGACY_UNMARKED_TEMP_FILES: readonly RegExp[] = [
  /^\..+\.([0-9]{1,10})\.[0-9a-f]{8}\.tmp$/,
  /^.+\.lock(?:\.break)?\.([0-9]{1,10})\.[0-9a-f]{8}\.tmp$/,
]

export interface LeftoverTempOptions {
  /**
   * The directory holds only seccomp-recorder's files (the store, the spool): unmarked legacy temp names count
   * too. Default false — in shared directories (the publish root, tenants' output roots) only marked names do.
   */
  ownDirectory?: boolean
}

/**
 * The one recogniser of atomic-write leftovers: the writer's pid when `name` is the temp file of an atomic write
 * (TEMP_FILE or LEGACY_TEMP_FILES; LEGACY_UNMARKED_TEMP_FILES only with `ownDirectory`); else undefined.
 */
export function leftoverTempPid(name: string, options: LeftoverTempOptions = {}): number | undefined {
  const patterns = options.ownDirectory
    ? [TEMP_FILE, ...LEGACY_TEMP_FILES, ...LEGACY_UNMARKED_TEMP_FILES]
    : [TEMP_FILE, ...LEGACY_TEMP_FILES]
  for (const pattern of patterns) {
    const m = pattern.exec(name)
    if (m) return Number(m[1])
  }
  return undefined
}

/** Whether process `pid` is alive (EPERM: alive, not ours to signal). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH'
  }
}

/** A target name's part in its temp name is cut so the temp name stays within NAME_MAX (255 bytes: 200 + 42 here). */
const MAX_NAME_BYTES_IN_TEMP = 200

/** The temp file name for target file `name` (a name, not a path). */
export function tempFileName(name: string): string {
  let kept = name
  while (Buffer.byteLength(kept) > MAX_NAME_BYTES_IN_TEMP) kept = kept.slice(0, -1)
  return `.${kept}.${process.pid}.${randomBytes(4).toString('hex')}.seccomp-recorder.tmp`
}

/**
 * Replaces `path` atomically (the protocol above). Errors are the file system's, as thrown; the temp file is
 * removed on failure.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const durable = options.durable ?? true
  const mode = options.mode ?? DEFAULT_FILE_MODE
  const temp = join(dirname(path), tempFileName(basename(path)))
  const bytes = toBytes(data)
  const handle = await open(temp, TEMP_OPEN_FLAGS, mode)
  try {
    try {
      if (options.afterPartialWrite) {
        const half = Math.floor(bytes.length / 2)
        await handle.write(bytes, 0, half)
        await options.afterPartialWrite(temp)
        await handle.write(bytes, half, bytes.length - half)
      } else {
        await handle.write(bytes, 0, bytes.length)
      }
      if (options.owner) await handle.chown(options.owner.uid, options.owner.gid)
      if (options.exactMode) await handle.chmod(mode)
      if (durable) await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temp, path)
  } catch (error) {
    await unlink(temp).catch(() => undefined)
    throw error
  }
  if (durable) await syncDirectory(dirname(path))
}

/**
 * The same protocol, synchronously, for the file `name` in the directory `dir` — which may be a
 * `/proc/self/fd/N` path of a directory checked and held open (Dir): nothing is looked up from the top again.
 * File-system errors come as AtomicWriteError (with the step); what `beforeRename` throws comes as thrown.
 */
export function writeFileAtomicSync(
  dir: string,
  name: string,
  data: string | Uint8Array,
  options: AtomicWriteSyncOptions = {},
): void {
  const durable = options.durable ?? true
  const mode = options.mode ?? DEFAULT_FILE_MODE
  const temp = join(dir, tempFileName(name))
  const bytes = toBytes(data)
  let fd: number
  try {
    fd = openSync(temp, TEMP_OPEN_FLAGS, mode)
  } catch (error) {
    throw new AtomicWriteError('create', temp, error)
  }
  try {
    try {
      if (options.afterPartialWrite) {
        const half = Math.floor(bytes.length / 2)
        writeAll(fd, bytes.subarray(0, half))
        options.afterPartialWrite(temp)
        writeAll(fd, bytes.subarray(half))
      } else {
        writeAll(fd, bytes)
      }
      if (options.owner) fchownSync(fd, options.owner.uid, options.owner.gid)
      if (options.exactMode) fchmodSync(fd, mode)
      if (durable) fsyncSync(fd)
    } catch (error) {
      throw new AtomicWriteError('write', temp, error)
    } finally {
      closeSync(fd)
    }
    options.beforeRename?.()
    try {
      renameSync(temp, join(dir, name))
    } catch (error) {
      throw new AtomicWriteError('rename', temp, error)
    }
  } catch (error) {
    unlinkQuietly(temp)
    throw error
  }
  if (durable) syncDirectorySync(dir)
}

function toBytes(data: string | Uint8Array): Uint8Array {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let offset = 0
  while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset)
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path)
  } catch {
    // the next gc or publish removes it (leftoverTempPid)
  }
}

/** A whole small file as text (files written with writeFileAtomic are whole or absent); undefined when absent. */
export async function readTextIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

/** fsync a directory so a rename or unlink in it survives power loss. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY)
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** syncDirectory, synchronously. */
export function syncDirectorySync(dir: string): void {
  const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY)
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}
