import {createHash} from 'node:crypto'
import {dirname} from 'node:path'
import {UserError} from '../core/errors.js'
import {EXIT} from '../core/exit-codes.js'
import {locateLocalhostProfile} from './names.js'
import type {Dir, FileState} from '../fs/safe-dir.js'
import {MANIFEST_FORMAT} from './manifest-schema.js'
import {validateManifest} from './manifest-validator.generated.js'

export {MANIFEST_FORMAT, MANIFEST_SCHEMA} from './manifest-schema.js'

/**
 * What seccomp-recorder published into a seccomp root: `<root>/.seccomp-recorder-published.json`, keyed by
 * localhostProfile path. Only files listed here with the content we wrote are ours to replace or remove.
 *
 * A write is recorded in two steps so a crash at any moment leaves the manifest truthful: first an `intent`
 * (the hash we are about to write) is saved, then the file is renamed into place, then the intent becomes the
 * entry's `sha256`. A file matching either hash is ours; `reconcile` settles intents left by a crash.
 */

export const MANIFEST_FILE = '.seccomp-recorder-published.json'

export interface Publication {
  sha256: string
  bytes: number
  /** ISO 8601 */
  publishedAt: string
  /** The profile file it came from (absolute path), or `-` when unknown. */
  source: string
}

export interface ManifestEntry {
  /** The content we last saw land, or null while the first write of this file is under way. */
  current: Publication | null
  /** A write under way (or interrupted): the content about to be renamed into place. */
  intent?: Publication
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT
  profiles: Record<string, ManifestEntry>
}

export function emptyManifest(): Manifest {
  return {format: MANIFEST_FORMAT, profiles: {}}
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** `path`: the manifest file, for messages. */
function badManifest(path: string, why: string): UserError {
  return new UserError(`${path} ${why}`, {
    exit: EXIT.REFUSED,
    code: 'bad-manifest',
    suggestions: [
      `It lists what seccomp-recorder published into ${dirname(path)} and is only ever replaced atomically: inspect it; if it is beyond repair, move it away (seccomp-recorder then treats every file there as foreign).`,
    ],
  })
}

/** Reads and checks the manifest of the root; an empty one when there is none. */
export function readManifest(root: Dir): Manifest {
  const state = root.readFile(MANIFEST_FILE)
  if (state.kind === 'missing') return emptyManifest()
  const path = root.display(MANIFEST_FILE)
  if (state.kind === 'symlink') throw badManifest(path, 'is a symlink: refusing to follow it')
  if (state.kind === 'other') throw badManifest(path, `is ${state.what}, not a file`)
  return parseManifest(state.bytes.toString('utf8'), path)
}

/** Parses and checks manifest text; `path` names it in messages. */
export function parseManifest(text: string, path: string): Manifest {
  let document: unknown
  try {
    document = JSON.parse(text)
  } catch (error) {
    throw badManifest(path, `is not valid JSON: ${(error as Error).message}`)
  }
  if (!validateManifest(document)) {
    const first = validateManifest.errors?.[0]
    throw badManifest(
      path,
      `is not a seccomp-recorder manifest: ${first ? `${first.instancePath || '/'} ${first.message}` : 'schema mismatch'}`,
    )
  }
  const manifest = document as Manifest
  for (const key of Object.keys(manifest.profiles)) {
    // A tampered key must not make unpublish remove something outside the root.
    try {
      const location = locateLocalhostProfile(key)
      if (location.localhostProfile !== key) throw new Error('not canonical')
    } catch {
      throw badManifest(path, `lists ${JSON.stringify(key)}, which is not a safe profile path`)
    }
  }
  return manifest
}

/** Saves the manifest atomically (sorted keys, so it diffs well). */
export function writeManifest(root: Dir, manifest: Manifest): void {
  const profiles: Record<string, ManifestEntry> = {}
  for (const key of Object.keys(manifest.profiles).sort()) profiles[key] = manifest.profiles[key]!
  root.writeFileAtomic(MANIFEST_FILE, Buffer.from(`${JSON.stringify({format: MANIFEST_FORMAT, profiles}, null, 2)}\n`))
}

export type Ownership = 'ours' | 'modified' | 'missing'

/** Whether the file in `state` is what we published under `entry` (its current content or an interrupted intent). */
export function ownership(entry: ManifestEntry | undefined, state: FileState): Ownership {
  if (state.kind === 'missing') return 'missing'
  if (entry === undefined || state.kind !== 'file') return 'modified'
  const hash = sha256(state.bytes)
  return hash === entry.current?.sha256 || hash === entry.intent?.sha256 ? 'ours' : 'modified'
}

/**
 * Settles an entry against what is on disk, after a crash or someone else's edit. Returns the entry to keep
 * (undefined: drop it) — the file matching the intent means the rename happened; otherwise it did not, and
 * the entry falls back to `current` (which may since have been modified or removed: `ownership` tells).
 */
export function reconcile(entry: ManifestEntry, state: FileState): ManifestEntry | undefined {
  if (entry.intent === undefined) return entry
  const hash = state.kind === 'file' ? sha256(state.bytes) : undefined
  if (hash !== undefined && hash === entry.intent.sha256) return {current: entry.intent}
  // The first write of this path never landed: whatever is there (nothing, or a foreign file) is not ours.
  if (entry.current === null) return undefined
  return {current: entry.current}
}
