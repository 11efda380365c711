import {lstat, rename} from 'node:fs/promises'

/**
 * Bounds an append-only log: past `maxBytes`, `<path>` becomes `<path>.1` (the one before is dropped) and the
 * next writer creates `<path>` anew, so the two hold at most about twice `maxBytes`. Only a regular file is
 * rotated, and only onto a regular file or nothing: a symlink, FIFO or device at either name is left alone (never
 * ours to replace). Never throws: a log that cannot be rotated now is rotated by a later call.
 * Returns `not-a-file` when `<path>` exists and is not a regular file (its writers must not write through it).
 */
export async function rotateLog(path: string, maxBytes: number): Promise<'rotated' | 'kept' | 'not-a-file'> {
  const kind = async (p: string) =>
    lstat(p).then(
      (s) => (s.isFile() ? {size: s.size} : 'other'),
      () => 'absent' as const,
    )
  const log = await kind(path)
  if (log === 'other') return 'not-a-file'
  if (log === 'absent' || log.size <= maxBytes) return 'kept'
  if ((await kind(`${path}.1`)) === 'other') return 'kept'
  return rename(path, `${path}.1`).then(
    () => 'rotated' as const,
    () => 'kept' as const,
  )
}
