import {createHash} from 'node:crypto'
import {reservedNameProblem} from '../core/paths.js'

/**
 * What a profile name may be, and the one file-name encoding of names (`safeNameSegment`) the store,
 * `profiles build` and `publish` use: `default/web/nginx` → `default_2Fweb_2Fnginx`.
 */

/** The longest result of safeNameSegment: leaves room for `.coverage.json` and temp-file prefixes within 255 bytes. */
export const MAX_SAFE_SEGMENT = 180
/** The escape marker: `_` itself is written `__`, any other byte outside [A-Za-z0-9.-] as `_HH`. */
const ESCAPE = '_'
const HASHED_MARKER = '_h'
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

function isPlainByte(byte: number): boolean {
  return (
    (byte >= 0x30 && byte <= 0x39) ||
    (byte >= 0x41 && byte <= 0x5a) ||
    (byte >= 0x61 && byte <= 0x7a) ||
    byte === 0x2d ||
    byte === 0x2e
  )
}

/**
 * A string as one file name, deterministically, using only `[A-Za-z0-9._-]`:
 * - letters, digits, `-` and `.` stay (a leading `.` is escaped, so `.`, `..` and hidden names cannot occur);
 * - `_` becomes `__`; every other UTF-8 byte becomes `_HH` (upper-case hex): `default/web` → `default_2Fweb`;
 * - the empty string becomes `_`;
 * - results longer than MAX_SAFE_SEGMENT keep a prefix and end in `_h` + 16 hex digits of the SHA-256 of the
 *   whole string (strings that are not well-formed UTF-16 always take this form).
 * Reversible (decodeSafeNameSegment) except for the hashed form; distinct inputs give distinct outputs
 * (up to SHA-256 collisions for the hashed form).
 */
export function safeNameSegment(s: string): string {
  if (s === '') return ESCAPE
  const wellFormed = !LONE_SURROGATE.test(s)
  const tokens: string[] = []
  if (wellFormed) {
    const bytes = Buffer.from(s, 'utf8')
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i]!
      if (byte === 0x5f) tokens.push('__')
      else if (isPlainByte(byte) && !(i === 0 && byte === 0x2e)) tokens.push(String.fromCharCode(byte))
      else tokens.push(`${ESCAPE}${byte.toString(16).toUpperCase().padStart(2, '0')}`)
    }
    const encoded = tokens.join('')
    if (encoded.length <= MAX_SAFE_SEGMENT) return encoded
  }
  const hash = createHash('sha256').update(JSON.stringify(s)).digest('hex').slice(0, 16)
  const budget = MAX_SAFE_SEGMENT - HASHED_MARKER.length - hash.length
  let prefix = ''
  for (const token of tokens) {
    if (prefix.length + token.length > budget) break
    prefix += token
  }
  return `${prefix}${HASHED_MARKER}${hash}`
}

/** The string safeNameSegment encoded, or undefined for the hashed form and for anything it cannot have produced. */
export function decodeSafeNameSegment(encoded: string): string | undefined {
  if (encoded === ESCAPE) return ''
  const bytes: number[] = []
  for (let i = 0; i < encoded.length; i++) {
    const c = encoded.charCodeAt(i)
    if (c !== 0x5f) {
      if (!isPlainByte(c) || (i === 0 && c === 0x2e)) return undefined
      bytes.push(c)
      continue
    }
    const next = encoded[i + 1]
    if (next === '_') {
      bytes.push(0x5f)
      i += 1
      continue
    }
    const hex = encoded.slice(i + 1, i + 3)
    if (!/^[0-9A-F]{2}$/.test(hex)) return undefined
    bytes.push(Number.parseInt(hex, 16))
    i += 2
  }
  try {
    const text = new TextDecoder('utf-8', {fatal: true}).decode(Uint8Array.from(bytes))
    return safeNameSegment(text) === encoded ? text : undefined
  } catch {
    return undefined
  }
}

/** Longest profile name accepted. */
export const MAX_PROFILE_NAME = 512

/**
 * Why a profile name is refused, or null when it is fine: 1–512 characters, no control characters, `/`-separated
 * non-empty segments other than `.` and `..`, not ending in `.complain` or `.coverage` (RESERVED_NAME_SUFFIXES:
 * the endings of the files beside a profile).
 */
export function profileNameProblem(name: string): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'a profile name must not be empty'
  if (name.length > MAX_PROFILE_NAME)
    return `a profile name must be at most ${MAX_PROFILE_NAME} characters (got ${name.length})`
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name) || LONE_SURROGATE.test(name))
    return 'a profile name must not contain control characters'
  for (const segment of name.split('/')) {
    if (segment === '') return `"${name}": a profile name has no empty segments (no leading, trailing or double "/")`
    if (segment === '.' || segment === '..') return `"${name}": "." and ".." are not allowed as segments`
    if (segment.trim() !== segment) return `"${name}": segments must not start or end with white space`
  }
  return reservedNameProblem(name)
}

/** Longest run label (`record --label`, the `seccomp-recorder.io/label` annotation). */
export const MAX_LABEL = 128
/** A label: a letter or digit, then letters, digits and `._:/@+=-` (no space, no markup, nothing a shell or a table reads). */
export const LABEL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/@+=-]*$/

/**
 * Why a run label is refused, or null when it is fine. Labels come from pods (an annotation), so they are bounded
 * and kept to a charset that prints safely in text, Markdown and JSON: `e2e/checkout-flow`, `ci:1234`.
 */
export function labelProblem(label: string): string | null {
  if (typeof label !== 'string' || label.length === 0) return 'a label must not be empty'
  if (label.length > MAX_LABEL) return `a label must be at most ${MAX_LABEL} characters (got ${label.length})`
  if (!LABEL_PATTERN.test(label))
    return 'a label is a letter or digit followed by letters, digits and . _ : / @ + = - (no spaces or other characters)'
  return null
}
