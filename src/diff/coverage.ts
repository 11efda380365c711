import {basename, dirname, join} from 'node:path'
import {BoundedReadError, readBoundedText} from '../fs/bounded-read.js'

/**
 * How often each syscall was seen across the recordings a profile was built from: the sidecar
 * `<profile>.coverage.json` = {"recordings": N, "syscalls": {"name": count}} that aggregation writes next to
 * a built profile.
 */
export interface Coverage {
  path: string
  recordings: number
  syscalls: Record<string, number>
}

/** Sidecars larger than this are not read: one count per syscall name is a few KiB. */
export const MAX_COVERAGE_BYTES = 4 * 1024 * 1024

/** A sidecar's text, or undefined when it is absent, unreadable or not a regular file of at most MAX_COVERAGE_BYTES. */
export function readCoverageText(path: string): string | undefined {
  try {
    return readBoundedText(path, {maxBytes: MAX_COVERAGE_BYTES})
  } catch {
    return undefined
  }
}

/** Where the sidecar of a profile may be: `app.coverage.json` next to `app.json`, then `app.json.coverage.json`. */
export function coverageCandidates(profilePath: string): string[] {
  const base = basename(profilePath).replace(/\.(json|ya?ml)$/i, '')
  return [...new Set([join(dirname(profilePath), `${base}.coverage.json`), `${profilePath}.coverage.json`])]
}

/** The profile's coverage sidecar, or null when there is none; a sidecar that is not well-formed is reported in `warning` and ignored. */
export async function loadCoverage(profilePath: string): Promise<{coverage: Coverage | null; warning?: string}> {
  for (const path of coverageCandidates(profilePath)) {
    let text: string
    try {
      text = readBoundedText(path, {maxBytes: MAX_COVERAGE_BYTES})
    } catch (error) {
      if (error instanceof BoundedReadError && error.problem === 'missing') continue
      return {coverage: null, warning: `${(error as Error).message}: coverage not shown`}
    }
    const coverage = parseCoverage(text, path)
    if (coverage === null) return {coverage: null, warning: `${path} is not a coverage file ({"recordings": N, "syscalls": {"name": count}}): coverage not shown`}
    return {coverage}
  }
  return {coverage: null}
}

export function parseCoverage(text: string, path: string): Coverage | null {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    return null
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return null
  const {recordings, syscalls} = data as {recordings?: unknown; syscalls?: unknown}
  if (!Number.isSafeInteger(recordings) || (recordings as number) < 0) return null
  if (syscalls === null || typeof syscalls !== 'object' || Array.isArray(syscalls)) return null
  const counts: Record<string, number> = {}
  for (const [name, count] of Object.entries(syscalls as Record<string, unknown>)) {
    if (!Number.isSafeInteger(count) || (count as number) < 0) return null
    counts[name] = count as number
  }
  return {path, recordings: recordings as number, syscalls: counts}
}
