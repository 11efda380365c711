import {isAbsolute, join} from 'node:path'
import {BoundedReadError, readBoundedTextIfExists} from '../fs/bounded-read.js'
import {escapeControls, parseStrictJson, quoteForMessage} from '../json/strict-json.js'

/**
 * The OCI state a runtime gives hooks on stdin: `{ociVersion, id, status, pid, bundle, annotations}`.
 * The hook runs as root and annotations come from pods, so everything here is checked before use:
 * size, strict JSON (no duplicate keys), types, the id's characters, an absolute bundle path.
 */
export interface OciState {
  ociVersion: string
  id: string
  status: string
  pid: number | null
  bundle: string
  annotations: Record<string, string>
}

/** States larger than this are refused (annotations are limited to 256 KiB in Kubernetes). */
export const MAX_STATE_BYTES = 1024 * 1024
/** Container ids: podman/CRI-O use 64 hex digits; runc/crun accept names like this. */
export const CONTAINER_ID = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,127}$/

export class StateError extends Error {
  constructor(message: string) {
    super(`OCI state: ${message}`)
    this.name = 'StateError'
  }
}

export function parseOciState(text: string): OciState {
  if (Buffer.byteLength(text) > MAX_STATE_BYTES) throw new StateError(`larger than ${MAX_STATE_BYTES} bytes`)
  const parsed = parseStrictJson(text)
  if (!parsed.ok)
    throw new StateError(
      `${parsed.errors[0]?.message}${parsed.errors.length > 1 ? ` (and ${parsed.errors.length - 1} more)` : ''}`,
    )
  const state = parsed.value
  if (state === null || typeof state !== 'object' || Array.isArray(state)) throw new StateError('not a JSON object')
  const s = state as Record<string, unknown>
  const id = s.id
  if (typeof id !== 'string' || !CONTAINER_ID.test(id))
    throw new StateError(`"id" must be a container id (1-128 of [A-Za-z0-9_.+-]), got ${describe(id)}`)
  const bundle = s.bundle
  if (typeof bundle !== 'string' || !isAbsolute(bundle) || bundle.includes('\0'))
    throw new StateError(`"bundle" must be an absolute path, got ${describe(bundle)}`)
  const pid = s.pid
  // crun reports pid 0 once the container is gone (poststop): no process.
  if (
    pid !== undefined &&
    pid !== null &&
    !(typeof pid === 'number' && Number.isInteger(pid) && pid >= 0 && pid < 2 ** 22)
  )
    throw new StateError(`"pid" must be a process id, got ${describe(pid)}`)
  const annotations = s.annotations ?? {}
  if (annotations === null || typeof annotations !== 'object' || Array.isArray(annotations))
    throw new StateError(`"annotations" must be an object, got ${describe(annotations)}`)
  for (const [key, value] of Object.entries(annotations)) {
    if (typeof value !== 'string')
      throw new StateError(`annotation ${quoteForMessage(key.slice(0, 100))} must be a string, got ${describe(value)}`)
  }
  return {
    ociVersion: typeof s.ociVersion === 'string' ? s.ociVersion : '',
    id,
    status: typeof s.status === 'string' ? s.status : '',
    pid: typeof pid === 'number' && pid > 0 ? pid : null,
    bundle,
    annotations: annotations as Record<string, string>,
  }
}

/** A bundle's config.json larger than this is not read (real ones are a few KiB to a few hundred). */
const MAX_BUNDLE_CONFIG_BYTES = 16 * 1024 * 1024

/**
 * Annotations from the state, or — for older runtimes that omit them there — from `<bundle>/config.json`.
 * config.json can be large; only its `annotations` object is used, with the same checks.
 */
export async function annotationsOf(state: OciState): Promise<Record<string, string>> {
  if (Object.keys(state.annotations).length > 0) return state.annotations
  let text: string | undefined
  try {
    text = readBoundedTextIfExists(join(state.bundle, 'config.json'), {maxBytes: MAX_BUNDLE_CONFIG_BYTES})
  } catch (error) {
    if (!(error instanceof BoundedReadError) || error.problem === 'unreadable') return {}
    throw new StateError(`${state.bundle}/config.json ${error.reason}`)
  }
  if (text === undefined) return {}
  const parsed = parseStrictJson(text)
  if (!parsed.ok) throw new StateError(`${state.bundle}/config.json: ${parsed.errors[0]?.message}`)
  const annotations = (parsed.value as {annotations?: unknown}).annotations
  if (annotations === undefined) return {}
  if (annotations === null || typeof annotations !== 'object' || Array.isArray(annotations))
    throw new StateError('config.json "annotations" must be an object')
  for (const value of Object.values(annotations))
    if (typeof value !== 'string') throw new StateError('config.json annotations must be strings')
  return annotations as Record<string, string>
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing'
  const text = JSON.stringify(value) ?? String(value)
  return escapeControls(text.length > 60 ? `${text.slice(0, 57)}…` : text)
}
