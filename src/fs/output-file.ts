import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  realpathSync,
  statSync,
  writeSync,
  type Stats,
} from 'node:fs'
import {setTimeout as sleep} from 'node:timers/promises'
import {UserError} from '../core/errors.js'
import {EXIT} from '../core/exit-codes.js'
import {writeFileAtomic} from './atomic-write.js'
import {describeErrno, describeFileType, errnoOf} from './file-type.js'

/**
 * Writing a file the user named on the command line (`record --output`, `profiles merge|build --output`,
 * `publish --kubernetes --output`). What is at the path decides how, so that we never replace what is not ours:
 *
 * - nothing, or a regular file: replaced atomically (temp file in the same directory, fsync, rename, fsync of the
 *   directory; src/fs/atomic-write.ts). An existing file keeps its permission bits.
 * - a symlink: followed; these rules apply to what it points to (a regular file is replaced at its real path and
 *   the link stays). A symlink to nothing is refused: we would replace the link.
 * - a character device or a FIFO: written through, never replaced: opened O_WRONLY|O_NONBLOCK|O_NOCTTY without
 *   O_CREAT or O_TRUNC. A FIFO nobody reads is refused at once instead of hanging; after that a full pipe is
 *   waited for, as a blocking write would.
 * - `/dev/stdout`, `/dev/stderr`, `/dev/fd/N`, `/proc/self/fd/N`: written to that descriptor of this process.
 * - a directory, a socket or a block device: refused (exit 2, USAGE).
 */

export type OutputTarget =
  /** Replaced atomically at `path` (the real path when the user's path was a symlink). */
  | {kind: 'file'; path: string; exists: boolean; mode?: number}
  /** A character device or FIFO, written through by opening it. */
  | {kind: 'device'; path: string; type: 'a character device' | 'a FIFO'}
  /** One of this process's open descriptors. */
  | {kind: 'descriptor'; fd: number}

const {O_WRONLY, O_NONBLOCK, O_NOCTTY} = constants

/** `/dev/stdout`-style names of this process's own descriptors. */
const OWN_DESCRIPTOR = new RegExp(
  `^/(?:dev/(?:(stdin)|(stdout)|(stderr)|fd/([0-9]+))|proc/(?:self|thread-self|${process.pid})/fd/([0-9]+))$`,
)

export function outputRefused(path: string, why: string, suggestions: string[] = []): UserError {
  return new UserError(`refusing to write ${path}: ${why}`, {exit: EXIT.USAGE, code: 'output-refused', suggestions})
}

function unwritable(path: string, error: unknown): UserError {
  return new UserError(`cannot write ${path}: ${describeErrno(error)}`, {
    exit: EXIT.USAGE,
    code: 'unwritable-output',
    cause: error,
  })
}

/**
 * Where and how `path` would be written; throws the refusal (exit 2) for a directory, socket, block device or
 * dangling symlink. Commands call it before long work (record runs the command only for a writable output).
 */
export function outputTarget(path: string): OutputTarget {
  const own = OWN_DESCRIPTOR.exec(path)
  if (own) {
    const fd = own[1] ? 0 : own[2] ? 1 : own[3] ? 2 : Number(own[4] ?? own[5])
    try {
      fstatSync(fd)
    } catch {
      throw outputRefused(path, `descriptor ${fd} is not open`)
    }
    return {kind: 'descriptor', fd}
  }
  let stat: Stats
  try {
    stat = statSync(path)
  } catch (error) {
    if (errnoOf(error) !== 'ENOENT') throw unwritable(path, error)
    let link: Stats | undefined
    try {
      link = lstatSync(path)
    } catch {
      // nothing there at all: created
    }
    if (link?.isSymbolicLink())
      throw outputRefused(path, 'it is a symlink to nothing (write to where it should point instead)')
    return {kind: 'file', path, exists: false}
  }
  if (stat.isFile()) return {kind: 'file', path: realpathSync(path), exists: true, mode: stat.mode & 0o7777}
  if (stat.isCharacterDevice()) return {kind: 'device', path, type: 'a character device'}
  if (stat.isFIFO()) return {kind: 'device', path, type: 'a FIFO'}
  throw outputRefused(
    path,
    `it is ${describeFileType(stat.mode)}; an output must be a regular file, a FIFO or a character device`,
    stat.isDirectory() ? ['Name a file inside it.'] : [],
  )
}

/** Writes `data` to the file the user named, by the rules above. Returns how it was written. */
export async function writeOutputFile(
  path: string,
  data: string | Uint8Array,
  options: {mode?: number} = {},
): Promise<OutputTarget> {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
  const target = outputTarget(path)
  if (target.kind === 'file') {
    try {
      await writeFileAtomic(target.path, bytes, {mode: target.mode ?? options.mode ?? 0o644})
    } catch (error) {
      throw unwritable(path, error)
    }
    return target
  }
  if (target.kind === 'descriptor') {
    await writeThrough(target.fd, bytes).catch((error: unknown) => {
      throw unwritable(path, error)
    })
    return target
  }
  const fd = openDevice(path, target.type)
  try {
    await writeThrough(fd, bytes)
  } catch (error) {
    throw unwritable(path, error)
  } finally {
    closeSync(fd)
  }
  return target
}

/** Opens a character device or FIFO for writing, never creating, truncating or replacing it. */
function openDevice(path: string, type: string): number {
  let fd: number
  try {
    fd = openSync(path, O_WRONLY | O_NONBLOCK | O_NOCTTY)
  } catch (error) {
    if (errnoOf(error) === 'ENXIO' && type === 'a FIFO') {
      throw outputRefused(path, 'it is a FIFO that nobody reads', [`Start the reader first, e.g. \`cat ${path} &\`.`])
    }
    throw unwritable(path, error)
  }
  const now = describeFileType(fstatSync(fd).mode)
  if (now !== type) {
    closeSync(fd)
    throw outputRefused(path, `it was ${type} and became ${now} while being opened`)
  }
  return fd
}

/**
 * Writes all of `bytes` to a descriptor that may be non-blocking (a FIFO or terminal opened O_NONBLOCK, a stdout
 * pipe libuv made non-blocking): a full pipe (EAGAIN) is waited for, as a blocking write would wait. Node has no
 * fcntl(2) to clear O_NONBLOCK once the FIFO proved to have a reader.
 */
async function writeThrough(fd: number, bytes: Uint8Array): Promise<void> {
  let offset = 0
  let pause = 1
  while (offset < bytes.length) {
    try {
      offset += writeSync(fd, bytes, offset, bytes.length - offset)
      pause = 1
    } catch (error) {
      if (errnoOf(error) !== 'EAGAIN') throw error
      await sleep(pause)
      pause = Math.min(pause * 2, 50)
    }
  }
}
