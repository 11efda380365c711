/**
 * The hostile-input corpus (fixtures/hostile/, format in its README.md): loading the cases, turning their
 * segments into the exact bytes a runtime would write on a hook's stdin, laying out the temporary tree a case
 * runs in, and snapshots of that tree to prove that nothing was written outside the configured roots.
 * Shared by test/hardening/*.test.ts (unit level) and test/e2e/hostile.test.ts (native prestart, real kernel).
 */
import {createHash} from 'node:crypto'
import {execFileSync} from 'node:child_process'
import {
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, relative} from 'node:path'
import {fixture} from '../helpers/cli.js'

export const HOSTILE_DIR = fixture('hostile')

export type PidKind = 'live' | 'exited' | 'zombie' | 'self' | 'init' | 'kthreadd'
export type Segment =
  | string
  | {hex: string}
  | {repeat: string; count: number}
  | {numbered: string; count: number; separator?: string}
  | {pid: PidKind}
  | {var: VarName}
export type VarName = 'tmp' | 'outputRoot' | 'outside' | 'store' | 'spool' | 'bundle'

export type SetupStep =
  | {mkdir: string}
  | {file: string; content: string | Segment[]}
  | {symlink: string; target: string}
  | {hardlink: string; target: string}
  | {fifo: string}
  /** A device node made with mknod inside the case tree: `{"mknod": P, "type": "c", "major": 1, "minor": 3}` is a null device. */
  | {mknod: string; type: 'c' | 'b'; major: number; minor: number}
  /** A unix socket file (bound, nobody listening any more). */
  | {socket: string}
  /** A sparse regular file of `size` bytes (no disk used). */
  | {sparse: string; size: number}

/** What one stage does with a case. `message` is a regular expression (source text). */
export type Outcome =
  | {
      outcome: 'accepted'
      requests?: Array<
        {kind: 'trace-syscall'; output: string; base: string | null} | {kind: 'store'; name: string | null}
      >
    }
  | {outcome: 'refused'; error: 'StateError' | 'AnnotationError' | 'UserError'; message: string; exit?: number}
  | {outcome: 'recorded'; written?: string[]; stored?: number}
  | {outcome: 'skipped'; message: string}

export type PrestartOutcome =
  {outcome: 'refused'; exit: number; message: string} | {outcome: 'accepted'} | {outcome: 'skipped'}

export interface StateCase {
  kind: 'state'
  name: string
  file: string
  description: string
  /** The container id the state names, for the poststop stage (null: none usable). */
  id: string | null
  setup?: SetupStep[]
  input: Segment[]
  expect: {parseOciState: Outcome; prestart: PrestartOutcome; poststop?: Outcome}
  /** Expectations that fail today, by key of `expect`, with what goes wrong (see the report of issue 8). */
  knownBug?: Partial<Record<'parseOciState' | 'prestart' | 'poststop', string>>
}

export interface AnnotationCase {
  kind: 'annotations'
  name: string
  file: string
  description: string
  setup?: SetupStep[]
  annotations: Record<string, string | Segment[]>
  /** prestart: the native admission (bpf/admission.c) on these annotations in a well-formed state. */
  expect: {requests: Outcome; prestart: PrestartOutcome; poststop: Outcome}
  /** Absolute paths outside the temporary tree that must not exist afterwards. */
  mustNotExist?: string[]
  knownBug?: Partial<Record<'requests' | 'poststop', string>>
}

function loadDir<T>(dir: string, kind: string): T[] {
  return readdirSync(join(HOSTILE_DIR, dir))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map(
      (f) =>
        ({
          kind,
          name: f.replace(/\.json$/, ''),
          file: join('fixtures', 'hostile', dir, f),
          ...JSON.parse(readFileSync(join(HOSTILE_DIR, dir, f), 'utf8')),
        }) as T,
    )
}

/**
 * A bad input given to the CLI by a user (fixtures/hostile/cli/): devices, FIFOs, sockets, huge files, huge
 * documents. Run with a small heap (`--max-old-space-size`) and a deadline: a clear message, the documented exit
 * code, bounded memory and time, and the nodes named in `unchanged` still what they were.
 */
export interface CliCase {
  kind: 'cli'
  name: string
  file: string
  description: string
  setup?: SetupStep[]
  /** Arguments after `seccomp-recorder` ({{var}} substituted). */
  args: string[]
  expect: {
    exit: number
    /** Regular expressions that stdout and stderr (together) must match. */
    output: string[]
    /** At most this many lines of output in all (warnings are capped per kind). */
    maxLines?: number
  }
  /** Paths whose node (type, inode, device number) must be the same afterwards. */
  unchanged?: string[]
}

export const loadStateCases = (): StateCase[] => loadDir<StateCase>('states', 'state')
export const loadCliCases = (): CliCase[] => loadDir<CliCase>('cli', 'cli')
export const loadAnnotationCases = (): AnnotationCase[] => loadDir<AnnotationCase>('annotations', 'annotations')

/** The temporary tree one case runs in. Roots (where writing is allowed) are outputRoot, store and spool. */
export interface CaseTree {
  vars: Record<VarName, string>
  /** Directories the hook may write into: the configured output roots, the store and the spool. */
  roots: string[]
}

export const VICTIM_TEXT = 'victim: a file outside every root; its content must never change\n'
export const BASE_PROFILE = `${JSON.stringify({defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{names: ['read', 'write'], action: 'SCMP_ACT_ALLOW'}]}, null, 2)}\n`

/** Every case tree of this process lives below one directory, removed by removeCaseTrees(). */
let parent: string | undefined

/** A fresh tree: out/ (output root), store/, outside/ (victims), bundle/; spool/ only when `spool` is true. */
export function makeCaseTree(prefix: string, options: {spool: boolean}): CaseTree {
  parent ??= mkdtempSync(join(tmpdir(), 'scr-hostile-'))
  const tmp = mkdtempSync(join(parent, `${prefix}-`))
  const vars: Record<VarName, string> = {
    tmp,
    outputRoot: join(tmp, 'out'),
    outside: join(tmp, 'outside'),
    store: join(tmp, 'store'),
    spool: join(tmp, 'spool'),
    bundle: join(tmp, 'bundle'),
  }
  for (const dir of [vars.outputRoot, vars.outside, vars.store, vars.bundle, join(vars.outside, 'etc')])
    mkdirSync(dir, {recursive: true})
  if (options.spool) mkdirSync(vars.spool)
  writeFileSync(join(vars.outside, 'victim.json'), VICTIM_TEXT)
  writeFileSync(join(vars.outside, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n')
  writeFileSync(join(vars.outside, 'base.json'), BASE_PROFILE)
  return {vars, roots: [vars.outputRoot, vars.store, vars.spool]}
}

/** Removes every case tree made so far (symlinks are removed, never followed). */
export function removeCaseTrees(): void {
  if (parent !== undefined) rmSync(parent, {recursive: true, force: true})
  parent = undefined
}

export function substitute(text: string, vars: Record<string, string>): string {
  return text.replace(/\{\{(\w+)\}\}/g, (whole, name: string) => vars[name] ?? whole)
}

export function runSetup(steps: readonly SetupStep[] | undefined, vars: Record<string, string>): void {
  for (const step of steps ?? []) {
    if ('mkdir' in step) mkdirSync(substitute(step.mkdir, vars), {recursive: true})
    else if ('file' in step)
      writeFileSync(
        substitute(step.file, vars),
        typeof step.content === 'string' ? substitute(step.content, vars) : assemble(step.content, vars, {}),
      )
    else if ('symlink' in step) symlinkSync(substitute(step.target, vars), substitute(step.symlink, vars))
    else if ('hardlink' in step) linkSync(substitute(step.target, vars), substitute(step.hardlink, vars))
    else if ('fifo' in step) execFileSync('mkfifo', [substitute(step.fifo, vars)])
    else if ('mknod' in step)
      execFileSync('mknod', [substitute(step.mknod, vars), step.type, String(step.major), String(step.minor)])
    else if ('socket' in step)
      execFileSync('python3', [
        '-c',
        'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])',
        substitute(step.socket, vars),
      ])
    else if ('sparse' in step) execFileSync('truncate', ['-s', String(step.size), substitute(step.sparse, vars)])
  }
}

/** The bytes the segments stand for. Strings may hold {{var}}; `var` segments insert a JSON-escaped value. */
export function assemble(
  segments: readonly Segment[],
  vars: Record<string, string>,
  pids: Partial<Record<PidKind, number>>,
): Buffer {
  const parts = segments.map((s): Buffer => {
    if (typeof s === 'string') return Buffer.from(substitute(s, vars), 'utf8')
    if ('hex' in s) return Buffer.from(s.hex.replace(/\s+/g, ''), 'hex')
    if ('repeat' in s) return Buffer.from(s.repeat.repeat(s.count), 'utf8')
    if ('numbered' in s)
      return Buffer.from(
        Array.from({length: s.count}, (_, n) => s.numbered.replaceAll('{{n}}', String(n))).join(s.separator ?? ''),
        'utf8',
      )
    if ('pid' in s) {
      const pid = pids[s.pid]
      if (pid === undefined) throw new Error(`no pid of kind ${s.pid}`)
      return Buffer.from(String(pid))
    }
    const value = vars[s.var]
    if (value === undefined) throw new Error(`no variable ${s.var}`)
    return Buffer.from(JSON.stringify(value).slice(1, -1), 'utf8')
  })
  return Buffer.concat(parts)
}

/** Annotation values of a case with its variables filled in. */
export function annotationValues(c: AnnotationCase, vars: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(c.annotations)) {
    out[key] = typeof value === 'string' ? substitute(value, vars) : assemble(value, vars, {}).toString('utf8')
  }
  return out
}

/** Bytes on stdin as `hook poststop` reads them (node:stream/consumers text(): UTF-8, invalid bytes → U+FFFD, BOM dropped). */
export const decodeStdin = (bytes: Uint8Array): string => new TextDecoder('utf-8').decode(bytes)

/** Pid stand-ins for unit tests (the TypeScript parsers never look at the process). */
export const UNIT_PIDS: Record<PidKind, number> = {
  live: 424242,
  exited: 424243,
  zombie: 424244,
  self: process.pid,
  init: 1,
  kthreadd: 2,
}

// ---------------------------------------------------------------------------------------------
// Snapshots

export interface Entry {
  type: 'file' | 'dir' | 'symlink' | 'other'
  mode: number
  ino: number
  size: number
  mtimeMs: number
  /** file: sha256 of the content; symlink: its target. */
  content: string
}

/** Every entry below `root` (lstat: symlinks are not followed), keyed by path relative to root. */
export function snapshot(root: string): Map<string, Entry> {
  const out = new Map<string, Entry>()
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name)
      const st = lstatSync(path)
      const type = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'other'
      const content =
        type === 'file'
          ? createHash('sha256').update(readFileSync(path)).digest('hex')
          : type === 'symlink'
            ? readlinkSync(path)
            : ''
      // A directory's mtime changes with its entries, which are compared themselves.
      out.set(relative(root, path), {
        type,
        mode: st.mode,
        ino: st.ino,
        size: type === 'dir' ? 0 : st.size,
        mtimeMs: type === 'dir' ? 0 : st.mtimeMs,
        content,
      })
      if (type === 'dir') walk(path)
    }
  }
  walk(root)
  return out
}

export interface TreeChanges {
  added: string[]
  removed: string[]
  changed: string[]
}

export function compareSnapshots(before: Map<string, Entry>, after: Map<string, Entry>): TreeChanges {
  const added = [...after.keys()].filter((k) => !before.has(k)).sort()
  const removed = [...before.keys()].filter((k) => !after.has(k)).sort()
  const changed = [...after.keys()]
    .filter((k) => before.has(k) && JSON.stringify(before.get(k)) !== JSON.stringify(after.get(k)))
    .sort()
  return {added, removed, changed}
}

/** Changes outside the roots (paths relative to `tmp`; a root directory itself appearing counts as inside). */
export function changesOutside(changes: TreeChanges, tree: CaseTree): TreeChanges {
  const rel = tree.roots.map((r) => relative(tree.vars.tmp, r))
  const outside = (p: string) => !rel.some((r) => p === r || p.startsWith(`${r}/`))
  return {
    added: changes.added.filter(outside),
    removed: changes.removed.filter(outside),
    changed: changes.changed.filter(outside),
  }
}

export const isEmptyChange = (c: TreeChanges): boolean => c.added.length + c.removed.length + c.changed.length === 0
