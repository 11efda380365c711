import {constants} from 'node:fs'
import {open} from 'node:fs/promises'
import {join} from 'node:path'
import {rotateLog} from '../fs/log-rotation.js'

/**
 * The poststop hook's refusals (an `of:`/`if:` path through a symlink below the root, outside the pod's namespace, a
 * bad annotation): the runtime runs poststop hooks after the container is gone and shows their stderr nowhere (podman
 * drops it), so each refusal is also appended here, one JSON line, and `status` shows them. Kept in the spool (root
 * only, per boot); bounded: past MAX_BYTES the log becomes `refused.log.1` (the one before is dropped).
 */
export const refusalLogPath = (spool: string) => join(spool, 'refused.log')
export const MAX_REFUSAL_LOG_BYTES = 64 * 1024

export interface Refusal {
  time: string
  id: string
  reason: string
}

/** Append one refusal; never throws (the hook's own exit status already says it refused). */
export async function noteRefusal(spool: string, refusal: Refusal): Promise<void> {
  const path = refusalLogPath(spool)
  try {
    if ((await rotateLog(path, MAX_REFUSAL_LOG_BYTES)) === 'not-a-file') return // not ours to write through
    const line = `${JSON.stringify({...refusal, reason: refusal.reason.slice(0, 1000)})}\n`
    const file = await open(
      path,
      constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK,
      0o600,
    )
    try {
      if ((await file.stat()).isFile()) await file.write(line)
    } finally {
      await file.close()
    }
  } catch {
    // The spool may be gone or read-only: the refusal is still on the hook's stderr and in its exit status.
  }
}

/** The refusals logged in this spool, oldest first (lines that do not parse are skipped; a log that is not a regular file is not read). */
export async function readRefusals(spool: string): Promise<Refusal[]> {
  let text = ''
  try {
    const file = await open(refusalLogPath(spool), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
    try {
      const s = await file.stat()
      if (s.isFile() && s.size <= 2 * MAX_REFUSAL_LOG_BYTES) text = await file.readFile('utf8')
    } finally {
      await file.close()
    }
  } catch {
    text = ''
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .flatMap((line) => {
      try {
        const r = JSON.parse(line) as Refusal
        return typeof r.time === 'string' && typeof r.id === 'string' && typeof r.reason === 'string' ? [r] : []
      } catch {
        return []
      }
    })
}
