import {chown, lstat} from 'node:fs/promises'
import {isDeepStrictEqual} from 'node:util'
import {execa} from 'execa'
import {parse as parseToml, TomlError} from 'smol-toml'
import {UserError} from '../core/errors.js'
import {EXIT} from '../core/exit-codes.js'
import {writeFileAtomic} from '../fs/atomic-write.js'
import {BoundedReadError, readBoundedText} from '../fs/bounded-read.js'
import {describeFileType} from '../fs/file-type.js'
import {parseStrictJson} from '../json/strict-json.js'
import {BaseSpecError, checkDefaultSpec, type OciSpec} from '../oci/base-spec.js'
import {RECORD_ANNOTATION, TRACE_SYSCALL_ANNOTATION} from '../oci/annotations.js'

/**
 * containerd 1.6/1.7 (config version 2): containerd does not read hooks.d, so our hooks reach CRI containers
 * through a runtime handler's `base_runtime_spec`, and our annotations reach the spec through the handler's
 * `pod_annotations`/`container_annotations` (path.Match patterns: `*` matches no `/`). containerd sets its own
 * `io.kubernetes.cri.*` keys after the passthrough, so a pod cannot override them.
 *
 * Editing the config is a text edit, not a re-serialisation (comments and layout stay): our lines are one block
 * between marker comments, inserted after the handler's table header or appended as a new table; uninstall takes
 * out exactly that block. The result is parsed again and must equal the original plus our keys, or nothing is
 * written.
 */
export const CRI_PLUGIN = 'io.containerd.grpc.v1.cri'

/** The annotation keys a pod passes to the hooks (`seccomp-recorder.io/record`, …; the trace-syscall forms). */
export const ANNOTATION_PASSTHROUGH = [
  `${RECORD_ANNOTATION.split('/')[0]}/*`,
  TRACE_SYSCALL_ANNOTATION,
  `${TRACE_SYSCALL_ANNOTATION}/*`,
] as const

/** containerd's configs are a few KiB; larger ones are refused unread. */
export const MAX_CONTAINERD_CONFIG_BYTES = 1024 * 1024

export const BLOCK_BEGIN =
  '# BEGIN seccomp-recorder: written by `seccomp-recorder install --containerd --write-containerd-config`; `seccomp-recorder uninstall --containerd` removes it'
export const BLOCK_END = '# END seccomp-recorder'

export interface ContainerdSettings {
  /** The CRI runtime handler (`runtimes.<handler>`), by default the config's default_runtime_name or runc. */
  handler: string
  /** Our base spec file. */
  baseSpec: string
}

/** What install changed in a containerd config: the exact block it inserted (uninstall removes that). */
export interface ContainerdConfigEdit {
  block: string
  createdTable: boolean
}

/** The containerd configuration install was given, in the manifest. */
export interface ContainerdInstall {
  config: string
  handler: string
  baseSpec: string
  /** With --write-containerd-config: the block written into the config; null when the lines were only printed. */
  edit: ContainerdConfigEdit | null
}

const refused = (
  message: string,
  code: 'containerd-config-refused' | 'containerd-config-invalid' | 'symlink',
  exit: 2 | 3 = EXIT.REFUSED,
  suggestions: string[] = [],
) => new UserError(message, {exit, code, suggestions})

/** A TOML key: bare when it can be, else a basic string (JSON's escapes are TOML's). */
const tomlKey = (key: string) => (/^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key))
const tomlString = (value: string) => JSON.stringify(value)
const tomlList = (values: readonly string[]) => `[${values.map(tomlString).join(', ')}]`

export const handlerPath = (handler: string) => ['plugins', CRI_PLUGIN, 'containerd', 'runtimes', handler]
export const handlerHeader = (handler: string) => `[${handlerPath(handler).map(tomlKey).join('.')}]`

/** The settings lines for the handler's table (indented as containerd's own example config is). */
export function settingsLines(settings: ContainerdSettings, options: {newTable: boolean}): string[] {
  return [
    // A new runc table: containerd's defaults for it are runtime_type io.containerd.runc.v2 and zero-valued options.
    ...(options.newTable ? [`  runtime_type = "io.containerd.runc.v2"`] : []),
    `  base_runtime_spec = ${tomlString(settings.baseSpec)}`,
    `  pod_annotations = ${tomlList(ANNOTATION_PASSTHROUGH)}`,
    `  container_annotations = ${tomlList(ANNOTATION_PASSTHROUGH)}`,
  ]
}

/** The lines to add to the config by hand (install without --write-containerd-config prints them). */
export function configLinesToAdd(settings: ContainerdSettings): string {
  return [handlerHeader(settings.handler), ...settingsLines(settings, {newTable: false})].join('\n')
}

export function parseContainerdConfig(text: string, path: string): Record<string, unknown> {
  try {
    return parseToml(text) as Record<string, unknown>
  } catch (error) {
    const where = error instanceof TomlError ? ` (line ${error.line}, column ${error.column})` : ''
    throw refused(
      `${path} is not valid TOML${where}: ${(error as Error).message.split('\n')[0]}`,
      'containerd-config-invalid',
      EXIT.USAGE,
    )
  }
}

const child = (value: unknown, key: string): unknown =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)[key]
    : undefined
const at = (doc: unknown, path: string[]): unknown => path.reduce(child, doc)

/** The handler containerd's CRI uses by default: `default_runtime_name`, else runc. */
export function defaultHandler(doc: Record<string, unknown>): string {
  const name = at(doc, ['plugins', CRI_PLUGIN, 'containerd', 'default_runtime_name'])
  return typeof name === 'string' && name !== '' ? name : 'runc'
}

function checkVersion(doc: Record<string, unknown>, path: string): void {
  const version = doc.version ?? 1
  if (version === 2) return
  const hint =
    version === 3
      ? 'containerd 2.x: use the NRI route (README, "Kubernetes on containerd")'
      : 'a version 1 config: convert it to version = 2 (containerd 1.6 reads both)'
  throw refused(
    `${path} is a containerd config of version ${String(version)}; install --containerd edits version 2 configs (containerd 1.6/1.7): ${hint}`,
    'containerd-config-refused',
  )
}

/** The base_runtime_spec of every CRI runtime handler in a (parsed) config. */
export function baseSpecsNamed(doc: Record<string, unknown>): string[] {
  const runtimes = at(doc, ['plugins', CRI_PLUGIN, 'containerd', 'runtimes'])
  if (typeof runtimes !== 'object' || runtimes === null) return []
  return Object.values(runtimes)
    .map((r) => child(r, 'base_runtime_spec'))
    .filter((v): v is string => typeof v === 'string')
}

/** The text with our block (BEGIN…END lines, inclusive) taken out, and the block; undefined when there is none. */
export function findBlock(text: string): {block: string; start: number} | undefined {
  const begin = text.indexOf(`${BLOCK_BEGIN}\n`)
  if (begin < 0 || (begin > 0 && text[begin - 1] !== '\n')) return undefined
  const end = text.indexOf(`${BLOCK_END}\n`, begin)
  if (end < 0) return undefined
  return {block: text.slice(begin, end + BLOCK_END.length + 1), start: begin}
}

/** The line index of the handler's `[table]` header, if the table is declared by one. */
function headerLine(lines: string[], handler: string): number {
  return lines.findIndex((line) => {
    const trimmed = line.trim()
    if (!trimmed.startsWith('[') || trimmed.startsWith('[[')) return false
    try {
      const doc = parseToml(trimmed) as Record<string, unknown>
      const table = at(doc, handlerPath(handler))
      return (
        typeof table === 'object' &&
        table !== null &&
        Object.keys(table).length === 0 &&
        isDeepStrictEqual(plain(stripPath(doc, handlerPath(handler))), {})
      )
    } catch {
      return false
    }
  })
}

/** doc with the (empty) table at path removed, and its emptied parents. */
function stripPath(doc: Record<string, unknown>, path: string[]): Record<string, unknown> {
  const copy = structuredClone(doc)
  const parents: Array<Record<string, unknown>> = [copy]
  for (const key of path.slice(0, -1)) parents.push(parents[parents.length - 1]![key] as Record<string, unknown>)
  for (let i = path.length - 1; i >= 0; i--) {
    const parent = parents[i]!
    const value = parent[path[i]!]
    if (i === path.length - 1 || (typeof value === 'object' && value !== null && Object.keys(value).length === 0))
      delete parent[path[i]!]
  }
  return copy
}

/** The parsed config without our keys (and without the handler table when we created it). */
function withoutOurKeys(doc: Record<string, unknown>, handler: string, createdTable: boolean): Record<string, unknown> {
  const copy = structuredClone(doc)
  const table = at(copy, handlerPath(handler)) as Record<string, unknown> | undefined
  if (table === undefined) return copy
  for (const key of [
    'base_runtime_spec',
    'pod_annotations',
    'container_annotations',
    ...(createdTable ? ['runtime_type'] : []),
  ])
    delete table[key]
  return createdTable ? stripPath(copy, handlerPath(handler)) : copy
}

const OUR_KEYS = ['base_runtime_spec', 'pod_annotations', 'container_annotations'] as const

/**
 * Adds our block to a containerd config's text (idempotent: a block of ours is replaced). Refuses a config that
 * is not version 2, a handler with a base spec of its own (CONFLICT), a handler table that already sets one of
 * our keys, or one not declared by a `[table]` header (REFUSED: the lines are to be added by hand).
 */
export function addToContainerdConfig(
  text: string,
  settings: ContainerdSettings,
  path: string,
  previous?: ContainerdConfigEdit,
): {text: string; edit: ContainerdConfigEdit} {
  // Our earlier block exactly as written (so the file comes back byte for byte), else any block of ours.
  const earlier = previous && removeFromContainerdConfig(text, previous)
  const existing = earlier === undefined ? findBlock(text) : undefined
  const pristine =
    earlier ?? (existing ? text.slice(0, existing.start) + text.slice(existing.start + existing.block.length) : text)
  const doc = parseContainerdConfig(pristine, path)
  checkVersion(doc, path)
  const {handler} = settings
  const table = at(doc, handlerPath(handler)) as Record<string, unknown> | undefined
  const byHand = [`add to ${handlerHeader(handler)} by hand:`, configLinesToAdd(settings)]
  if (table !== undefined && (typeof table !== 'object' || Array.isArray(table)))
    throw refused(`${path}: runtimes.${handler} is not a table`, 'containerd-config-invalid', EXIT.USAGE)
  const base = table?.base_runtime_spec
  if (base !== undefined && base !== settings.baseSpec) {
    throw new UserError(
      `${path}: the ${handler} runtime handler already has base_runtime_spec = ${JSON.stringify(base)}; refusing to replace it (merge our hooks into that spec by hand, or use another handler with --containerd-handler)`,
      {exit: EXIT.CONFLICT, code: 'conflict'},
    )
  }
  const set = OUR_KEYS.filter((key) => table?.[key] !== undefined)
  if (set.length > 0)
    throw refused(
      `${path}: the ${handler} runtime handler already sets ${set.join(', ')}; refusing to edit it (the lines below are to be merged by hand)`,
      'containerd-config-refused',
      EXIT.REFUSED,
      byHand,
    )

  let result: string
  let block: string
  const createdTable = table === undefined
  if (createdTable) {
    block = [BLOCK_BEGIN, handlerHeader(handler), ...settingsLines(settings, {newTable: true}), BLOCK_END, ''].join(
      '\n',
    )
    const separator = pristine === '' || pristine.endsWith('\n\n') ? '' : pristine.endsWith('\n') ? '\n' : '\n\n'
    // The separator is part of our block, so uninstall gives back the file byte for byte.
    block = separator + block
    result = pristine + block
  } else {
    const lines = pristine.split('\n')
    const header = headerLine(lines, handler)
    if (header < 0)
      throw refused(
        `${path}: the ${handler} runtime handler is not declared by a ${handlerHeader(handler)} header (dotted keys or an inline table); refusing to edit it`,
        'containerd-config-refused',
        EXIT.REFUSED,
        byHand,
      )
    block = [BLOCK_BEGIN, ...settingsLines(settings, {newTable: false}), BLOCK_END, ''].join('\n')
    const offset = lines.slice(0, header + 1).join('\n').length + 1
    result = pristine.slice(0, offset) + block + pristine.slice(offset)
  }
  checkEdited(result, doc, settings, createdTable, path)
  return {text: result, edit: {block, createdTable}}
}

/** Plain JSON data (the parser's objects have no prototype; a copy has one). */
const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value))

/** The edited text must parse to the original plus exactly our keys in the handler's table. */
function checkEdited(
  text: string,
  original: Record<string, unknown>,
  settings: ContainerdSettings,
  createdTable: boolean,
  path: string,
): void {
  const doc = parseContainerdConfig(text, path)
  const table = at(doc, handlerPath(settings.handler)) as Record<string, unknown> | undefined
  const ours =
    table?.base_runtime_spec === settings.baseSpec &&
    isDeepStrictEqual(table?.pod_annotations, [...ANNOTATION_PASSTHROUGH]) &&
    isDeepStrictEqual(table?.container_annotations, [...ANNOTATION_PASSTHROUGH])
  if (!ours || !isDeepStrictEqual(plain(withoutOurKeys(doc, settings.handler, createdTable)), plain(original))) {
    throw refused(
      `${path}: inserting our lines would not give the handler's table our settings alone (an unusual layout); refusing to edit it`,
      'containerd-config-refused',
      EXIT.REFUSED,
      [configLinesToAdd(settings)],
    )
  }
}

/** Takes our block out again; undefined when the block is not there as written (changed or removed by hand). */
export function removeFromContainerdConfig(text: string, edit: ContainerdConfigEdit): string | undefined {
  const start = text.indexOf(edit.block)
  if (start < 0) return undefined
  return text.slice(0, start) + text.slice(start + edit.block.length)
}

/**
 * The config's text, read only if it is a regular file of at most 1 MiB (a FIFO, device or huge file: exit 2).
 * To be written (`forWrite`), it must not be a symlink (exit 3): an atomic rename would replace the link, not the
 * file it names.
 */
export async function readContainerdConfig(
  path: string,
  options: {forWrite: boolean},
): Promise<{text: string; mode: number; uid: number; gid: number}> {
  let info
  try {
    info = await lstat(path)
  } catch (error) {
    throw new BoundedReadError(
      path,
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message,
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable',
    )
  }
  if (options.forWrite && info.isSymbolicLink())
    throw refused(
      `${path} is a symlink: refusing to replace it with a file (give the file it names with --containerd-config)`,
      'symlink',
    )
  if (!info.isSymbolicLink() && !info.isFile())
    throw new BoundedReadError(path, `is ${describeFileType(info.mode)}, not a regular file`, 'not-a-file')
  const text = readBoundedText(path, {maxBytes: MAX_CONTAINERD_CONFIG_BYTES, noFollow: options.forWrite})
  return {text, mode: info.mode & 0o7777, uid: info.uid, gid: info.gid}
}

/** Writes the config atomically with its former mode and owner. */
export async function writeContainerdConfig(
  path: string,
  text: string,
  like: {mode: number; uid: number; gid: number},
): Promise<void> {
  await writeFileAtomic(path, text, {mode: like.mode})
  await chown(path, like.uid, like.gid).catch(() => undefined)
}

/** What `status` says about one containerd config install was given. */
export interface ContainerdConfigStatus {
  config: string
  handler: string
  baseSpec: string
  /** The base spec file is there. */
  specPresent: boolean
  /** It holds what install would write now (containerd's current default spec, our hooks). */
  specCurrent: boolean
  /** The handler's table in the config names the base spec and passes our annotations through. */
  linesPresent: boolean
}

/** Whether the config's handler table has our settings (written by us or by hand). */
export function hasOurSettings(doc: Record<string, unknown>, settings: ContainerdSettings): boolean {
  const table = at(doc, handlerPath(settings.handler))
  const passes = (key: string) => {
    const list = child(table, key)
    return Array.isArray(list) && ANNOTATION_PASSTHROUGH.every((p) => list.includes(p))
  }
  return child(table, 'base_runtime_spec') === settings.baseSpec && passes('pod_annotations')
}

/**
 * containerd's default OCI spec, as `ctr oci spec` of the installed containerd prints it (its own version's
 * defaults). containerd missing is a missing prerequisite (exit 4).
 */
export async function containerdDefaultSpec(ctr: string = process.env.SECCOMP_RECORDER_CTR ?? 'ctr'): Promise<OciSpec> {
  const run = await execa(ctr, ['oci', 'spec'], {reject: false, timeout: 10_000})
  if (
    (run as {code?: string}).code === 'ENOENT' ||
    run.exitCode === 127 ||
    (run.failed && run.exitCode === undefined)
  ) {
    throw new UserError(
      `containerd's \`${ctr}\` was not found: install --containerd takes containerd's default spec from \`ctr oci spec\``,
      {
        exit: EXIT.PREREQUISITE,
        code: 'no-containerd',
        suggestions: ['apt-get install containerd (Debian 12: containerd 1.6)'],
      },
    )
  }
  if (run.exitCode !== 0)
    throw new UserError(`\`${ctr} oci spec\` failed: ${`${run.stderr}`.trim().split('\n')[0] ?? ''}`, {
      exit: EXIT.RUNTIME,
      code: 'no-containerd',
    })
  const parsed = parseStrictJson(`${run.stdout}`)
  try {
    if (!parsed.ok) throw new BaseSpecError(parsed.errors[0]?.message ?? 'not JSON')
    return checkDefaultSpec(parsed.value)
  } catch (error) {
    throw new UserError(`\`${ctr} oci spec\` printed no OCI spec: ${(error as Error).message}`, {
      exit: EXIT.RUNTIME,
      code: 'no-containerd',
    })
  }
}

/** `containerd --version`'s first line, if containerd is there. */
export async function containerdVersion(containerd = 'containerd'): Promise<string | undefined> {
  const run = await execa(containerd, ['--version'], {reject: false, timeout: 5000})
  return run.exitCode === 0 ? `${run.stdout}`.split('\n')[0]!.trim() : undefined
}
