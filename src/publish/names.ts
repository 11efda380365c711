import {createHash} from 'node:crypto'
import {basename} from 'node:path'
import {UserError} from '../core/errors.js'
import {EXIT} from '../core/exit-codes.js'

/**
 * Profile names and where they land. A name such as `team/app/web` (aggregation: namespace/workload/container)
 * becomes the file `<root>/<prefix>/team/app/web.json`, and `localhostProfile: <prefix>/team/app/web.json`.
 * Every segment is a plain file name from a small alphabet, so no name can climb out of the root, hide among
 * our own dot files, or mean different things to the kubelet, the shell and the API server.
 */

/** One path segment: letters, digits, `.`, `_`, `-`; not starting with `.` (no `.`, `..` or hidden files). */
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/
/** NAME_MAX of Linux file systems. */
export const MAX_SEGMENT_BYTES = 255
/** The profile file gets `.json`, and a --force backup `.json.bak-YYYYMMDDTHHMMSSZ-NN`: both must fit NAME_MAX. */
export const MAX_LAST_SEGMENT_BYTES = MAX_SEGMENT_BYTES - '.json'.length - '.bak-YYYYMMDDTHHMMSSZ-NN'.length
/** The whole `<prefix>/<name>.json`: far below PATH_MAX, and short enough for a pod spec. */
export const MAX_LOCALHOST_PROFILE_BYTES = 1024
/** The most directory levels `<prefix>/<name>` may have. */
export const MAX_DEPTH = 16

export const PROFILE_SUFFIX = '.json'

export interface ProfileLocation {
  /** `team/app/web` */
  name: string
  /** `seccomp-recorder` or '' */
  prefix: string
  /** `seccomp-recorder/team/app/web.json`: relative to the seccomp root; what the pod spec names. */
  localhostProfile: string
  /** The directory segments below the root, e.g. ['seccomp-recorder', 'team', 'app']. */
  dirs: string[]
  /** `web.json` */
  file: string
}

function refuse(message: string, suggestion?: string): never {
  throw new UserError(message, {
    exit: EXIT.REFUSED,
    code: 'hostile-name',
    suggestions: [
      suggestion ??
        'Use names made of letters, digits, ".", "_" and "-", with "/" between segments, e.g. team/app/web.',
    ],
  })
}

function show(value: string): string {
  const text = JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}…` : value)
  return value.length > 80 ? `${text} (${Buffer.byteLength(value)} bytes)` : text
}

/** Splits and checks a `/`-separated relative path; `what` names it in messages ("profile name", "--prefix"). */
function checkSegments(value: string, what: string, allowEmpty: boolean): string[] {
  if (value === '') {
    if (allowEmpty) return []
    refuse(`the ${what} is empty`)
  }
  if (value.includes('\0')) refuse(`the ${what} ${show(value.replaceAll('\0', '\\0'))} contains a NUL byte`)
  if (value.startsWith('/'))
    refuse(
      `the ${what} ${show(value)} is absolute: it must be relative to the seccomp root`,
      'The kubelet joins localhostProfile onto <root-dir>/seccomp; give a relative name such as team/app/web.',
    )
  const segments = value.split('/')
  for (const segment of segments) {
    if (segment === '') refuse(`the ${what} ${show(value)} has an empty segment ("//" or a trailing "/")`)
    if (segment === '.' || segment === '..')
      refuse(`the ${what} ${show(value)} contains "${segment}": names cannot leave or repeat their directory`)
    if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES)
      refuse(
        `the ${what} ${show(value)} has a segment of ${Buffer.byteLength(segment)} bytes; at most ${MAX_SEGMENT_BYTES} are allowed`,
      )
    if (segment.startsWith('.'))
      refuse(
        `the ${what} ${show(value)} has a segment starting with ".": hidden names are reserved for seccomp-recorder's own files`,
      )
    if (!SEGMENT.test(segment))
      refuse(`the ${what} ${show(value)} contains characters other than letters, digits, ".", "_", "-" and "/"`)
  }
  if (segments.length > MAX_DEPTH)
    refuse(`the ${what} ${show(value)} has ${segments.length} levels; at most ${MAX_DEPTH} are allowed`)
  return segments
}

/** Checks a profile name (`team/app/web`; a trailing `.json` is dropped) and returns its segments. */
export function checkProfileName(name: string): string[] {
  return checkSegments(stripSuffix(name), 'profile name', false)
}

/** Checks `--prefix` ('' for none) and returns its segments. */
export function checkPrefix(prefix: string): string[] {
  return checkSegments(prefix.replace(/\/+$/, ''), '--prefix', true)
}

function stripSuffix(name: string): string {
  return name.endsWith(PROFILE_SUFFIX) ? name.slice(0, -PROFILE_SUFFIX.length) : name
}

/** The default name of a profile file: its base name without `.json`. */
export function nameFromPath(path: string): string {
  return stripSuffix(basename(path))
}

/** Where a profile called `name` lands below the root with `prefix`. Throws a REFUSED UserError for hostile input. */
export function locateProfile(name: string, prefix: string): ProfileLocation {
  const prefixSegments = checkPrefix(prefix)
  const nameSegments = checkProfileName(name)
  const last = nameSegments.at(-1)!
  if (Buffer.byteLength(last) > MAX_LAST_SEGMENT_BYTES) {
    refuse(
      `the profile name ${show(name)} ends in a segment of ${Buffer.byteLength(last)} bytes; at most ${MAX_LAST_SEGMENT_BYTES} are allowed so that "${PROFILE_SUFFIX}" and a backup suffix fit a file name`,
    )
  }
  const all = [...prefixSegments, ...nameSegments]
  if (all.length > MAX_DEPTH)
    refuse(`--prefix and the profile name together have ${all.length} levels; at most ${MAX_DEPTH} are allowed`)
  const localhostProfile = `${all.join('/')}${PROFILE_SUFFIX}`
  if (Buffer.byteLength(localhostProfile) > MAX_LOCALHOST_PROFILE_BYTES) {
    refuse(
      `the localhostProfile ${show(localhostProfile)} is ${Buffer.byteLength(localhostProfile)} bytes long; at most ${MAX_LOCALHOST_PROFILE_BYTES} are allowed`,
    )
  }
  return {
    name: nameSegments.join('/'),
    prefix: prefixSegments.join('/'),
    localhostProfile,
    dirs: all.slice(0, -1),
    file: `${last}${PROFILE_SUFFIX}`,
  }
}

/**
 * A localhostProfile path as found in our manifest or given to `unpublish` (`seccomp-recorder/team/app/web.json`):
 * checked like a name, returned with its directories and file.
 */
export function locateLocalhostProfile(localhostProfile: string): ProfileLocation {
  if (!localhostProfile.endsWith(PROFILE_SUFFIX))
    refuse(`${show(localhostProfile)} is not a published profile path: it does not end in ${PROFILE_SUFFIX}`)
  return locateProfile(localhostProfile, '')
}

/** The most bytes a ConfigMap key may have (a DNS subdomain's length). */
export const MAX_CONFIGMAP_KEY = 253

/**
 * The ConfigMap key of a profile name. Keys allow only `[-._a-zA-Z0-9]`, the same alphabet as name segments, so
 * `_` is the escape character: `_` → `_5f`, `/` → `_2f` (`team/app_x/web` → `team_2fapp_5fx_2fweb.json`). The
 * mapping is one-to-one and readable; a key that would be too long is shortened and ends in a hash of the name.
 */
export function configMapKey(name: string): string {
  const escaped = `${name.replaceAll('_', '_5f').replaceAll('/', '_2f')}${PROFILE_SUFFIX}`
  if (escaped.length <= MAX_CONFIGMAP_KEY) return escaped
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 16)
  // In an escaped key every `_` starts `_5f` or `_2f`, so `_h` marks a shortened key: it never equals an escaped one.
  return `${escaped.slice(0, MAX_CONFIGMAP_KEY - PROFILE_SUFFIX.length - 2 - hash.length)}_h${hash}${PROFILE_SUFFIX}`
}
