import {Ajv, type ValidateFunction} from 'ajv'
import {BoundedReadError, readBoundedText} from '../fs/bounded-read.js'

/**
 * The coverage sidecar of a built profile: how many of the recordings it was built from saw each syscall (on
 * any ABI). `profiles build` writes it next to the profile as `<profile>.coverage.json`; `diff`, `profiles list`
 * and `profiles show` read it, and `publish` skips it.
 *
 *   {"recordings": N, "syscalls": {"read": N, "futex": 4, …}}
 *
 * Syscall names are lowercase syscall names (`[a-z0-9_]+`); counts are whole numbers from 0 up. The writer
 * lists only syscalls some recording saw (count ≥ 1), but a reader accepts 0: it says the same as a name that is
 * not there, so a sidecar with one is no reason to ignore the others. Syscalls a base profile adds and no
 * recording saw are not in it.
 */
export interface Coverage {
  recordings: number
  syscalls: Record<string, number>
  /** Per syscall allowed only with the argument values seen (issue 15): how many recordings saw each value. */
  arguments?: Record<string, ArgumentCoverage>
}

/**
 *   "arguments": {"socket": {"positions": [{"index": 0}, {"index": 1, "mask": "4294428671"}],
 *                            "values": [{"value": ["1", "1"], "recordings": 3}, …]}}
 * Values are decimal u64 strings, one per position (masked), in the profile's order.
 */
export interface ArgumentCoverage {
  positions: Array<{index: number; mask?: string}>
  values: Array<{value: string[]; recordings: number}>
}

/** A sidecar as read from disk, with where it was. */
export type LoadedCoverage = Coverage & {path: string}

export const COVERAGE_SUFFIX = '.coverage.json'

/** Sidecars larger than this are not read: one count per syscall name is a few KiB. */
export const MAX_COVERAGE_BYTES = 4 * 1024 * 1024

/**
 * The sidecar of a profile file: `x.json` → `x.coverage.json`, `x.yaml`/`x.yml` → `x.coverage.json`, any other
 * name gets `.coverage.json` appended. Extensions are matched as written (lowercase), like everywhere else: on
 * Linux `x.JSON` is another name, and its sidecar is `x.JSON.coverage.json`.
 */
export function coveragePathFor(profilePath: string): string {
  return `${profilePath.replace(/\.(json|ya?ml)$/, '')}${COVERAGE_SUFFIX}`
}

const count = {type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER} as const

const u64Digits = {type: 'string', pattern: '^(0|[1-9][0-9]{0,19})$'} as const
/** `arguments` of the sidecar: bounded like the profile's rules (argument-rules.ts). */
const ARGUMENT_COVERAGE_SCHEMA = {
  type: 'object',
  maxProperties: 64,
  propertyNames: {pattern: '^[a-z0-9_]+$'},
  additionalProperties: {
    type: 'object',
    additionalProperties: false,
    required: ['positions', 'values'],
    properties: {
      positions: {
        type: 'array',
        minItems: 1,
        maxItems: 6,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['index'],
          properties: {index: {type: 'integer', minimum: 0, maximum: 5}, mask: u64Digits},
        },
      },
      values: {
        type: 'array',
        maxItems: 4096,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['value', 'recordings'],
          properties: {value: {type: 'array', minItems: 1, maxItems: 6, items: u64Digits}, recordings: count},
        },
      },
    },
  },
} as const

/** JSON Schema of the sidecar (also describes `coverage` in `profiles build --json`). */
export const COVERAGE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['recordings', 'syscalls'],
  properties: {
    recordings: count,
    syscalls: {type: 'object', propertyNames: {pattern: '^[a-z0-9_]+$'}, additionalProperties: count},
    arguments: ARGUMENT_COVERAGE_SCHEMA,
  },
} as const

let validator: ValidateFunction | undefined

/** A sidecar's text as a Coverage, or null when it is not one (not JSON, or not of COVERAGE_SCHEMA). */
export function parseCoverage(text: string): Coverage | null {
  validator ??= new Ajv({strict: true}).compile(COVERAGE_SCHEMA)
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return null
  }
  if (!validator(value)) return null
  const {recordings, syscalls, arguments: args} = value as Coverage
  return args === undefined ? {recordings, syscalls} : {recordings, syscalls, arguments: args}
}

/** The sidecar's text: `{"recordings": N, "syscalls": {…}}` with 2-space indentation and a newline at the end. */
export function formatCoverageJson(coverage: Coverage): string {
  const args = coverage.arguments === undefined ? {} : {arguments: coverage.arguments}
  return `${JSON.stringify({recordings: coverage.recordings, syscalls: coverage.syscalls, ...args}, null, 2)}\n`
}

/** The sidecar at `path`, or null when it is absent, unreadable, not a regular file, too large or not a coverage file. */
export function readCoverageFile(path: string): Coverage | null {
  try {
    return parseCoverage(readBoundedText(path, {maxBytes: MAX_COVERAGE_BYTES}))
  } catch {
    return null
  }
}

/**
 * The sidecar of the profile at `profilePath` (coveragePathFor), or null when there is none. One that cannot be
 * read or is not a coverage file is ignored with a `warning` that says why.
 */
export function loadCoverage(profilePath: string): {coverage: LoadedCoverage | null; warning?: string} {
  const path = coveragePathFor(profilePath)
  let text: string
  try {
    text = readBoundedText(path, {maxBytes: MAX_COVERAGE_BYTES})
  } catch (error) {
    if (error instanceof BoundedReadError && error.problem === 'missing') return {coverage: null}
    return {coverage: null, warning: `${(error as Error).message}: coverage not shown`}
  }
  const coverage = parseCoverage(text)
  if (coverage === null)
    return {
      coverage: null,
      warning: `${path} is not a coverage file ({"recordings": N, "syscalls": {"name": count}}): coverage not shown`,
    }
  return {coverage: {path, ...coverage}}
}
