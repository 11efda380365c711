/**
 * Coverage-guided fuzzing of the parsers that read hostile input (issue 8), driven by libFuzzer:
 * - the TypeScript parsers through Jazzer.js (@jazzer.js/core): dist/src is instrumented with edge counters and
 *   comparison hooks, and libFuzzer keeps and mutates the inputs that reach new edges. Entry points in
 *   coverage-targets.ts (state, annotations, profile, strict-json), classified by fuzz-targets.ts. jsonc-parser
 *   (under strict-json.ts) is not instrumented: its per-character comparison hooks slow the runs ten-fold.
 * - the native OCI state scanner (bpf/oci-state.c) through a libFuzzer harness with ASan and UBSan
 *   (fuzz/oci-state-fuzz.c; target oci-state-c).
 * Seeds come from the fixtures (hostile corpus, profiles, runtime defaults) plus fixtures/fuzz/<target>/ (inputs
 * of past findings, replayed by every run); dictionaries from the parsers' own vocabulary. fuzz/build.sh builds the
 * native parts into build/fuzz. Used by coverage-fuzz.test.ts (short run, in `npm test`) and coverage-fuzz-long.ts
 * (`npm run fuzz:coverage`, a million inputs per target).
 */
import {spawn, spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname, join} from 'node:path'
import {
  RECORD_ANNOTATION,
  RECORD_TAIL_ANNOTATION,
  RECORD_THREADS_ANNOTATION,
  TRACE_SYSCALL_ANNOTATION,
} from '../../src/oci/annotations.js'
import {PROFILE_SCHEMA} from '../../src/profile/schema.js'
import {CONTAINERD_CONTAINER_TYPE, CONTAINERD_SANDBOX_NAMESPACE} from '../../src/oci/containerd-keys.js'
import {CRIO_CONTAINER_NAME, CRIO_CONTAINER_TYPE, CRIO_LABELS, PODMAN_MANAGER} from '../../src/oci/identity.js'
import {REPO_ROOT} from '../helpers/cli.js'
import {assemble, loadStateCases, UNIT_PIDS} from './corpus.js'
import {seeds} from './fuzz-targets.js'

export type CoverageTarget = 'state' | 'annotations' | 'profile' | 'strict-json' | 'oci-state-c'
export const COVERAGE_TARGETS: readonly CoverageTarget[] = [
  'state',
  'annotations',
  'profile',
  'strict-json',
  'oci-state-c',
]

export const BUILD = join(process.env.BUILD_DIR ?? join(REPO_ROOT, 'build'), 'fuzz')

interface TargetSpec {
  /** Export of coverage-targets.js (Jazzer targets); undefined for the native harness. */
  entry?: string
  maxLen: number
}
const SPECS: Record<CoverageTarget, TargetSpec> = {
  state: {entry: 'fuzzState', maxLen: 8192},
  annotations: {entry: 'fuzzAnnotations', maxLen: 8192},
  profile: {entry: 'fuzzProfile', maxLen: 32_768},
  'strict-json': {entry: 'fuzzStrictJson', maxLen: 16_384},
  'oci-state-c': {maxLen: 16_384},
}

export interface CoverageResult {
  target: CoverageTarget
  /** Inputs executed (libFuzzer's count, seeds included). */
  execs: number
  /** Edges covered (libFuzzer's `cov`) and features (`ft`: edges with hit-count buckets, comparisons). */
  cov: number
  ft: number
  corpus: number
  /** Inputs kept because they reached new coverage (the feedback loop at work). */
  newUnits: number
  seconds: number
  exitCode: number | null
  signal: string | null
  /** Inputs libFuzzer wrote for findings (crash-*, timeout-*, oom-*, leak-*). */
  findings: string[]
  /** Outcome counts from the classification (Jazzer targets; updated every 1000 inputs). */
  outcomes?: Record<string, number>
  /** The run's whole output (libFuzzer and Jazzer.js write to stderr). */
  log: string
}

/** Builds the native parts (fuzz/build.sh); throws with its output when that fails. */
export function buildNative(): void {
  const result = spawnSync('bash', [join(REPO_ROOT, 'fuzz', 'build.sh')], {cwd: REPO_ROOT, encoding: 'utf8'})
  if (result.status !== 0)
    throw new Error(
      `fuzz/build.sh failed (status ${result.status ?? result.signal}):\n${result.stdout}${result.stderr}`,
    )
}

// ---------------------------------------------------------------------------------------------
// Seeds and dictionaries

const VARS = {
  tmp: '/tmp/h',
  outputRoot: '/tmp/h/out',
  outside: '/tmp/h/outside',
  store: '/tmp/h/store',
  spool: '/tmp/h/spool',
  bundle: '/tmp/h/bundle',
}

function writeCorpus(dir: string, inputs: Iterable<Uint8Array | string>, maxLen: number): number {
  rmSync(dir, {recursive: true, force: true})
  mkdirSync(dir, {recursive: true})
  let n = 0
  for (const input of inputs) {
    const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input)
    if (bytes.length > maxLen) continue
    writeFileSync(join(dir, createHash('sha1').update(bytes).digest('hex')), bytes)
    n++
  }
  return n
}

/** The hostile states as the runtime would write them (raw bytes, invalid UTF-8 included). */
function rawStates(): Buffer[] {
  return loadStateCases().map((c) => assemble(c.input, VARS, UNIT_PIDS))
}

/** States at the native scanner's limits (keys per object, nesting, pid bounds). */
function limitStates(): string[] {
  const annotations = (n: number) =>
    `{"id":"abc","pid":42,"annotations":{${Array.from({length: n}, (_, i) => `"${i}":""`).join(',')}}}`
  const topKeys = (n: number) => `{"id":"abc",${Array.from({length: n - 1}, (_, i) => `"${i}":0`).join(',')}}`
  const nest = (depth: number) => `{"id":"abc","x":${'['.repeat(depth)}0${']'.repeat(depth)}}`
  return [
    annotations(1024),
    annotations(1025),
    topKeys(1024),
    topKeys(1025),
    nest(63),
    nest(64),
    '{"id":"abc","pid":2147483639}',
    '{"id":"abc","pid":2147483640}',
    `{"id":"${'a'.repeat(128)}"}`,
    `{"id":"${'a'.repeat(129)}"}`,
    '{"id":"abc","annotations":{"io.kubernetes.cri-o.ContainerType":"sandbox"}}',
  ]
}

function seedInputs(target: CoverageTarget): Array<Uint8Array | string> {
  const s = seeds()
  switch (target) {
    case 'state':
      return [...rawStates(), ...s.state]
    case 'oci-state-c':
      return [
        ...rawStates(),
        ...limitStates(),
        '{"ociVersion":"1.0.2","id":"abc","status":"created","pid":4242,"bundle":"/run/b","annotations":{"io.kubernetes.cri-o.ContainerType":"container"}}',
      ]
    case 'annotations':
      return s.annotations
    case 'profile':
      return s.profile
    case 'strict-json':
      return [...s.profile, ...s.state, '{"a":{"b":[1,-0.5e3,"\\u00e9\\ud800",true,false,null]}}', '[]', '""']
  }
}

/** libFuzzer dictionary syntax: "…" with \\, \" and \xNN escapes. */
function dictLine(token: string): string {
  const bytes = Buffer.from(token, 'utf8')
  let out = ''
  for (const b of bytes)
    out +=
      b === 0x5c
        ? '\\\\'
        : b === 0x22
          ? '\\"'
          : b >= 0x20 && b < 0x7f
            ? String.fromCharCode(b)
            : `\\x${b.toString(16).padStart(2, '0')}`
  return `"${out}"`
}

const JSON_TOKENS = [
  '{',
  '}',
  '[',
  ']',
  ':',
  ',',
  '"',
  '\\"',
  '\\\\',
  '\\u0000',
  '\\u001b',
  '\\ud800',
  '\\udc00',
  '\\n',
  'true',
  'false',
  'null',
  '-0',
  '1e999',
  '0.5',
  '1E+2',
  ' ',
  '\t',
  '\r\n',
  '\u000b',
  '\u000c',
  '\u00a0',
  '\u2028',
  '\ufeff',
  '\u007f',
  '\u0000',
  '//',
  '/*',
]

function schemaWords(schema: unknown, out: Set<string>): void {
  if (Array.isArray(schema)) {
    for (const item of schema) schemaWords(item, out)
  } else if (schema !== null && typeof schema === 'object') {
    for (const [key, value] of Object.entries(schema)) {
      if (key === 'properties' && value !== null && typeof value === 'object')
        for (const name of Object.keys(value)) out.add(`"${name}"`)
      if (key === 'enum' && Array.isArray(value)) for (const v of value) out.add(`"${String(v)}"`)
      schemaWords(value, out)
    }
  }
}

function dictionary(target: CoverageTarget): string[] {
  const state = [
    '"ociVersion"',
    '"id"',
    '"status"',
    '"pid"',
    '"bundle"',
    '"annotations"',
    `"${CRIO_CONTAINER_TYPE}"`,
    '"sandbox"',
    '"container"',
    `"${CRIO_LABELS}"`,
    `"${CRIO_CONTAINER_NAME}"`,
    `"${TRACE_SYSCALL_ANNOTATION}"`,
    `"${RECORD_ANNOTATION}"`,
    `"${RECORD_TAIL_ANNOTATION}"`,
    `"${RECORD_THREADS_ANNOTATION}"`,
    '"created"',
    '"1.0.2"',
    '"/run/b"',
    '2147483639',
    '2147483640',
    '4194304',
    '4194303',
    // what the native admission (bpf/admission.c) decides on
    `"${CONTAINERD_CONTAINER_TYPE}"`,
    `"${CONTAINERD_SANDBOX_NAMESPACE}"`,
    `"${PODMAN_MANAGER}"`,
    '"cri-o"',
    '"libpod"',
    '"k8s_c_p_ns_u_0"',
    '"of:/o/ns/x.json"',
    '"if:/o/ns/b.json"',
    '"of:/var/lib/seccomp-recorder/output/ns/x.json;if:/o/a.json"',
    '"ns"',
  ]
  switch (target) {
    case 'state':
    case 'oci-state-c':
      return [...JSON_TOKENS, ...state]
    case 'annotations':
      return [
        'of:',
        'if:',
        ';',
        '/',
        '..',
        '.',
        '//',
        'auto',
        'true',
        'own',
        'both',
        ' ',
        '\u0000',
        '\u007f',
        '\n',
        '\u001b[2J',
        '\u2024',
        '.json',
        '/var/lib/seccomp-recorder/output/',
        'team/app/web',
        '{"io.kubernetes.pod.namespace":"',
        '"io.kubernetes.pod.name":"',
        '"io.kubernetes.container.name":"',
        'sandbox',
        '\\u0000',
        '"}',
      ]
    case 'profile': {
      const words = new Set<string>(JSON_TOKENS)
      schemaWords(PROFILE_SCHEMA, words)
      for (const w of [
        '"read"',
        '"write"',
        '"clone"',
        '"personality"',
        '"socket"',
        '"EPERM"',
        '"CAP_SYS_ADMIN"',
        '"5.4"',
        '"x86_64"',
        '4294967295',
        '9007199254740991',
        '9007199254740992',
      ])
        words.add(w)
      return [...words]
    }
    case 'strict-json':
      return [...JSON_TOKENS, '"a"', '"__proto__"', '"constructor"', '{"a":1,"a":2}']
  }
}

export interface RunOptions {
  /** Inputs to execute (libFuzzer -runs; the seeds count too). */
  runs: number
  /**
   * The run's directory: corpus/ (new inputs, kept between runs), seeds/ and <target>.dict (written from the
   * fixtures at every run), findings/ (crash-*, timeout-*: emptied at the start), outcomes.json, log.
   */
  dir: string
  seed?: number
  /** A wall-clock limit for the whole run (ms); the run is killed and reported when it is reached. */
  timeoutMs?: number
  /** Copies of the output as it comes (progress). */
  onOutput?: (chunk: string) => void
}

interface Layout {
  corpus: string
  seeds: string
  regressions: string | undefined
  dict: string
  findings: string
  outcomes: string
}

/** Writes the seed corpus and dictionary of a target into the run's directory. */
function prepare(target: CoverageTarget, dir: string): Layout {
  const layout: Layout = {
    corpus: join(dir, 'corpus'),
    seeds: join(dir, 'seeds'),
    regressions: join(REPO_ROOT, 'fixtures', 'fuzz', target),
    dict: join(dir, `${target}.dict`),
    findings: join(dir, 'findings'),
    outcomes: join(dir, 'outcomes.json'),
  }
  if (!existsSync(layout.regressions!)) layout.regressions = undefined
  if (writeCorpus(layout.seeds, seedInputs(target), SPECS[target].maxLen) === 0) throw new Error(`${target}: no seeds`)
  writeFileSync(layout.dict, `${dictionary(target).map(dictLine).join('\n')}\n`)
  mkdirSync(layout.corpus, {recursive: true})
  rmSync(layout.findings, {recursive: true, force: true})
  mkdirSync(layout.findings, {recursive: true})
  rmSync(layout.outcomes, {force: true})
  return layout
}

function jazzerCli(): string {
  const require = createRequire(join(REPO_ROOT, 'package.json'))
  return join(dirname(require.resolve('@jazzer.js/core/package.json')), 'dist', 'cli.js')
}

/** The command line of one target's run. */
function command(
  target: CoverageTarget,
  layout: Layout,
  options: RunOptions,
): {file: string; args: string[]; env: NodeJS.ProcessEnv} {
  const spec = SPECS[target]
  const corpora = [layout.corpus, layout.seeds, ...(layout.regressions ? [layout.regressions] : [])]
  const libFuzzer = [
    `-runs=${options.runs}`,
    `-max_len=${spec.maxLen}`,
    `-dict=${layout.dict}`,
    `-artifact_prefix=${layout.findings}/`,
    '-print_final_stats=1',
    `-seed=${options.seed ?? 1 + Math.floor(Math.random() * 2 ** 30)}`,
  ]
  if (spec.entry === undefined) {
    return {
      file: join(BUILD, 'oci-state-fuzzer'),
      args: [...libFuzzer, '-use_value_profile=1', ...corpora],
      env: {...process.env, ASAN_OPTIONS: 'detect_leaks=1', UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1'},
    }
  }
  const targets = join(REPO_ROOT, 'dist', 'test', 'hardening', 'coverage-targets.js')
  return {
    file: process.execPath,
    args: [
      '-r',
      join(REPO_ROOT, 'fuzz', 'jazzer-preload.cjs'),
      jazzerCli(),
      targets,
      ...corpora,
      '--fuzzEntryPoint',
      spec.entry,
      '--sync',
      '--includes',
      '/dist/src/',
      '--excludes',
      '/dist/test/',
      '--disableBugDetectors',
      '.*',
      '--',
      ...libFuzzer,
    ],
    env: {...process.env, SCR_FUZZ_OUTCOMES: layout.outcomes},
  }
}

/** Runs one target; resolves with what libFuzzer reported (never rejects for a finding: see `findings`). */
export async function runTarget(target: CoverageTarget, options: RunOptions): Promise<CoverageResult> {
  const layout = prepare(target, options.dir)
  const cmd = command(target, layout, options)
  const started = Date.now()
  let log = ''
  const {exitCode, signal} = await new Promise<{exitCode: number | null; signal: string | null}>((resolve, reject) => {
    const child = spawn(cmd.file, cmd.args, {cwd: REPO_ROOT, env: cmd.env, stdio: ['ignore', 'pipe', 'pipe']})
    const take = (chunk: Buffer) => {
      const text = chunk.toString('utf8')
      log += text
      if (log.length > 4_000_000) log = log.slice(-2_000_000)
      options.onOutput?.(text)
    }
    child.stdout.on('data', take)
    child.stderr.on('data', take)
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            log += `\ncoverage-fuzz: ${target}: killed after ${options.timeoutMs} ms\n`
            child.kill('SIGKILL')
          }, options.timeoutMs)
    child.on('error', reject)
    child.on('close', (code, sig) => {
      if (timer) clearTimeout(timer)
      resolve({exitCode: code, signal: sig})
    })
  })
  writeFileSync(join(options.dir, 'log'), log)
  const seconds = (Date.now() - started) / 1000
  const stats = [...log.matchAll(/cov: (\d+) ft: (\d+) corp: (\d+)\//g)].at(-1)
  const executed = /stat::number_of_executed_units:\s+(\d+)/.exec(log) ?? /Done (\d+) runs in/.exec(log)
  const added = /stat::new_units_added:\s+(\d+)/.exec(log)
  const findings = readdirSync(layout.findings)
    .filter((f) => /^(crash|timeout|oom|leak|slow-unit)-/.test(f))
    .map((f) => join(layout.findings, f))
  const outcomes = existsSync(layout.outcomes)
    ? (JSON.parse(readFileSync(layout.outcomes, 'utf8')) as {outcomes: Record<string, number>}).outcomes
    : undefined
  return {
    target,
    execs: Number(executed?.[1] ?? 0),
    cov: Number(stats?.[1] ?? 0),
    ft: Number(stats?.[2] ?? 0),
    corpus: Number(stats?.[3] ?? 0),
    newUnits: Number(added?.[1] ?? 0),
    seconds,
    exitCode,
    signal,
    findings,
    outcomes,
    log,
  }
}

/** One line for a result: execs, coverage, crashes, and the classification's outcome counts. */
export function summary(r: CoverageResult): string {
  const status = r.exitCode === 0 && r.findings.length === 0 ? 'ok' : `FAILED (exit ${r.exitCode ?? r.signal})`
  const outcomes = r.outcomes
    ? ` | outcomes (first ${Object.values(r.outcomes).reduce((a, b) => a + b, 0)}): ${Object.entries(r.outcomes)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`
    : ''
  return `${r.target}: ${r.execs} execs in ${r.seconds.toFixed(1)} s, cov ${r.cov} edges, ft ${r.ft} features, corpus ${r.corpus} (${r.newUnits} new), crashes ${r.findings.length}${r.findings.length ? ` (${r.findings.join(', ')})` : ''}, ${status}${outcomes}`
}
