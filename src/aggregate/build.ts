import {stat} from 'node:fs/promises'
import {UserError} from '../core/errors.js'
import {EXIT} from '../core/exit-codes.js'
import {renderProfile, type ProfileFileFormat} from '../formats/index.js'
import {SPO_ANNOTATION_RECORDINGS} from '../formats/spo.js'
import {loadProfile, ProfileReadError} from '../profile/load.js'
import type {SeccompProfile} from '../profile/model.js'
import {formatProfileJson} from '../profile/normalise.js'
import {outputTarget, writeOutputFile} from '../fs/output-file.js'
import {matchesName, type RecordingFilter} from '../store/filter.js'
import type {InvalidRecordingFile, RecordingStore} from '../store/store.js'
import {contributesToProfile, isPendingCheckRun, type Recording} from '../store/model.js'
import {complainProfile} from '../profile/complain.js'
import {coveragePathFor, formatCoverageJson, readCoverageFile, type Coverage} from '../store/coverage.js'
import {aggregate, withBase, type Aggregate} from './aggregate.js'

/**
 * `profiles build`: one profile per name from the store's recordings. Writing into the store happens under the
 * name's lock, and the name's recordings are read after the lock is taken: whoever builds last has seen every
 * recording saved before it started waiting, so concurrent builds never leave a profile that lacks a run.
 */

export interface BuildOptions {
  filter?: RecordingFilter
  base?: {path: string; profile: SeccompProfile}
  format?: ProfileFileFormat
  /** A file (profile there, coverage beside it), `-` (the caller prints `text`), or undefined: into the store. */
  output?: string
  /** Argument-aware rules (default); false: name-only profiles (`--args off`). */
  arguments?: boolean
  /** Compute and report, write nothing. */
  dryRun?: boolean
  /**
   * `complain`: also the complain variant (profile/complain.ts): into the store beside the enforcing profile
   * (`<safe name>.complain.json`), or as the one profile --output writes.
   */
  mode?: BuildMode
  /**
   * `drift --accept`: pending check runs contribute too, and this is called with them under the name's lock once
   * the profile is written (it marks them accepted).
   */
  acceptCheckRuns?: (pending: Recording[]) => Promise<void>
  onProgress?: (done: number, total: number) => void
}

export interface BuiltProfile extends Aggregate {
  name: string
  fromBase: string[]
  /** The rendered profile (OCI JSON or SPO YAML). */
  text: string
  /** `complain`: only in complain mode. */
  written: {profile: string | null; coverage: string | null; spo: string | null; complain?: string}
  /** Pending check runs (complain mode) left out of the profile; `drift` reports them. */
  checkRuns: number
}

export type BuildMode = 'enforce' | 'complain'
export const BUILD_MODES: readonly BuildMode[] = ['enforce', 'complain']

export interface BuildResult {
  store: string
  built: BuiltProfile[]
  invalid: InvalidRecordingFile[]
}

export async function buildProfiles(store: RecordingStore, options: BuildOptions = {}): Promise<BuildResult> {
  const filter = options.filter ?? {}
  const format = options.format ?? 'oci'
  const mode = options.mode ?? 'enforce'
  if (mode === 'complain' && format !== 'oci')
    throw new UserError('--mode complain writes flat OCI JSON only', {
      exit: EXIT.USAGE,
      code: 'complain-oci-only',
      suggestions: ['Leave out --format spo, or build the enforcing SPO profile in a second run.'],
    })
  if (options.output !== undefined && options.output !== '-' && !options.dryRun) outputTarget(options.output)
  const names = (await store.names()).filter((name) => matchesName(name, filter.names))
  if (names.length === 0) throw noRecordings(store, filter)
  if (options.output !== undefined && names.length > 1) {
    throw new UserError(
      `--output writes one profile, but ${names.length} names match: ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}`,
      {
        exit: EXIT.USAGE,
        code: 'output-needs-one-name',
        suggestions: [
          'Name one profile: `seccomp-recorder profiles build NAME --output FILE`, or leave out --output to write them all into the store.',
        ],
      },
    )
  }

  let total = 0
  for (const name of names) total += await store.countFiles(name)
  let doneBefore = 0
  options.onProgress?.(0, total)

  const built: BuiltProfile[] = []
  const invalid: InvalidRecordingFile[] = []
  for (const name of names) {
    const buildOne = async (): Promise<BuiltProfile | null> => {
      const scan = await store.scanName(name, filter, {
        onProgress: (done) => options.onProgress?.(doneBefore + done, total),
      })
      invalid.push(...scan.invalid)
      // Pending check runs (complain mode) never widen the enforcing profile: `drift --accept` decides.
      const pending = scan.recordings.filter(isPendingCheckRun)
      const accepting = options.acceptCheckRuns !== undefined
      const recordings = accepting ? scan.recordings : scan.recordings.filter(contributesToProfile)
      if (recordings.length === 0) return null
      const result = withBase(aggregate(recordings, {arguments: options.arguments}), options.base?.profile)
      const complain = mode === 'complain' ? complainProfile(result.profile) : null
      const text = renderProfile(complain ?? result.profile, format, {
        name,
        annotations: {[SPO_ANNOTATION_RECORDINGS]: String(result.coverage.recordings)},
        comment: `Built by seccomp-recorder from ${result.coverage.recordings} recording${result.coverage.recordings === 1 ? '' : 's'} of ${name}${options.base ? ` with base ${options.base.path}` : ''}.`,
      })
      const checkRuns = accepting ? 0 : pending.length
      const entry: BuiltProfile = {
        ...result,
        name,
        text,
        written: {profile: null, coverage: null, spo: null},
        checkRuns,
      }
      if (options.dryRun || options.output === '-') return entry
      if (options.output !== undefined) {
        // A FIFO or device is written through and has no directory of its own for a sidecar beside it.
        const coverage = outputTarget(options.output).kind === 'file' ? coveragePathFor(options.output) : null
        if (coverage !== null)
          await writeOutputFile(coverage, formatCoverageJson({...result.coverage, provenance: result.provenance}))
        await writeOutputFile(options.output, text)
        entry.written = {profile: options.output, coverage, spo: null}
        if (mode === 'complain') entry.written.complain = options.output
        return entry
      }
      const paths = store.profilePaths(name)
      // Sidecar first: a crash between the two leaves counts that are at least as new as the profile.
      await store.writeProfileFile(
        paths.coverage,
        formatCoverageJson({...result.coverage, provenance: result.provenance}),
      )
      await store.writeProfileFile(paths.profile, formatProfileJson(result.profile))
      entry.written = {profile: paths.profile, coverage: paths.coverage, spo: null}
      if (complain !== null) {
        await store.writeProfileFile(paths.complain, formatProfileJson(complain))
        entry.written.complain = paths.complain
      }
      if (accepting && pending.length > 0) await options.acceptCheckRuns!(pending)
      if (format === 'spo') {
        await store.writeProfileFile(paths.spo, text)
        entry.written.spo = paths.spo
      }
      return entry
    }
    const writesStore = !options.dryRun && options.output === undefined
    const entry = writesStore ? await store.withNameLock(name, buildOne) : await buildOne()
    doneBefore += await store.countFiles(name).catch(() => 0)
    if (entry) built.push(entry)
  }
  options.onProgress?.(total, total)
  if (built.length === 0) throw noRecordings(store, filter)
  return {store: store.root, built, invalid}
}

function noRecordings(store: RecordingStore, filter: RecordingFilter): UserError {
  const filtered = Object.values(filter).some((v) => v !== undefined && (!Array.isArray(v) || v.length > 0))
  return new UserError(`no recordings${filtered ? ' match the filters' : ''} in the store at ${store.root}`, {
    exit: EXIT.USAGE,
    code: 'no-recordings',
    suggestions: filtered
      ? ['`seccomp-recorder profiles list` shows the names and recordings in the store.']
      : [
          'Record first (`seccomp-recorder record --name NAME -- CMD`, or the OCI hook), or pass --store DIR / set SECCOMP_RECORDER_STORE.',
        ],
  })
}

/** Loads a base profile for --base (must be a valid profile; docker format is kept as it is). */
export async function loadBaseProfile(path: string): Promise<{path: string; profile: SeccompProfile}> {
  return {path, profile: await loadInputProfile(path, '--base')}
}

/** loadProfile for a command's input, with a suggestion on every failure (an unreadable file has none of its own). */
export async function loadInputProfile(path: string, what = 'the profile'): Promise<SeccompProfile> {
  try {
    return (await loadProfile(path)).profile
  } catch (error) {
    if (error instanceof ProfileReadError) {
      throw new UserError(error.message, {
        exit: error.exit,
        code: error.code,
        suggestions: [`Check the path of ${what} (${path}); profiles are JSON files.`],
      })
    }
    throw error
  }
}

// ---------------------------------------------------------------------------------------------
// Reading what was built (for `profiles list` and `profiles show NAME`)

export interface BuiltOnDisk {
  name: string
  profilePath: string
  coveragePath: string
  profile: SeccompProfile
  /** null when the sidecar is missing or invalid. */
  coverage: Coverage | null
  builtAt: string
}

/** The built profile of a name and its coverage, or null when none was built. Throws a UserError if the profile is invalid. */
export async function readBuiltProfile(store: RecordingStore, name: string): Promise<BuiltOnDisk | null> {
  const paths = store.profilePaths(name)
  let builtAt: string
  try {
    builtAt = (await stat(paths.profile)).mtime.toISOString()
  } catch {
    return null
  }
  const {profile} = await loadProfile(paths.profile)
  const coverage = readCoverageFile(paths.coverage)
  return {name, profilePath: paths.profile, coveragePath: paths.coverage, profile, coverage, builtAt}
}
