import {UserError} from '../core/errors.js'
import {EXIT} from '../core/exit-codes.js'
import {MANIFEST_FILE, ownership, readManifest, writeManifest, type Ownership} from './manifest.js'
import {locateLocalhostProfile, locateProfile, type ProfileLocation} from './names.js'
import {settle, stateOrModified} from './publish.js'
import {DEFAULT_LOCK_TIMEOUT_MS, profilePath, withRootLock} from './root.js'
import {Dir} from '../fs/safe-dir.js'

/** `published list` and `unpublish`: what the root's manifest says we published, and taking it back. */

/** `ok`: the file is what we published; `modified`: someone changed or replaced it; `missing`: it is gone. */
export type PublishedStatus = 'ok' | Exclude<Ownership, 'ours'>

export interface PublishedEntry {
  localhostProfile: string
  path: string
  status: PublishedStatus
  sha256: string
  bytes: number
  publishedAt: string
  source: string
}

export interface PublishedList {
  root: string
  manifest: string
  profiles: PublishedEntry[]
}

/** Reads the manifest and checks every file against it. Takes no lock and writes nothing. */
export function listPublished(rootPath: string): PublishedList {
  const root = Dir.openRoot(rootPath, {create: false})
  if (root === undefined) return {root: rootPath, manifest: `${rootPath}/${MANIFEST_FILE}`, profiles: []}
  try {
    const {manifest} = settle(root, readManifest(root))
    const profiles: PublishedEntry[] = []
    for (const [key, entry] of Object.entries(manifest.profiles).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (entry.current === null) continue
      const state = stateOrModified(root, key)
      const owned = ownership(entry, state)
      profiles.push({
        localhostProfile: key,
        path: profilePath(rootPath, locateLocalhostProfile(key)),
        status: owned === 'ours' ? 'ok' : owned,
        ...entry.current,
      })
    }
    return {root: rootPath, manifest: root.display(MANIFEST_FILE), profiles}
  } finally {
    root.close()
  }
}

/** `removed`: the file was ours and is gone now; `forgotten`: dropped from the manifest, file left; `already-gone`: the file was missing. */
export type UnpublishAction = 'removed' | 'forgotten' | 'already-gone'

export interface UnpublishedProfile {
  localhostProfile: string
  path: string
  action: UnpublishAction
  /** Directories left empty by the removal and removed too. */
  removedDirs: string[]
}

export interface UnpublishResult {
  root: string
  dryRun: boolean
  profiles: UnpublishedProfile[]
}

/**
 * The manifest key of a name given to `unpublish`: `team/app/web`, or the localhostProfile `team/app/web.json`;
 * with `prefix` joined in front.
 */
export function unpublishLocation(name: string, prefix: string): ProfileLocation {
  return locateProfile(name, prefix)
}

/**
 * Removes profiles we published: only when the file is still what we wrote (a modified file is a CONFLICT,
 * unless `forget`, which drops it from the manifest and leaves the file). Directories emptied by a removal go too.
 */
export async function unpublishProfiles(
  locations: ProfileLocation[],
  options: {root: string; forget: boolean; dryRun: boolean; lockTimeoutMs?: number},
): Promise<UnpublishResult> {
  const root = Dir.openRoot(options.root, {create: false})
  if (root === undefined)
    throw notPublished(
      locations.map((l) => l.localhostProfile),
      options.root,
    )
  const run = (dryRun: boolean): UnpublishResult => {
    const {manifest, changed} = settle(root, readManifest(root))
    const unknown = locations
      .filter((l) => manifest.profiles[l.localhostProfile]?.current == null)
      .map((l) => l.localhostProfile)
    if (unknown.length > 0) throw notPublished(unknown, options.root)
    const plans = locations.map((location) => {
      const key = location.localhostProfile
      const owned = ownership(manifest.profiles[key], stateOrModified(root, key))
      const action: UnpublishAction = options.forget ? 'forgotten' : owned === 'missing' ? 'already-gone' : 'removed'
      return {location, owned, action}
    })
    const modified = plans.filter((p) => p.owned === 'modified' && p.action === 'removed')
    if (modified.length > 0) {
      throw new UserError(
        `${modified.map((p) => profilePath(options.root, p.location)).join(', ')} changed since seccomp-recorder published it: refusing to remove what it did not write\nnothing was removed`,
        {
          exit: EXIT.CONFLICT,
          code: 'conflict',
          suggestions: [
            'Remove the file yourself if it should go, or use --forget to stop tracking it and leave the file.',
          ],
        },
      )
    }
    const done: UnpublishedProfile[] = []
    for (const {location, action} of plans) {
      const removedDirs: string[] = []
      if (action === 'removed' && !dryRun) {
        const dir = root.walk(location.dirs, {create: false})
        if (dir !== undefined) {
          try {
            dir.unlink(location.file)
          } finally {
            dir.close()
          }
        }
        removedDirs.push(...removeEmptyParents(root, location.dirs))
      }
      if (!dryRun) delete manifest.profiles[location.localhostProfile]
      done.push({
        localhostProfile: location.localhostProfile,
        path: profilePath(options.root, location),
        action,
        removedDirs,
      })
    }
    if (!dryRun && (done.length > 0 || changed)) writeManifest(root, manifest)
    return {root: options.root, dryRun, profiles: done}
  }
  try {
    // Read-only first: a refusal leaves the root as it was (no lock file either). Under the lock, for real.
    const preview = run(true)
    if (options.dryRun) return preview
    return await withRootLock(root, options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS, () => {
      root.sweepTemps()
      return run(false)
    })
  } finally {
    root.close()
  }
}

/** rmdir's the directories of a removed profile from the deepest up, stopping at the first that is not empty. */
function removeEmptyParents(root: Dir, dirs: string[]): string[] {
  const removed: string[] = []
  for (let depth = dirs.length; depth > 0; depth--) {
    const parent = root.walk(dirs.slice(0, depth - 1), {create: false})
    if (parent === undefined) break
    try {
      if (!parent.removeEmptyDir(dirs[depth - 1]!)) break
      removed.push(parent.display(dirs[depth - 1]!))
    } finally {
      parent.close()
    }
  }
  return removed
}

function notPublished(keys: string[], root: string): UserError {
  return new UserError(
    `${keys.join(', ')} ${keys.length === 1 ? 'was' : 'were'} not published into ${root} by seccomp-recorder: refusing to remove ${keys.length === 1 ? 'it' : 'them'}`,
    {
      exit: EXIT.REFUSED,
      code: 'not-published',
      suggestions: [`\`seccomp-recorder published list --root ${root}\` shows what was.`],
    },
  )
}
