import {randomBytes} from 'node:crypto'
import {constants} from 'node:fs'
import {open, readFile, rename, unlink} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'

export interface AtomicWriteOptions {
  mode?: number
  /** fsync the file before the rename and the directory after it (default true): survives power loss, not only crashes. */
  durable?: boolean
  /**
   * Tests only: called after the first half of the data reached the temp file, before the rest, the fsync and the
   * rename — the place where a crash must leave the previous document intact.
   */
  afterPartialWrite?: (tempPath: string) => Promise<void>
}

/** Temp files are `.<target name>.<pid>.<random>.tmp` beside the target: hidden, and recognisable as leftovers. */
export const TEMP_FILE = /^\..+\.[0-9]+\.[0-9a-f]{8}\.tmp$/

/**
 * Replaces `path` atomically: writes a temp file in the same directory (created exclusively, never followed
 * through a symlink), fsyncs it, renames it over the target and fsyncs the directory. A reader sees the old
 * document or the new one, never a mix; a crash at any point leaves the old document (and maybe a temp file).
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const durable = options.durable ?? true
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, options.mode ?? 0o644)
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

/** fsync a directory so a rename or unlink in it survives power loss. */
/** A whole small file as text (files written with writeFileAtomic are whole or absent); undefined when absent. */
export async function readTextIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY)
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
