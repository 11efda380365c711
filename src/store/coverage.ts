import {BoundedReadError, readBoundedText} from '../fs/bounded-read.js'
import {validateCoverage} from './coverage-validator.generated.js'

export {COVERAGE_SCHEMA, PROVENANCE_REFS, PROVENANCE_RUNS, PROVENANCE_TEXT} from './coverage-schema.js'

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
  /** Which runs brought each syscall (written by `profiles build` since issue 17; absent in older sidecars). */
  provenance?: Provenance
}

/**
 * Provenance of a built profile (docs/REFERENCE.md, "Provenance"): the contributing runs, listed once each, and
 * per syscall (and per argument tuple, where recordings carry `arguments`) the indexes of the runs that saw it, the
 * newest first. Bounded: at most PROVENANCE_REFS runs per syscall or tuple and PROVENANCE_RUNS runs in all; a
 * syscall whose runs were cut is in `cut` (its count in `syscalls` is the whole number).
 */
export interface Provenance {
  runs: ProvenanceRun[]
  syscalls: Record<string, number[]>
  /** Argument tuples (positions' values joined by `,`, as in the recordings) per syscall. */
  arguments?: Record<string, Record<string, number[]>>
  cut?: string[]
}

/** One contributing run as a reviewer needs it: when, who (pod or command), which runtime, its label. */
export interface ProvenanceRun {
  recording: string
  name: string
  source: string
  runtime: string
  startedAt: string
  endedAt: string
  container: string | null
  pod: string | null
  namespace: string | null
  /** The recorded command (`record`), its words joined by spaces, cut at PROVENANCE_TEXT characters. */
  command: string | null
  label: string | null
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

/** A sidecar's text as a Coverage, or null when it is not one (not JSON, or not of COVERAGE_SCHEMA). */
export function parseCoverage(text: string): Coverage | null {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return null
  }
  if (!validateCoverage(value)) return null
  const {recordings, syscalls, arguments: args, provenance} = value as Coverage
  return {
    recordings,
    syscalls,
    ...(args === undefined ? {} : {arguments: args}),
    ...(provenance === undefined ? {} : {provenance}),
  }
}

/** The sidecar's text: `{"recordings": N, "syscalls": {…}}` with 2-space indentation and a newline at the end. */
export function formatCoverageJson(coverage: Coverage): string {
  const {recordings, syscalls, arguments: args, provenance} = coverage
  const sidecar = {
    recordings,
    syscalls,
    ...(args === undefined ? {} : {arguments: args}),
    ...(provenance === undefined ? {} : {provenance}),
  }
  return `${JSON.stringify(sidecar, null, 2)}\n`
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
