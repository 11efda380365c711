/**
 * The annotations that ask for a recording. Values come from pods: every one is hostile until parsed here.
 * - `io.containers.trace-syscall` = `of:/abs/out.json[;if:/abs/base.json]` (either order): the peer hook's form,
 *   which existing users write; CRI-O rewrites the pod annotation `io.containers.trace-syscall/<container>` to it
 *   for that container only. containerd passes pod annotations to every container of the pod unchanged, so for a
 *   containerd container (see containerd-keys.ts) `io.containers.trace-syscall/<its io.kubernetes.cri.container-name>`
 *   is its request and keys naming other containers are ignored; with both that key and the plain one, the
 *   per-container key wins (it is the more specific). Other managers read the plain key only, as before.
 * - `seccomp-recorder.io/record` = `auto` (name from CRI-O labels or the container name) or an explicit profile
 *   name such as `team/web`: the recording goes into the recordings store and is aggregated under that name.
 */
import {reservedNameProblem} from '../core/paths.js'
import {quoteForMessage} from '../json/strict-json.js'
import {containerdContainerName} from './containerd-keys.js'

export const TRACE_SYSCALL_ANNOTATION = 'io.containers.trace-syscall'
export const RECORD_ANNOTATION = 'seccomp-recorder.io/record'
export const RECORD_TAIL_ANNOTATION = 'seccomp-recorder.io/runtime-tail'
export const RECORD_THREADS_ANNOTATION = 'seccomp-recorder.io/runtime-threads'
/** A free label of the run, kept in its recording for provenance (checked in src/store/names.ts, `labelProblem`). */
export const LABEL_ANNOTATION = 'seccomp-recorder.io/label'
/** `seccomp-recorder.io/check: <name>`: a check run (complain mode) against the profile `<name>` (drift). */
export const CHECK_ANNOTATION = 'seccomp-recorder.io/check'

/** The per-container form's prefix: `io.containers.trace-syscall/<container name>`. */
export const TRACE_SYSCALL_PER_CONTAINER_PREFIX = `${TRACE_SYSCALL_ANNOTATION}/`

/** What an annotation value may be at most; longer ones are refused before any parsing. */
export const MAX_ANNOTATION_VALUE = 4096

/** `check`: the store recording is a check run against the profile of that name (`seccomp-recorder.io/check`). */
export type RecordingRequest =
  {kind: 'trace-syscall'; output: string; base: string | null} | {kind: 'store'; name: string | null; check?: true}

export class AnnotationError extends Error {
  constructor(
    readonly annotation: string,
    message: string,
  ) {
    super(`annotation ${annotation}: ${message}`)
    this.name = 'AnnotationError'
  }
}

/** Absolute, no NUL or control bytes, no `.`/`..` components, bounded length. Confinement to roots is separate. */
export function checkAbsolutePath(annotation: string, path: string): string {
  if (path.length === 0) throw new AnnotationError(annotation, 'empty path')
  if (path.length > MAX_ANNOTATION_VALUE)
    throw new AnnotationError(annotation, `path longer than ${MAX_ANNOTATION_VALUE} characters`)
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(path))
    throw new AnnotationError(annotation, 'path contains NUL or control characters')
  if (!path.startsWith('/'))
    throw new AnnotationError(annotation, `path must be absolute (got ${quoteForMessage(path.slice(0, 80))})`)
  if (path.split('/').some((segment) => segment === '..' || segment === '.'))
    throw new AnnotationError(annotation, 'path must not contain "." or ".." components')
  if (path.endsWith('/')) throw new AnnotationError(annotation, 'path names a directory, not a file')
  return path
}

/** Parses `of:/abs/out.json[;if:/abs/base.json]`. */
export function parseTraceSyscall(value: string): {output: string; base: string | null} {
  const a = TRACE_SYSCALL_ANNOTATION
  if (value.length > MAX_ANNOTATION_VALUE)
    throw new AnnotationError(a, `value longer than ${MAX_ANNOTATION_VALUE} characters`)
  const fields = new Map<string, string>()
  for (const part of value.split(';')) {
    const colon = part.indexOf(':')
    if (colon < 0) throw new AnnotationError(a, `${quoteForMessage(part.slice(0, 80))} is not of:PATH or if:PATH`)
    const key = part.slice(0, colon).trim()
    if (key !== 'of' && key !== 'if')
      throw new AnnotationError(
        a,
        `unknown field ${quoteForMessage(key.slice(0, 20))} (expected of: and optionally if:)`,
      )
    if (fields.has(key)) throw new AnnotationError(a, `field ${key}: given twice`)
    fields.set(key, part.slice(colon + 1))
  }
  const output = fields.get('of')
  if (output === undefined) throw new AnnotationError(a, 'missing of:/abs/output.json')
  const base = fields.get('if')
  return {output: checkAbsolutePath(a, output), base: base === undefined ? null : checkAbsolutePath(a, base)}
}

/** A profile name given in `seccomp-recorder.io/record`: `auto`/empty → null (derive it), else `seg/seg/…`. */
export function parseRecordName(value: string, a: string = RECORD_ANNOTATION): string | null {
  const trimmed = value.trim()
  if (trimmed === '' || trimmed === 'auto' || trimmed === 'true') return null
  if (trimmed.length > 253) throw new AnnotationError(a, 'name longer than 253 characters')
  const segments = trimmed.split('/')
  for (const segment of segments) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(segment)) {
      throw new AnnotationError(
        a,
        `name segment ${quoteForMessage(segment.slice(0, 63))} must be 1-63 of [A-Za-z0-9._-] starting with a letter or digit`,
      )
    }
  }
  if (segments.length > 3) throw new AnnotationError(a, 'name has more than 3 segments (namespace/workload/container)')
  const reserved = reservedNameProblem(trimmed)
  if (reserved !== null) throw new AnnotationError(a, reserved)
  return trimmed
}

/** The profile a check run is against: a name as in `seccomp-recorder.io/record`, or `auto` (the container's own). */
export function parseCheckName(value: string): string | null {
  return parseRecordName(value, CHECK_ANNOTATION)
}

/** Which recordings the annotations ask for (none → empty list). Throws AnnotationError on a hostile value. */
export function recordingRequests(annotations: Record<string, string>): RecordingRequest[] {
  const requests: RecordingRequest[] = []
  const key = traceSyscallKey(annotations)
  const trace = key === null ? undefined : annotations[key]
  if (trace !== undefined) requests.push({kind: 'trace-syscall', ...parseTraceSyscall(trace)})
  const record = annotations[RECORD_ANNOTATION]
  const check = annotations[CHECK_ANNOTATION]
  if (record !== undefined && check !== undefined)
    throw new AnnotationError(
      CHECK_ANNOTATION,
      `a check run is recorded under the profile it checks: leave out ${RECORD_ANNOTATION}`,
    )
  if (record !== undefined) requests.push({kind: 'store', name: parseRecordName(record)})
  if (check !== undefined) requests.push({kind: 'store', name: parseCheckName(check), check: true})
  return requests
}

/**
 * Which key holds this container's `io.containers.trace-syscall` request, or null when it makes none: for a
 * containerd container its own per-container key when present, else the plain key (own properties only).
 */
export function traceSyscallKey(annotations: Record<string, unknown>): string | null {
  const container = containerdContainerName(annotations)
  const own = container === null ? null : `${TRACE_SYSCALL_PER_CONTAINER_PREFIX}${container}`
  if (own !== null && Object.hasOwn(annotations, own)) return own
  return Object.hasOwn(annotations, TRACE_SYSCALL_ANNOTATION) ? TRACE_SYSCALL_ANNOTATION : null
}

/** `seccomp-recorder.io/runtime-tail: own|both` overrides the config for one container. */
export function runtimeTailOverride(annotations: Record<string, string>): 'both' | 'own' | undefined {
  const value = annotations[RECORD_TAIL_ANNOTATION]
  if (value === undefined) return undefined
  if (value === 'both' || value === 'own') return value
  throw new AnnotationError(RECORD_TAIL_ANNOTATION, 'must be "both" or "own"')
}

/** `seccomp-recorder.io/runtime-threads: true|false` overrides the config's `runtimeThreads` for one container. */
export function runtimeThreadsOverride(annotations: Record<string, string>): boolean | undefined {
  const value = annotations[RECORD_THREADS_ANNOTATION]
  if (value === undefined) return undefined
  if (value === 'true' || value === 'false') return value === 'true'
  throw new AnnotationError(RECORD_THREADS_ANNOTATION, 'must be "true" or "false"')
}
