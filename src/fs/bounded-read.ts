import {closeSync, constants, fstatSync, lstatSync, openSync, readSync, statSync, type Stats} from 'node:fs'
import {UserError} from '../core/errors.js'
import {EXIT} from '../core/exit-codes.js'
import {describeErrno, describeFileType, errnoOf} from './file-type.js'

/**
 * Reading a file a user named or that was found on disk (profiles, coverage sidecars, the config file, podman's
 * containers.json, stored recordings) without trusting what is there. Only a regular file of at most `maxBytes`
 * is read: a FIFO would hang a plain read, /dev/zero (or a symlink to it) would grow without end, a huge file
 * would fill memory before any check.
 *
 * The path is stat'ed first, so a device is refused without being opened (opening some devices does something).
 * Then it is opened O_RDONLY|O_NONBLOCK|O_NOCTTY (a FIFO swapped in meanwhile cannot block, a terminal cannot
 * become our controlling terminal), the open descriptor is checked again with fstat, and at most maxBytes + 1
 * bytes are read: a file that grew past the cap while being read is refused too.
 */

export type BoundedReadProblem = 'missing' | 'not-a-file' | 'too-large' | 'unreadable'

/** Why a file was not read. `reason` is the message without the path ("is a FIFO", "is larger than 4 MiB …"). */
export class BoundedReadError extends UserError {
  constructor(
    readonly path: string,
    readonly reason: string,
    readonly problem: BoundedReadProblem,
    cause?: unknown,
  ) {
    super(`cannot read ${path}: ${reason}`, {
      exit: EXIT.USAGE,
      code: problem === 'missing' ? 'no-such-file' : problem,
      cause,
    })
    this.name = 'BoundedReadError'
  }
}

export interface BoundedReadOptions {
  /** Larger files are refused. */
  maxBytes: number
  /** Refuse a symlink instead of following it (files found inside our own directories). */
  noFollow?: boolean
}

/** "4 MiB", "512 KiB", "100 bytes". */
export function formatSize(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`
  return `${bytes} bytes`
}

function checkKind(path: string, stat: Stats, maxBytes: number): void {
  if (!stat.isFile())
    throw new BoundedReadError(path, `is ${describeFileType(stat.mode)}, not a regular file`, 'not-a-file')
  if (stat.size > maxBytes)
    throw new BoundedReadError(path, `is larger than ${formatSize(maxBytes)} (${stat.size} bytes)`, 'too-large')
}

/** The whole content of a regular file of at most `options.maxBytes`, or a BoundedReadError (exit 2). */
export function readBoundedFile(path: string, options: BoundedReadOptions): Buffer {
  const {maxBytes} = options
  let fd: number
  try {
    checkKind(path, options.noFollow ? lstatSync(path) : statSync(path), maxBytes)
    fd = openSync(
      path,
      constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY | (options.noFollow ? constants.O_NOFOLLOW : 0),
    )
  } catch (error) {
    throw asReadError(path, error)
  }
  try {
    const stat = fstatSync(fd)
    checkKind(path, stat, maxBytes)
    let buffer = Buffer.allocUnsafe(Math.min(stat.size, maxBytes) + 1)
    let length = 0
    for (;;) {
      if (length === buffer.length) {
        if (length > maxBytes)
          throw new BoundedReadError(path, `grew past ${formatSize(maxBytes)} while being read`, 'too-large')
        // It grew since fstat: read on, up to the cap and one byte more.
        const bigger = Buffer.allocUnsafe(Math.min(buffer.length * 2, maxBytes + 1))
        buffer.copy(bigger)
        buffer = bigger
      }
      const n = readSync(fd, buffer, length, buffer.length - length, null)
      if (n === 0) return buffer.subarray(0, length)
      length += n
    }
  } catch (error) {
    throw asReadError(path, error)
  } finally {
    closeSync(fd)
  }
}

/** As readBoundedFile, decoded as UTF-8 (invalid bytes become U+FFFD). */
export function readBoundedText(path: string, options: BoundedReadOptions): string {
  return readBoundedFile(path, options).toString('utf8')
}

/** As readBoundedText, but undefined when there is no such file. */
export function readBoundedTextIfExists(path: string, options: BoundedReadOptions): string | undefined {
  try {
    return readBoundedText(path, options)
  } catch (error) {
    if (error instanceof BoundedReadError && error.problem === 'missing') return undefined
    throw error
  }
}

function asReadError(path: string, error: unknown): BoundedReadError {
  if (error instanceof BoundedReadError) return error
  const code = errnoOf(error)
  if (code === 'ENOENT') return new BoundedReadError(path, 'no such file', 'missing', error)
  if (code === 'ELOOP') return new BoundedReadError(path, 'is a symlink, not a regular file', 'not-a-file', error)
  if (code === 'ENXIO') return new BoundedReadError(path, 'is a socket, not a regular file', 'not-a-file', error)
  return new BoundedReadError(path, describeErrno(error), 'unreadable', error)
}
