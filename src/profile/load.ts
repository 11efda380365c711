import type {ErrorObject} from 'ajv'
import {findNodeAtLocation, type Node as JsonNode} from 'jsonc-parser'
import {parseStrictJson} from '../json/strict-json.js'
import {EXIT} from '../core/exit-codes.js'
import {UserError, type ErrorCode} from '../core/errors.js'
import {BoundedReadError, readBoundedFile} from '../fs/bounded-read.js'
import {profileFormat, type ProfileFormat, type SeccompProfile} from './model.js'
import {validateProfileAllErrors, validateProfileFirstError} from './profile-validators.generated.js'
import {lintProfile} from './lint.js'
import {readArgValues} from './arg-value.js'
import {
  countViolations,
  escapePointerSegment,
  formatViolation,
  limitPerCode,
  MAX_VIOLATIONS_PER_CODE,
  pointerSegments,
  type Violation,
} from '../json/violations.js'

export type ProfileCheck =
  | {valid: true; profile: SeccompProfile; format: ProfileFormat; errors: []; warnings: Violation[]}
  | {valid: false; profile?: undefined; format?: undefined; errors: Violation[]; warnings: Violation[]}

/**
 * Profiles larger than this are refused before they are read whole: the largest real profiles are ~30 KiB, and
 * one naming every syscall of every architecture with conditions stays under 1 MiB; 4 MiB keeps the parser's
 * tree and the schema check of a hostile file to a few hundred MB at most.
 */
export const MAX_PROFILE_BYTES = 4 * 1024 * 1024

/**
 * Profiles larger than this are checked against the schema up to their first error only: with allErrors, Ajv
 * keeps one error object per bad item (a 4 MiB array of numbers as "syscalls" took 1.6 GB and 25 s).
 */
export const FULL_SCHEMA_REPORT_BYTES = 256 * 1024

/** Checks a profile given as text: JSON syntax, duplicate keys, the schema, semantic rules and lint warnings. */
export function checkProfileText(text: string): ProfileCheck {
  const parsed = parseStrictJson(text)
  if (!parsed.ok) return {valid: false, errors: limitPerCode(parsed.errors), warnings: []}
  const {value: document, tree, locate} = parsed

  const errors: Violation[] = []
  const fullReport = text.length <= FULL_SCHEMA_REPORT_BYTES
  const validate = fullReport ? validateProfileAllErrors : validateProfileFirstError
  if (!validate(document)) {
    for (const error of validate.errors ?? []) errors.push(schemaViolation(error, document, tree, locate))
    if (!fullReport)
      errors.push({
        severity: 'error',
        code: 'schema.first-only',
        pointer: '',
        message: `only the first schema error is shown: profiles larger than ${FULL_SCHEMA_REPORT_BYTES / 1024} KiB are checked up to their first error`,
      })
  }
  const argValues = readArgValues(document, tree, text, locate)
  errors.push(...argValues.violations)
  if (errors.length > 0) return {valid: false, errors: limitPerCode(dedupe(errors)), warnings: []}
  argValues.setExact()

  const profile = document as SeccompProfile
  // Limited before locating: one finding per name of a huge profile must not cost a tree walk each.
  const findings = limitPerCode(lintProfile(profile)).map((v) =>
    v.more === undefined ? {...v, ...locateNode(tree, v.pointer, locate)} : v,
  )
  const semanticErrors = findings.filter((v) => v.severity === 'error')
  const warnings = findings.filter((v) => v.severity === 'warning')
  if (semanticErrors.length > 0) return {valid: false, errors: semanticErrors, warnings}
  return {valid: true, profile, format: profileFormat(profile), errors: [], warnings}
}

/** Reads and checks a profile file. Unreadable files become a UserError (exit USAGE); invalid content is returned. */
export async function checkProfileFile(path: string): Promise<ProfileCheck> {
  return checkProfileText(await readProfileText(path))
}

/** For commands that need a valid profile: returns it, or throws a UserError listing every violation. */
export async function loadProfile(
  path: string,
): Promise<{profile: SeccompProfile; format: ProfileFormat; warnings: Violation[]}> {
  const check = await checkProfileFile(path)
  if (!check.valid) {
    const shown = check.errors.slice(0, MAX_VIOLATIONS_PER_CODE).map((v) => `  ${formatViolation(v, path)}`)
    const left = countViolations(check.errors.slice(MAX_VIOLATIONS_PER_CODE))
    const more = left > 0 ? [`  … and ${left} more`] : []
    throw new UserError([`${path} is not a valid seccomp profile:`, ...shown, ...more].join('\n'), {
      exit: EXIT.USAGE,
      code: 'invalid-profile',
      suggestions: [`Run \`seccomp-recorder validate ${path}\` for the full report.`],
    })
  }
  return {profile: check.profile, format: check.format, warnings: check.warnings}
}

/** A profile file that cannot be read as text at all; `reason` is the message without the path. */
export class ProfileReadError extends UserError {
  constructor(
    readonly path: string,
    readonly reason: string,
    code: ErrorCode,
  ) {
    super(`cannot read profile ${path}: ${reason}`, {exit: EXIT.USAGE, code})
  }
}

export async function readProfileText(path: string): Promise<string> {
  let bytes: Buffer
  try {
    bytes = readBoundedFile(path, {maxBytes: MAX_PROFILE_BYTES})
  } catch (error) {
    if (!(error instanceof BoundedReadError)) throw error
    throw new ProfileReadError(path, error.reason, error.problem === 'too-large' ? 'too-large' : 'unreadable')
  }
  try {
    return new TextDecoder('utf-8', {fatal: true, ignoreBOM: false}).decode(bytes)
  } catch {
    throw new ProfileReadError(path, 'not UTF-8 text', 'not-utf8')
  }
}

function schemaViolation(
  error: ErrorObject,
  document: unknown,
  tree: JsonNode,
  locate: (offset: number) => {line: number; column: number},
): Violation {
  let pointer = error.instancePath
  let message: string
  const params = error.params as Record<string, unknown>
  const got = describeValue(valueAt(document, pointer))
  switch (error.keyword) {
    case 'required':
      message = `missing required property "${String(params.missingProperty)}"`
      break
    case 'additionalProperties':
      pointer = `${pointer}/${escapePointerSegment(String(params.additionalProperty))}`
      message = `unknown property ${JSON.stringify(String(params.additionalProperty))}${suggestKey(String(params.additionalProperty), error.parentSchema)}`
      break
    case 'enum':
      message = `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')} (got ${got})`
      break
    case 'type':
      message = `must be ${String(params.type)} (got ${got})`
      break
    case 'minItems':
      message = `must have at least ${String(params.limit)} item${params.limit === 1 ? '' : 's'} (got ${got})`
      break
    case 'maxItems':
      message = `must have at most ${String(params.limit)} items (got ${got})`
      break
    case 'minimum':
    case 'maximum':
      message = `must be ${error.keyword === 'minimum' ? '≥' : '≤'} ${String(params.limit)} (got ${got})`
      break
    case 'pattern':
      message = `must match ${String(params.pattern)} (got ${got})`
      break
    case 'minLength':
      message = `must not be empty`
      break
    case 'uniqueItems':
      message = `must not repeat items (items ${String(params.j)} and ${String(params.i)} are equal)`
      break
    default:
      message = error.message ?? error.keyword
  }
  return {severity: 'error', code: `schema.${error.keyword}`, pointer, message, ...locateNode(tree, pointer, locate)}
}

function suggestKey(key: string, parentSchema: unknown): string {
  const known = Object.keys((parentSchema as {properties?: Record<string, unknown>} | undefined)?.properties ?? {})
  const match = known.find((k) => k.toLowerCase() === key.toLowerCase() || editDistance(k, key) <= 2)
  return match ? ` (did you mean "${match}"?)` : ''
}

function editDistance(a: string, b: string): number {
  const row = Array.from({length: b.length + 1}, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1))
      diagonal = above
    }
  }
  return row[b.length]!
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (Array.isArray(value)) return `an array of ${value.length}`
  if (value === null) return 'null'
  if (typeof value === 'object') return 'an object'
  const text = JSON.stringify(value)
  return text.length > 60 ? `${text.slice(0, 57)}…` : text
}

function valueAt(document: unknown, pointer: string): unknown {
  let node = document
  for (const segment of pointerSegments(pointer)) {
    if (node === null || typeof node !== 'object') return undefined
    node = (node as Record<string, unknown>)[segment]
  }
  return node
}

function locateNode(
  tree: JsonNode,
  pointer: string,
  locate: (offset: number) => {line: number; column: number},
): {line?: number; column?: number} {
  const segments = pointerSegments(pointer).map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s))
  let node = findNodeAtLocation(tree, segments)
  // A missing child (e.g. a required property): point at the closest parent that exists.
  while (node === undefined && segments.length > 0) {
    segments.pop()
    node = findNodeAtLocation(tree, segments)
  }
  if (node === undefined) return {}
  const anchor = node.parent?.type === 'property' ? node.parent : node
  return locate(anchor.offset)
}

function dedupe(violations: Violation[]): Violation[] {
  const seen = new Set<string>()
  return violations.filter((v) => {
    const key = `${v.pointer}\u0000${v.message}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}
