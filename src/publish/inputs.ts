import {stat} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'
import {UserError} from '../core/errors.js'
import {EXIT} from '../core/exit-codes.js'
import {COVERAGE_SUFFIX, parseCoverage} from '../store/coverage.js'
import {readProfileText} from '../profile/load.js'
import {COMPLAIN_SUFFIX} from '../profile/complain.js'
import {RecordingStore} from '../store/store.js'
import {nameFromPath} from './names.js'
import {decodeSafeNameSegment, safeNameSegment} from '../store/names.js'

/**
 * What `publish` makes of the files it is given, so that `publish <store>/profiles/*.json` does the right thing:
 * the coverage sidecars beside built profiles are skipped (they are not profiles), and a profile built into a
 * recordings store is published under its recorded name (`default/web/nginx`), not under its encoded file
 * name (`default_2Fweb_2Fnginx`).
 */

export interface SkippedInput {
  path: string
  reason: string
}

/** Splits off coverage sidecars: files named `*.coverage.json` that hold a coverage document. */
export async function withoutCoverageSidecars(paths: string[]): Promise<{profiles: string[]; skipped: SkippedInput[]}> {
  const profiles: string[] = []
  const skipped: SkippedInput[] = []
  for (const path of paths) {
    if (path.endsWith(COVERAGE_SUFFIX) && (await isCoverageSidecar(path)))
      skipped.push({path, reason: 'coverage sidecar, not a profile'})
    else profiles.push(path)
  }
  return {profiles, skipped}
}

async function isCoverageSidecar(path: string): Promise<boolean> {
  try {
    return parseCoverage(await readProfileText(path)) !== null
  } catch {
    return false // unreadable: publishing it reports why
  }
}

/**
 * The name a profile file is published under (without --name): the recorded name for a profile built into a
 * store (`<store>/profiles/<safe name>.json`, with `<store>/recordings/` beside), else the file name without `.json`.
 */
export async function publishedNameOf(path: string): Promise<string> {
  const profilesDir = dirname(path)
  const storeRoot = dirname(profilesDir)
  if (
    basename(profilesDir) !== 'profiles' ||
    !path.endsWith('.json') ||
    !(await isDirectory(join(storeRoot, 'recordings')))
  )
    return nameFromPath(path)
  const encoded = basename(path).slice(0, -'.json'.length)
  const decoded = decodeSafeNameSegment(encoded)
  if (decoded !== undefined) return decoded
  // A long name is stored hashed: its recordings carry it.
  const names = await new RecordingStore(storeRoot).names()
  const recorded = names.find((name) => safeNameSegment(name) === encoded)
  if (recorded !== undefined) return recorded
  // The complain variant of a hashed name (`profiles build --mode complain`): `<hashed>.complain.json`.
  const stem = encoded.endsWith(COMPLAIN_SUFFIX) ? encoded.slice(0, -COMPLAIN_SUFFIX.length) : null
  const checked = stem === null ? undefined : names.find((name) => safeNameSegment(name) === stem)
  if (checked !== undefined) return `${checked}${COMPLAIN_SUFFIX}`
  throw new UserError(
    `cannot tell the recorded name of ${path}: its file name is hashed and no recording of it is left in ${join(storeRoot, 'recordings')}`,
    {
      exit: EXIT.USAGE,
      code: 'unknown-recorded-name',
      suggestions: ['Give the name with --name.'],
    },
  )
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  )
}
