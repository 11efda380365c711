/** A problem found in a profile, located by JSON pointer and, for text input, by line and column. */
export interface Violation {
  severity: 'error' | 'warning'
  /** Stable identifier, e.g. `schema.enum`, `json.syntax`, `lint.unknown-syscall`. */
  code: string
  /** RFC 6901 JSON pointer into the document ('' is the whole document). */
  pointer: string
  message: string
  line?: number
  column?: number
  /** Set only on the entry that stands for violations left out: how many more of this code there are. */
  more?: number
}

/** At most this many violations of one code are listed; the rest become one entry with `more` set. */
export const MAX_VIOLATIONS_PER_CODE = 20

/**
 * The first `limit` violations of each code, in order, then one entry per code that had more, counting the rest
 * ("… and K more"): 200 000 unknown syscall names make 20 warnings and one count, not 200 000 lines.
 */
export function limitPerCode(violations: readonly Violation[], limit = MAX_VIOLATIONS_PER_CODE): Violation[] {
  const counts = new Map<string, {severity: Violation['severity']; count: number}>()
  const kept: Violation[] = []
  for (const v of violations) {
    const entry = counts.get(v.code) ?? {severity: v.severity, count: 0}
    entry.count += v.more ?? 1
    counts.set(v.code, entry)
    if (entry.count <= limit && v.more === undefined) kept.push(v)
  }
  for (const [code, {severity, count}] of counts) {
    if (count > limit)
      kept.push({
        severity,
        code,
        pointer: '',
        message: `… and ${count - limit} more ${code} ${severity}s`,
        more: count - limit,
      })
  }
  return kept
}

/** How many violations a list stands for (entries with `more` count for that many). */
export function countViolations(violations: readonly Violation[]): number {
  return violations.reduce((sum, v) => sum + (v.more ?? 1), 0)
}

export function formatViolation(v: Violation, source?: string): string {
  if (v.more !== undefined) return v.message
  const where = [source, v.line === undefined ? undefined : `${v.line}:${v.column ?? 1}`].filter(Boolean).join(':')
  const pointer = v.pointer === '' ? '(document)' : v.pointer
  return `${where ? `${where} ` : ''}${pointer}: ${v.message}`
}

export function escapePointerSegment(segment: string | number): string {
  return String(segment).replaceAll('~', '~0').replaceAll('/', '~1')
}

export function pointerSegments(pointer: string): string[] {
  if (pointer === '') return []
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
}
