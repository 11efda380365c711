import {UserError} from '../core/errors.js'
import {EXIT} from '../core/exit-codes.js'
import type {Recording, RecordingSource} from './model.js'

/** Which recordings a command looks at. Empty or missing lists match everything; times compare with `endedAt`. */
export interface RecordingFilter {
  /** Profile names; `*` matches within one `/`-segment, `**` across segments. */
  names?: string[]
  namespaces?: string[]
  workloads?: string[]
  containers?: string[]
  sources?: RecordingSource[]
  /** Runs that ended at or after this time. */
  since?: Date
  /** Runs that ended at or before this time. */
  until?: Date
}

export function isGlob(pattern: string): boolean {
  return pattern.includes('*')
}

/** A name pattern as a RegExp: `*` = any characters but `/`, `**` = any characters. */
export function nameMatcher(pattern: string): RegExp {
  const parts = pattern
    .split(/(\*\*|\*)/)
    .map((part) => (part === '**' ? '.*' : part === '*' ? '[^/]*' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
  return new RegExp(`^${parts.join('')}$`)
}

export function matchesName(name: string, patterns: string[] | undefined): boolean {
  if (!patterns?.length) return true
  return patterns.some((p) => (isGlob(p) ? nameMatcher(p).test(name) : p === name))
}

export function matchesFilter(recording: Recording, filter: RecordingFilter = {}): boolean {
  if (!matchesName(recording.name, filter.names)) return false
  if (filter.namespaces?.length && !filter.namespaces.includes(recording.container.namespace ?? '')) return false
  if (filter.workloads?.length && !filter.workloads.includes(recording.container.workload ?? '')) return false
  if (filter.containers?.length && !filter.containers.includes(recording.container.name)) return false
  if (filter.sources?.length && !filter.sources.includes(recording.source)) return false
  if (filter.since || filter.until) {
    const ended = Date.parse(recording.endedAt)
    if (filter.since && ended < filter.since.getTime()) return false
    if (filter.until && ended > filter.until.getTime()) return false
  }
  return true
}

const UNITS: Record<string, number> = {s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000}

/**
 * A point in time for --since/--until: an ISO 8601 date or date-time (`2026-05-01`, `2026-05-01T12:00:00Z`)
 * or a duration back from `now` (`90s`, `30m`, `24h`, `7d`, `2w`). Throws a UserError (USAGE) otherwise.
 */
export function parseTimeBound(text: string, flag: string, now: Date = new Date()): Date {
  const duration = /^([0-9]+)([smhdw])$/.exec(text.trim())
  if (duration) return new Date(now.getTime() - Number(duration[1]) * UNITS[duration[2]!]!)
  if (
    /^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?)?$/.test(
      text.trim(),
    )
  ) {
    const date = new Date(text.trim())
    if (!Number.isNaN(date.getTime())) return date
  }
  throw new UserError(
    `--${flag} ${JSON.stringify(text)} is neither an ISO 8601 date/time nor a duration like 24h or 7d`,
    {
      exit: EXIT.USAGE,
      code: 'bad-time',
      suggestions: [`--${flag} 2026-05-01T00:00:00Z`, `--${flag} 7d`],
    },
  )
}
