import {resolve} from 'node:path'
import {UserError} from '../core/errors.js'
import {EXIT} from '../core/exit-codes.js'
import {loadProfile} from '../profile/load.js'
import {profileFormat, type SeccompProfile} from '../profile/model.js'
import {formatProfileJson, normaliseProfile} from '../profile/normalise.js'
import type {Violation} from '../json/violations.js'
import {
  emptyManifest,
  ownership,
  readManifest,
  reconcile,
  sha256,
  writeManifest,
  type Manifest,
  type Publication,
} from './manifest.js'
import {publishedNameOf} from './inputs.js'
import {locateLocalhostProfile, locateProfile, type ProfileLocation} from './names.js'
import {DEFAULT_LOCK_TIMEOUT_MS, profilePath, profileState, withRootLock} from './root.js'
import {Dir, type FileState} from '../fs/safe-dir.js'

/**
 * `publish`: profiles land in `<root>/<prefix>/<name>.json` as flat OCI JSON, one atomic rename each, under
 * the root's lock, tracked in the root's manifest. Everything that can be refused is checked before anything
 * is written: hostile names, symlinks, docker-format profiles, files that are not ours.
 */

/** A profile ready to publish: validated, normalised, its bytes and where they go. */
export interface PreparedProfile {
  /** The file it was read from (absolute), `-` for none. */
  source: string
  location: ProfileLocation
  /** The flat OCI JSON written: the normalised profile. */
  bytes: Buffer
  sha256: string
  warnings: Violation[]
}

/**
 * - `create`: nothing was there.
 * - `update`: a file we published earlier, replaced.
 * - `replace`: a file we did not publish, replaced with --force; a backup was kept.
 * - `unchanged`: the same bytes were there already (a no-op).
 */
export type PublishAction = 'create' | 'update' | 'replace' | 'unchanged'

export interface PublishedProfile {
  source: string
  name: string
  localhostProfile: string
  path: string
  sha256: string
  bytes: number
  action: PublishAction
  /** The backup of a replaced foreign file (absolute path), else null. */
  backup: string | null
  /** Whether the manifest lists it as ours after this run (false: an identical foreign file left alone). */
  tracked: boolean
  /** Directories created for it. */
  createdDirs: string[]
  warnings: Violation[]
}

export interface PublishResult {
  root: string
  prefix: string
  dryRun: boolean
  profiles: PublishedProfile[]
  /** Temp files of interrupted publishes that this run removed. */
  cleaned: string[]
}

export interface PublishOptions {
  root: string
  prefix: string
  force: boolean
  dryRun: boolean
  lockTimeoutMs?: number
  now?: () => Date
}

/** Loads, validates and normalises the profiles; refuses docker-format ones, hostile and duplicate names. */
export async function prepareProfiles(
  paths: string[],
  options: {name?: string; prefix: string},
): Promise<PreparedProfile[]> {
  if (options.name !== undefined && paths.length !== 1) {
    throw new UserError(`--name names one profile, but ${paths.length} were given`, {
      exit: EXIT.USAGE,
      code: 'usage',
      suggestions: ['Publish them one at a time, or let each take its file name.'],
    })
  }
  // Names first: a hostile name is refused before any profile is read.
  const names = options.name !== undefined ? [options.name] : await Promise.all(paths.map(publishedNameOf))
  const locations = names.map((name) => locateProfile(name, options.prefix))
  const seen = new Map<string, string>()
  paths.forEach((path, i) => {
    const key = locations[i]!.localhostProfile
    const other = seen.get(key)
    if (other !== undefined)
      throw new UserError(`${other} and ${path} would both be published as ${key}`, {
        exit: EXIT.USAGE,
        code: 'duplicate-name',
        suggestions: ['Rename one of the files, or publish them separately with --name.'],
      })
    seen.set(key, path)
  })
  const prepared: PreparedProfile[] = []
  for (const [i, path] of paths.entries()) {
    const {profile, warnings} = await loadProfile(path)
    prepared.push(prepareProfile(profile, locations[i]!, resolve(path), warnings, path))
  }
  return prepared
}

export function prepareProfile(
  profile: SeccompProfile,
  location: ProfileLocation,
  source: string,
  warnings: Violation[] = [],
  shownAs = source,
): PreparedProfile {
  if (profileFormat(profile) === 'docker') {
    throw new UserError(
      `${shownAs} is a docker/moby-format profile (archMap, includes/excludes): runtimes load Localhost profiles as flat OCI JSON and containerd silently ignores those keys`,
      {
        exit: EXIT.REFUSED,
        code: 'docker-format',
        suggestions: [
          'Resolve it into a flat OCI profile for the target architecture and capabilities first, then publish that.',
        ],
      },
    )
  }
  const bytes = Buffer.from(formatProfileJson(normaliseProfile(profile)))
  return {source, location, bytes, sha256: sha256(bytes), warnings}
}

interface Plan {
  profile: PreparedProfile
  action: PublishAction
  /** Record it as ours (false only for an identical foreign file left alone). */
  track: boolean
}

/** Publishes prepared profiles into the root (or, with dryRun, says what publishing would do). */
export async function publishProfiles(profiles: PreparedProfile[], options: PublishOptions): Promise<PublishResult> {
  const now = options.now ?? (() => new Date())
  // Read-only first: a refusal (symlink, conflict, bad manifest) then leaves the root exactly as it was —
  // not even the root, the lock file or a directory is created. Under the lock the plan is made again.
  const preview = (() => {
    const root = Dir.openRoot(options.root, {create: false})
    try {
      const manifest = root ? settle(root, readManifest(root)).manifest : emptyManifest()
      const plans = plan(options.root, root, manifest, profiles, options.force)
      return result(
        options,
        plans.map((p) => published(options.root, p, null, [])),
        [],
      )
    } finally {
      root?.close()
    }
  })()
  if (options.dryRun) return preview

  const root = Dir.openRoot(options.root, {create: true})!
  try {
    return await withRootLock(root, options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS, () => {
      // Under the lock every temp file is an orphan of a killed writer: every writer makes them under it.
      const cleaned = root.sweepTemps()
      const settled = settle(root, readManifest(root))
      const manifest = settled.manifest
      const plans = plan(options.root, root, manifest, profiles, options.force)
      const writes = plans.filter((p) => p.action !== 'unchanged')
      const adopted = plans.filter(
        (p) =>
          p.action === 'unchanged' &&
          p.track &&
          manifest.profiles[p.profile.location.localhostProfile]?.current?.sha256 !== p.profile.sha256,
      )
      const stamp = backupStamp(now())
      const at = now().toISOString()

      // 1. Say what is about to land, so a crash between rename and the final manifest keeps it ours.
      if (writes.length > 0) {
        for (const {profile} of writes) {
          const key = profile.location.localhostProfile
          const existing = manifest.profiles[key]
          manifest.profiles[key] = {current: existing?.current ?? null, intent: publication(profile, at)}
        }
        writeManifest(root, manifest)
      }
      // 2. The files, one atomic rename each.
      const done: PublishedProfile[] = []
      for (const p of plans) {
        let backup: string | null = null
        const createdDirs: string[] = []
        if (p.action !== 'unchanged') {
          const dir = root.walk(p.profile.location.dirs, {create: true, created: createdDirs})!
          try {
            if (p.action === 'replace' && dir.readFile(p.profile.location.file).kind === 'file')
              backup = dir.display(dir.linkBackup(p.profile.location.file, stamp))
            dir.writeFileAtomic(p.profile.location.file, p.profile.bytes)
          } finally {
            dir.close()
          }
        }
        done.push(published(options.root, p, backup, createdDirs))
      }
      // 3. What landed is ours.
      for (const p of [...writes, ...adopted])
        manifest.profiles[p.profile.location.localhostProfile] = {current: publication(p.profile, at)}
      if (writes.length > 0 || adopted.length > 0 || settled.changed) writeManifest(root, manifest)
      return result(options, done, cleaned)
    })
  } finally {
    root.close()
  }
}

function publication(profile: PreparedProfile, at: string): Publication {
  return {sha256: profile.sha256, bytes: profile.bytes.length, publishedAt: at, source: profile.source}
}

/** Settles the intents a crash may have left (see `reconcile`). */
export function settle(root: Dir, manifest: Manifest): {manifest: Manifest; changed: boolean} {
  let changed = false
  for (const [key, entry] of Object.entries(manifest.profiles)) {
    if (entry.intent === undefined) continue
    const settled = reconcile(entry, stateOrModified(root, key))
    if (settled === undefined) delete manifest.profiles[key]
    else manifest.profiles[key] = settled
    changed = true
  }
  return {manifest, changed}
}

/** The file of a manifest key; a symlinked or odd path counts as not ours. */
export function stateOrModified(root: Dir, key: string): FileState {
  try {
    return profileState(root, locateLocalhostProfile(key))
  } catch (error) {
    if (error instanceof UserError && error.exit === EXIT.REFUSED) return {kind: 'other', what: error.message}
    throw error
  }
}

function plan(
  rootPath: string,
  root: Dir | undefined,
  manifest: Manifest,
  profiles: PreparedProfile[],
  force: boolean,
): Plan[] {
  const plans: Plan[] = []
  const conflicts: string[] = []
  for (const profile of profiles) {
    const key = profile.location.localhostProfile
    const path = profilePath(rootPath, profile.location)
    // Symlinked directories are refused here, before anything is written.
    const state: FileState = root === undefined ? {kind: 'missing'} : profileState(root, profile.location)
    if (state.kind === 'symlink') {
      throw new UserError(`refusing to replace the symlink ${path}`, {
        exit: EXIT.REFUSED,
        code: 'symlink',
        suggestions: ['Remove the symlink; profiles are published as regular files.'],
      })
    }
    if (state.kind === 'other')
      throw new UserError(`${path} is ${state.what}, not a profile file`, {exit: EXIT.REFUSED, code: 'not-a-file'})
    const entry = manifest.profiles[key]
    if (state.kind === 'missing') {
      plans.push({profile, action: 'create', track: true})
    } else if (state.bytes.equals(profile.bytes)) {
      const ours = ownership(entry, state) === 'ours'
      plans.push({profile, action: 'unchanged', track: ours || force})
    } else if (ownership(entry, state) === 'ours') {
      plans.push({profile, action: 'update', track: true})
    } else {
      plans.push({profile, action: 'replace', track: true})
      if (!force)
        conflicts.push(
          `${path} exists, differs and was not published by seccomp-recorder${entry ? ' (it changed since)' : ''}`,
        )
    }
  }
  if (conflicts.length > 0) {
    throw new UserError(`${conflicts.join('\n')}\nnothing was published`, {
      exit: EXIT.CONFLICT,
      code: 'conflict',
      suggestions: [
        'Add --force to replace it; the old file is kept as <file>.bak-<time>.',
        'Or publish under another --name or --prefix.',
      ],
    })
  }
  return plans
}

function published(root: string, p: Plan, backup: string | null, createdDirs: string[]): PublishedProfile {
  const {profile} = p
  return {
    source: profile.source,
    name: profile.location.name,
    localhostProfile: profile.location.localhostProfile,
    path: profilePath(root, profile.location),
    sha256: profile.sha256,
    bytes: profile.bytes.length,
    action: p.action,
    backup,
    tracked: p.track,
    createdDirs,
    warnings: profile.warnings,
  }
}

function result(options: PublishOptions, profiles: PublishedProfile[], cleaned: string[]): PublishResult {
  return {root: options.root, prefix: options.prefix, dryRun: options.dryRun, profiles, cleaned}
}

/** `20260102T030405Z`: sorts by time and fits a file name. */
export function backupStamp(date: Date): string {
  return date
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replaceAll('-', '')
    .replaceAll(':', '')
}
