import {createHash} from 'node:crypto'
import {basename, dirname, join} from 'node:path'
import {readBoundedText} from '../fs/bounded-read.js'
import {parseRecordName, RECORD_ANNOTATION} from '../oci/annotations.js'
import {containerIdentity, OBJECT_NAME, type ContainerIdentity} from '../oci/identity.js'

export {OBJECT_NAME}

/**
 * How container runs get the profile name users think in: `<namespace>/<workload>/<container>` for
 * Kubernetes pods (replicas and restarts of one Deployment share one profile), the container name for
 * podman, or a name the user gives (`record --name`, the `seccomp-recorder.io/record` annotation).
 * Also the one file-name encoding of names (`safeNameSegment`) the store and `profiles build` use.
 */

/**
 * The alphabet of Kubernetes' generated suffixes (`k8s.io/apimachinery/pkg/util/rand`): the random
 * 5-character suffix of generateName and the pod-template-hash, both without vowels and 0, 1, 3.
 */
export const GENERATED_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789'

const G = `[${GENERATED_ALPHABET}]`
/** The random suffix of generateName pods (Job, DaemonSet, bare ReplicaSet): exactly 5 characters. */
const RANDOM = `${G}{5}`
/** pod-template-hash: a uint32 written in decimal, each digit mapped into the alphabet; 6–10 characters in practice. */
const TEMPLATE_HASH = `${G}{6,10}`
/** CronJob job names end in the scheduled time in minutes since the epoch: 8 digits from 1973 to 2160. */
const CRON_MINUTES = '[0-9]{8,10}'
/** StatefulSet ordinal or indexed-Job completion index, without leading zeros. */
const ORDINAL = '(?:0|[1-9][0-9]{0,4})'

const POD_NAME = /^[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?$/
/** The workload part: a valid name that ends in a letter or digit (possibly a single character). */
const PREFIX = '([a-z0-9](?:[-a-z0-9.]*?[a-z0-9])?)'
const WITH_TWO_SUFFIXES = new RegExp(`^${PREFIX}-(?:${TEMPLATE_HASH}|${CRON_MINUTES}|${ORDINAL})-${RANDOM}$`)
const WITH_RANDOM_SUFFIX = new RegExp(`^${PREFIX}-${RANDOM}$`)
const WITH_ORDINAL = new RegExp(`^${PREFIX}-${ORDINAL}$`)

/**
 * The workload a pod belongs to, from the pod's name alone (nothing else reaches an OCI hook):
 * - Deployment `web-7d4b9c8f6d-x2k4q` → `web` (pod-template-hash + random suffix)
 * - CronJob `backup-28373640-x2k4q` → `backup` (scheduled minute + random suffix)
 * - indexed Job `migrate-3-x2k4q` → `migrate`
 * - Job, DaemonSet, bare ReplicaSet `agent-x2k4q` → `agent` (random suffix)
 * - StatefulSet `db-0` → `db` (ordinal)
 * Conservative: a name that is not a valid pod name or does not end in what Kubernetes generates stays whole
 * (`nginx`, `web-server`, `my_pod`). A hand-named pod that happens to end like a generated one (`cache-2`) is
 * shortened like a StatefulSet's: set an explicit name (annotation or template) where that matters.
 */
export function workloadFromPodName(pod: string): string {
  if (!POD_NAME.test(pod)) return pod
  for (const pattern of [WITH_TWO_SUFFIXES, WITH_RANDOM_SUFFIX, WITH_ORDINAL]) {
    const match = pattern.exec(pod)
    if (match) return match[1]!
  }
  return pod
}

// ---------------------------------------------------------------------------------------------
// File-safe names

/** The longest result of safeNameSegment: leaves room for `.coverage.json` and temp-file prefixes within 255 bytes. */
export const MAX_SAFE_SEGMENT = 180
/** The escape marker: `_` itself is written `__`, any other byte outside [A-Za-z0-9.-] as `_HH`. */
const ESCAPE = '_'
const HASHED_MARKER = '_h'
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

function isPlainByte(byte: number): boolean {
  return (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || byte === 0x2d || byte === 0x2e
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

// ---------------------------------------------------------------------------------------------
// Profile names

/** Longest profile name accepted. */
export const MAX_PROFILE_NAME = 512
export const DEFAULT_NAME_TEMPLATE = '{namespace}/{workload}/{container}'
const PLACEHOLDERS = ['namespace', 'pod', 'workload', 'container', 'name'] as const
type Placeholder = (typeof PLACEHOLDERS)[number]

/** Why a profile name is refused, or null when it is fine: 1–512 characters, no control characters, `/`-separated non-empty segments other than `.` and `..`. */
export function profileNameProblem(name: string): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'a profile name must not be empty'
  if (name.length > MAX_PROFILE_NAME) return `a profile name must be at most ${MAX_PROFILE_NAME} characters (got ${name.length})`
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name) || LONE_SURROGATE.test(name)) return 'a profile name must not contain control characters'
  for (const segment of name.split('/')) {
    if (segment === '') return `"${name}": a profile name has no empty segments (no leading, trailing or double "/")`
    if (segment === '.' || segment === '..') return `"${name}": "." and ".." are not allowed as segments`
    if (segment.trim() !== segment) return `"${name}": segments must not start or end with white space`
  }
  return null
}

export interface NamingParts {
  namespace?: string | null
  pod?: string | null
  container?: string | null
  /** podman's container name (`podman run --name`, or the generated one). */
  podmanName?: string | null
  /** A name the user gave on the host (`record --name`): used as it is. */
  explicit?: string | null
  /** A name from the container's own annotations: scoped to the pod's namespace (see profileNameFor). */
  annotation?: string | null
  /** `{namespace}/{workload}/{container}` by default; placeholders {namespace} {pod} {workload} {container} {name}. */
  template?: string | null
  /** Container id, for the last-resort name `unnamed/<id12>`. */
  id?: string | null
}

/**
 * The profile name of a container run, first that applies:
 * 1. `explicit` (the user's own choice on the host);
 * 2. `annotation` — for a Kubernetes container it is put under the pod's namespace (`team-a/custom`), so a pod
 *    cannot write into another namespace's profile by annotating itself with that profile's name;
 * 3. the template (default `{namespace}/{workload}/{container}`) when every placeholder it uses is known;
 * 4. podman's container name; 5. the container name; 6. `unnamed/<first 12 of the id>` — 5 and 6 under the
 *    namespace when there is one (a Kubernetes container never falls back to a name outside its namespace).
 * Throws when `explicit` or the template result is not a valid name; an invalid annotation is ignored.
 */
export function profileNameFor(parts: NamingParts): string {
  const explicit = parts.explicit ?? null
  if (explicit !== null && explicit !== '') {
    const problem = profileNameProblem(explicit)
    if (problem) throw new Error(problem)
    return explicit
  }
  const namespace = validObjectName(parts.namespace)
  const annotation = parts.annotation ?? null
  if (annotation !== null && profileNameProblem(annotation) === null) {
    const scoped = namespace === null || annotation.startsWith(`${namespace}/`) ? annotation : `${namespace}/${annotation}`
    if (profileNameProblem(scoped) === null) return scoped
  }
  const pod = validObjectName(parts.pod)
  const container = validObjectName(parts.container)
  const podmanName = validObjectName(parts.podmanName)
  const values: Record<Placeholder, string | null> = {namespace, pod, workload: pod === null ? null : workloadFromPodName(pod), container, name: podmanName}
  const template = parts.template ?? DEFAULT_NAME_TEMPLATE
  const filled = fillTemplate(template, values)
  if (filled !== null) {
    const problem = profileNameProblem(filled)
    if (problem) throw new Error(`name template ${JSON.stringify(template)}: ${problem}`)
    return filled
  }
  // A Kubernetes container's fallbacks stay in its namespace: no name outside it belongs to the pod.
  const scope = (name: string) => (namespace === null ? name : `${namespace}/${name}`)
  if (podmanName !== null && namespace === null) return podmanName
  if (container !== null) return scope(container)
  const id = typeof parts.id === 'string' ? parts.id.replace(/[^A-Za-z0-9]/g, '').slice(0, 12) : ''
  return scope(id === '' ? 'unnamed' : `unnamed/${id}`)
}

/** Checks a name template: known placeholders only, and at least one. Returns the problem or null. */
export function nameTemplateProblem(template: string): string | null {
  const used = [...template.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1]!)
  if (used.length === 0) return `name template ${JSON.stringify(template)} uses no placeholder (${PLACEHOLDERS.map((p) => `{${p}}`).join(' ')})`
  const unknown = used.filter((p) => !(PLACEHOLDERS as readonly string[]).includes(p))
  if (unknown.length > 0) return `name template ${JSON.stringify(template)}: unknown placeholder ${unknown.map((p) => `{${p}}`).join(', ')}`
  return null
}

function fillTemplate(template: string, values: Record<Placeholder, string | null>): string | null {
  if (nameTemplateProblem(template) !== null) throw new Error(nameTemplateProblem(template)!)
  let complete = true
  const out = template.replace(/\{([^{}]*)\}/g, (_, key: Placeholder) => {
    const value = values[key]
    if (value === null) complete = false
    return value ?? ''
  })
  return complete ? out : null
}

function validObjectName(value: unknown): string | null {
  return typeof value === 'string' && OBJECT_NAME.test(value) ? value : null
}

// ---------------------------------------------------------------------------------------------
// Names from OCI annotations

export interface OciNaming extends ContainerIdentity {
  /** An explicit profile name from `seccomp-recorder.io/record` (null for `auto` or a value parseRecordName refuses). */
  annotation: string | null
}

/**
 * What the container manager tells about a container (src/oci/identity.ts: trusted keys only; throws
 * AnnotationError on contradictory ones) and the profile name the container asks for, if any.
 */
export function namingFromOciAnnotations(annotations: unknown): OciNaming {
  const identity = containerIdentity(annotations)
  let annotation: string | null = null
  const own = annotations !== null && typeof annotations === 'object' ? (annotations as Record<string, unknown>) : {}
  const requested = Object.hasOwn(own, RECORD_ANNOTATION) ? own[RECORD_ANNOTATION] : undefined
  if (typeof requested === 'string') {
    try {
      const name = parseRecordName(requested)
      annotation = name !== null && profileNameProblem(name) === null ? name : null
    } catch {
      annotation = null
    }
  }
  return {...identity, annotation}
}

/** containers.json larger than this is not read. */
const MAX_CONTAINERS_JSON = 32 * 1024 * 1024

/**
 * podman's name for a container: podman 4 does not put it into the OCI annotations, but its storage keeps
 * `<graph root>/<driver>-containers/containers.json` with `{id, names}` per container, and the bundle a hook
 * receives is `<graph root>/<driver>-containers/<id>/userdata`. Returns null whenever that layout is not there.
 */
export async function podmanNameFromBundle(bundle: string, id: string): Promise<string | null> {
  if (basename(bundle) !== 'userdata' || basename(dirname(bundle)) !== id || !basename(dirname(dirname(bundle))).endsWith('-containers')) return null
  const path = join(dirname(dirname(bundle)), 'containers.json')
  try {
    const entries: unknown = JSON.parse(readBoundedText(path, {maxBytes: MAX_CONTAINERS_JSON}))
    if (!Array.isArray(entries)) return null
    for (const entry of entries) {
      if (entry && typeof entry === 'object' && (entry as {id?: unknown}).id === id) {
        const names = (entry as {names?: unknown}).names
        return Array.isArray(names) ? validObjectName(names[0]) : null
      }
    }
    return null
  } catch {
    return null
  }
}
