/**
 * Fuzzing the three parsers that read hostile input — profile text (checkProfileText), annotation values
 * (parseTraceSyscall, parseRecordName, runtimeTailOverride, recordingRequests, namingFromOciAnnotations) and the
 * OCI state (parseOciState) — with fast-check strings, JSON, and mutations of the hostile corpus and of real
 * profiles. Each input ends in an outcome: accepted (checked against the parser's promises), refused with the
 * documented error class, a known bug (named, reported in issue 8), or a crash (anything else). Used by
 * fuzz.test.ts (short, in CI) and fuzz-long.ts (a million inputs, by hand).
 */
import {readdirSync, readFileSync, statSync} from 'node:fs'
import {join} from 'node:path'
import fc from 'fast-check'
import {
  AnnotationError,
  MAX_ANNOTATION_VALUE,
  parseRecordName,
  parseTraceSyscall,
  recordingRequests,
  runtimeTailOverride,
  runtimeThreadsOverride,
} from '../../src/oci/annotations.js'
import {CONTAINER_ID, parseOciState, StateError} from '../../src/oci/state.js'
import {checkProfileText} from '../../src/profile/load.js'
import {formatProfileJson, normaliseProfile} from '../../src/profile/normalise.js'
import {REPO_ROOT} from '../helpers/cli.js'
import {annotationValues, assemble, decodeStdin, loadAnnotationCases, loadStateCases, UNIT_PIDS} from './corpus.js'
import {namingFromOciAnnotations} from '../../src/naming/oci-annotations.js'

export type TargetName = 'state' | 'annotations' | 'profile'

/** Thrown when an accepted input breaks what the parser promises: a bug like a crash. */
export class BrokenPromise extends Error {
  override name = 'BrokenPromise'
}

/**
 * Known bugs (reported, not fixed here): classified so that the short fuzz run fails only on new ones. Remove an
 * entry once fixed; the fuzz run then treats it as a crash again.
 */
export const KNOWN_BUGS: ReadonlyArray<{name: string; matches: (error: unknown) => boolean}> = []

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/

function promise(condition: boolean, message: string): void {
  if (!condition) throw new BrokenPromise(message)
}

/** Runs one input through one target; returns the outcome name. Throws only for crashes and broken promises. */
export function runTarget(target: TargetName, input: string): string {
  switch (target) {
    case 'state': {
      let state
      try {
        state = parseOciState(input)
      } catch (error) {
        if (error instanceof StateError) return 'refused:StateError'
        throw error
      }
      promise(CONTAINER_ID.test(state.id), `accepted id ${JSON.stringify(state.id)}`)
      promise(
        state.bundle.startsWith('/') && !state.bundle.includes('\0'),
        `accepted bundle ${JSON.stringify(state.bundle)}`,
      )
      promise(
        state.pid === null || (Number.isInteger(state.pid) && state.pid > 0 && state.pid < 2 ** 22),
        `accepted pid ${state.pid}`,
      )
      promise(
        Object.values(state.annotations).every((v) => typeof v === 'string'),
        'accepted a non-string annotation',
      )
      return 'accepted'
    }
    case 'annotations': {
      const outcomes: string[] = []
      const attempt = (what: string, fn: () => void) => {
        try {
          fn()
          outcomes.push(`${what}:accepted`)
        } catch (error) {
          if (error instanceof AnnotationError) return void outcomes.push(`${what}:refused`)
          throw error
        }
      }
      attempt('trace', () => {
        const {output, base} = parseTraceSyscall(input)
        for (const path of [output, ...(base === null ? [] : [base])]) {
          promise(
            path.startsWith('/') && !path.endsWith('/') && path.length <= MAX_ANNOTATION_VALUE,
            `accepted path ${JSON.stringify(path.slice(0, 80))}`,
          )
          promise(!CONTROL.test(path), `accepted a path with control characters ${JSON.stringify(path.slice(0, 80))}`)
          promise(
            !path.split('/').some((s) => s === '.' || s === '..'),
            `accepted a path with . or .. ${JSON.stringify(path.slice(0, 80))}`,
          )
        }
      })
      attempt('record', () => {
        const name = parseRecordName(input)
        if (name === null) return
        const segments = name.split('/')
        promise(
          segments.length <= 3 && segments.every((s) => /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(s)),
          `accepted name ${JSON.stringify(name.slice(0, 80))}`,
        )
      })
      attempt('tail', () => {
        const tail = runtimeTailOverride({'seccomp-recorder.io/runtime-tail': input})
        promise(tail === 'both' || tail === 'own', `accepted tail ${JSON.stringify(input.slice(0, 40))}`)
      })
      attempt('threads', () => {
        const threads = runtimeThreadsOverride({'seccomp-recorder.io/runtime-threads': input})
        promise(input === String(threads), `accepted runtime-threads ${JSON.stringify(input.slice(0, 40))}`)
      })
      attempt(
        'requests',
        () => void recordingRequests({'io.containers.trace-syscall': input, 'seccomp-recorder.io/record': input}),
      )
      // Names a container or refuses it (a namespace that cannot be told, contradictory keys) with an AnnotationError.
      attempt('naming', () => {
        const naming = namingFromOciAnnotations({
          'io.kubernetes.cri-o.Labels': input,
          'io.kubernetes.cri-o.ContainerName': input,
          'seccomp-recorder.io/record': input,
          'io.kubernetes.cri-o.ContainerType': input,
          'io.container.manager': input,
        })
        promise(
          [naming.container, naming.pod, naming.namespace].every(
            (n) => n === null || /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(n),
          ),
          'naming accepted a hostile object name',
        )
        promise(
          !naming.kubernetes || naming.sandbox || naming.namespace !== null,
          'a Kubernetes container named without its namespace',
        )
      })
      return outcomes.filter((o) => o.startsWith('trace') || o.startsWith('record')).join(',')
    }
    case 'profile': {
      const check = checkProfileText(input)
      if (!check.valid) {
        promise(check.errors.length > 0, 'invalid without an error')
        return 'invalid'
      }
      // What is valid stays valid through normalisation and its own text (merge, diff and publish rely on it).
      const again = checkProfileText(formatProfileJson(normaliseProfile(check.profile)))
      promise(again.valid, `normalised form of a valid profile is invalid: ${JSON.stringify(again.errors.slice(0, 2))}`)
      return 'valid'
    }
  }
}

export interface Classified {
  outcome: string
  /** Set for crashes: the error, for the report. */
  error?: unknown
}

export function classify(target: TargetName, input: string): Classified {
  try {
    return {outcome: runTarget(target, input)}
  } catch (error) {
    const known = KNOWN_BUGS.find((b) => b.matches(error))
    if (known) return {outcome: `known-bug:${known.name}`}
    return {outcome: `CRASH:${(error as Error)?.name ?? typeof error}`, error}
  }
}

// ---------------------------------------------------------------------------------------------
// Inputs

const FAKE_VARS = {
  tmp: '/tmp/h',
  outputRoot: '/tmp/h/out',
  outside: '/tmp/h/outside',
  store: '/tmp/h/store',
  spool: '/tmp/h/spool',
  bundle: '/tmp/h/bundle',
}

function profileSeeds(): string[] {
  const files: string[] = []
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name)
      if (statSync(path).isDirectory()) walk(path)
      else if (name.endsWith('.json') && statSync(path).size < 256 * 1024) files.push(path)
    }
  }
  for (const dir of ['fixtures/profiles', 'fixtures/diff', 'fixtures/runtime-default', 'fixtures/publish'])
    walk(join(REPO_ROOT, dir))
  return files.map((f) => readFileSync(f, 'latin1')).map((t) => decodeStdin(Buffer.from(t, 'latin1')))
}

/** Seeds per target: the hostile corpus and the profile fixtures (with the bundled runtime defaults). */
export function seeds(): Record<TargetName, string[]> {
  const states = loadStateCases()
    .map((c) => decodeStdin(assemble(c.input, FAKE_VARS, UNIT_PIDS)))
    .filter((text) => text.length < 20_000)
  const annotations = loadAnnotationCases()
    .flatMap((c) => Object.values(annotationValues(c, FAKE_VARS)))
    .filter((v) => v.length < 10_000)
  const moby = readFileSync(join(REPO_ROOT, 'profiles', 'runtime-default', 'moby-default.json'), 'utf8')
  return {
    state: [
      ...states,
      '{"ociVersion":"1.0.2","id":"abc","status":"created","pid":4242,"bundle":"/run/b","annotations":{"io.containers.trace-syscall":"of:/o/x.json;if:/o/b.json"}}',
    ],
    annotations: [
      ...annotations,
      'of:/var/lib/seccomp-recorder/output/x.json;if:/var/lib/seccomp-recorder/output/b.json',
      'team/app/web',
      'auto',
      'own',
      'both',
    ],
    profile: [...profileSeeds(), moby],
  }
}

const TOKENS = [
  '"',
  '\\',
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  '\u0000',
  '\\u0000',
  '\\ud800',
  '\ud800',
  '..',
  '/',
  ';',
  'of:',
  'if:',
  '/../',
  '\n',
  '\u001b[2J',
  'null',
  '1e999',
  '-0',
  '"id":"x",',
  '"pid":1,',
  '"names":[],',
  '"action":"SCMP_ACT_ALLOW"',
  '\ufeff',
  '\u00a0',
]

type Mutation =
  | {kind: 'insert'; at: number; token: string}
  | {kind: 'delete'; at: number; length: number}
  | {kind: 'flip'; at: number; code: number}
  | {kind: 'duplicate'; at: number; length: number; times: number}
  | {kind: 'truncate'; at: number}
  | {kind: 'nest'; at: number; depth: number; open: string}

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('insert' as const),
      at: fc.nat(),
      token: fc.oneof(fc.constantFrom(...TOKENS), fc.string({maxLength: 4, unit: 'binary'})),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({min: 1, max: 16})}),
  },
  {
    weight: 3,
    arbitrary: fc.record({kind: fc.constant('flip' as const), at: fc.nat(), code: fc.integer({min: 0, max: 0xffff})}),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('duplicate' as const),
      at: fc.nat(),
      length: fc.integer({min: 1, max: 40}),
      times: fc.integer({min: 1, max: 3}),
    }),
  },
  {weight: 1, arbitrary: fc.record({kind: fc.constant('truncate' as const), at: fc.nat()})},
  // Rare and mostly shallow: deep nesting is a known bug (KNOWN_BUGS) and is counted, not hunted.
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('nest' as const),
      at: fc.nat(),
      depth: fc.oneof(
        {weight: 9, arbitrary: fc.integer({min: 1, max: 80})},
        {weight: 1, arbitrary: fc.integer({min: 5000, max: 20000})},
      ),
      open: fc.constantFrom('[', '{"a":'),
    }),
  },
)

function mutate(text: string, mutations: readonly Mutation[]): string {
  let s = text
  for (const m of mutations) {
    const at = s.length === 0 ? 0 : m.at % (s.length + 1)
    switch (m.kind) {
      case 'insert':
        s = s.slice(0, at) + m.token + s.slice(at)
        break
      case 'delete':
        s = s.slice(0, at) + s.slice(at + m.length)
        break
      case 'flip':
        s = s.slice(0, at) + String.fromCharCode(m.code) + s.slice(at + 1)
        break
      case 'duplicate':
        s = s.slice(0, at) + s.slice(at, at + m.length).repeat(m.times + 1) + s.slice(at + m.length)
        break
      case 'truncate':
        s = s.slice(0, at)
        break
      case 'nest':
        s = s.slice(0, at) + m.open.repeat(m.depth) + s.slice(at)
        break
    }
  }
  return s
}

/** Inputs for one target: random strings, random JSON, and mutated seeds (most of them). */
export function inputs(target: TargetName, seedList: readonly string[]): fc.Arbitrary<string> {
  const structured =
    target === 'state'
      ? fc
          .record(
            {
              ociVersion: fc.oneof(fc.constant('1.0.2'), fc.jsonValue()),
              id: fc.oneof(
                fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.+-]{0,8}$/),
                fc.string({maxLength: 12}),
                fc.jsonValue(),
              ),
              status: fc.constantFrom('creating', 'created', 'running', 'stopped'),
              pid: fc.oneof(fc.integer({min: -5, max: 5_000_000}), fc.double(), fc.jsonValue()),
              bundle: fc.oneof(fc.constant('/run/b'), fc.string({maxLength: 12})),
              annotations: fc.oneof(
                fc.dictionary(fc.string({maxLength: 12}), fc.oneof(fc.string({maxLength: 30}), fc.jsonValue())),
                fc.jsonValue(),
              ),
            },
            {requiredKeys: []},
          )
          .map((o) => JSON.stringify(o))
      : target === 'annotations'
        ? fc.oneof(
            fc
              .tuple(
                fc.constantFrom('of:', 'if:', 'of: ', 'xf:', ''),
                fc.array(fc.constantFrom('/', '..', '.', 'a', 'out', '\u0000', ';', 'of:', 'if:', '\n', '~', '%2e'), {
                  maxLength: 10,
                }),
              )
              .map(([k, parts]) => k + parts.join('')),
            fc
              .array(
                fc.oneof(
                  fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,8}$/),
                  fc.constantFrom('', '.', '..', ' ', 'auto'),
                ),
                {minLength: 1, maxLength: 5},
              )
              .map((s) => s.join('/')),
          )
        : fc
            .record(
              {
                defaultAction: fc.oneof(
                  fc.constantFrom('SCMP_ACT_ERRNO', 'SCMP_ACT_ALLOW', 'SCMP_ACT_NOTIFY'),
                  fc.jsonValue(),
                ),
                architectures: fc.oneof(fc.constant(['SCMP_ARCH_X86_64']), fc.jsonValue()),
                syscalls: fc.oneof(
                  fc.array(
                    fc.record(
                      {
                        names: fc.oneof(fc.constant(['read']), fc.jsonValue()),
                        action: fc.constantFrom('SCMP_ACT_ALLOW', 'SCMP_ACT_KILL'),
                        args: fc.jsonValue(),
                      },
                      {requiredKeys: []},
                    ),
                    {maxLength: 3},
                  ),
                  fc.jsonValue(),
                ),
              },
              {requiredKeys: []},
            )
            .map((o) => JSON.stringify(o))
  return fc.oneof(
    {weight: 2, arbitrary: fc.string({maxLength: 200, unit: 'binary'})},
    {weight: 1, arbitrary: fc.string({maxLength: 60, unit: fc.constantFrom(...TOKENS, 'a', '0', ' ')})},
    {weight: 2, arbitrary: fc.json({maxDepth: 4})},
    {weight: 3, arbitrary: structured},
    {
      weight: 8,
      arbitrary: fc
        .tuple(fc.constantFrom(...seedList), fc.array(mutation, {minLength: 1, maxLength: 5}))
        .map(([seed, ms]) => mutate(seed, ms)),
    },
  )
}
