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
}

export function formatViolation(v: Violation, source?: string): string {
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
