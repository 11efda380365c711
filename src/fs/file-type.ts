import {constants} from 'node:fs'

/** What a file of this `st_mode` is, in words for messages: "a FIFO", "a character device", "a directory", … */
export function describeFileType(mode: number): string {
  switch (mode & constants.S_IFMT) {
    case constants.S_IFREG:
      return 'a regular file'
    case constants.S_IFDIR:
      return 'a directory'
    case constants.S_IFLNK:
      return 'a symlink'
    case constants.S_IFIFO:
      return 'a FIFO'
    case constants.S_IFSOCK:
      return 'a socket'
    case constants.S_IFCHR:
      return 'a character device'
    case constants.S_IFBLK:
      return 'a block device'
    default:
      return 'not a regular file'
  }
}

export const errnoOf = (error: unknown): string | undefined => (error as NodeJS.ErrnoException | undefined)?.code

/** A system error in words for a one-line message (the path is said by the caller). */
export function describeErrno(error: unknown): string {
  const reasons: Record<string, string> = {
    ENOENT: 'no such file or directory',
    ENOTDIR: 'a parent is not a directory',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'read-only file system',
    ENOSPC: 'no space left on the device',
    EISDIR: 'is a directory',
    ELOOP: 'too many levels of symlinks',
    ENAMETOOLONG: 'the name is too long',
    EPIPE: 'the reader closed it',
    EIO: 'input/output error',
  }
  const code = errnoOf(error)
  return (code !== undefined && reasons[code]) || (error as Error).message.split('\n')[0]!
}
