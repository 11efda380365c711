/**
 * Every case of the hostile-input corpus (fixtures/hostile/) through the TypeScript side of the hook, at unit
 * level: parseOciState, the annotation parsers and finaliseContainer (the poststop stage) with a temporary
 * config and a fake native helper. Each case ends in its documented outcome — a refusal with a clear message
 * of a documented error class, or the documented behaviour — never another exception, and nothing is written
 * outside the configured roots: the whole temporary tree is snapshotted before and after.
 */
import assert from 'node:assert/strict'
import {chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, relative} from 'node:path'
import {after, describe, it} from 'node:test'
import {UserError} from '../../src/core/errors.js'
import type {RecorderConfig} from '../../src/config/config.js'
import {finaliseContainer, type FinaliseResult} from '../../src/spool/finalise.js'
import {
  AnnotationError,
  recordingRequests,
  runtimeTailOverride,
  runtimeThreadsOverride,
} from '../../src/oci/annotations.js'
import {parseOciState, StateError} from '../../src/oci/state.js'
import {
  annotationValues,
  assemble,
  changesOutside,
  compareSnapshots,
  decodeStdin,
  isEmptyChange,
  loadAnnotationCases,
  loadStateCases,
  makeCaseTree,
  removeCaseTrees,
  runSetup,
  snapshot,
  substitute,
  UNIT_PIDS,
  VICTIM_TEXT,
  type CaseTree,
  type Entry,
  type Outcome,
  type TreeChanges,
} from './corpus.js'

const stateCases = loadStateCases()
const annotationCases = loadAnnotationCases()
const ERROR_CLASSES = {StateError, AnnotationError, UserError} as const

// A stand-in for the native helper: answers `read`/`remove --mntns N` with a small recording and logs the call.
const aux = mkdtempSync(join(tmpdir(), 'scr-hostile-aux-'))
const helper = join(aux, 'fake-helper')
const helperLog = join(aux, 'calls.log')
writeFileSync(
  helper,
  `#!/bin/sh
printf '%s\\n' "$*" >> '${helperLog}'
case "$1" in
  read|remove)
    extra=''; [ "$1" = remove ] && extra=',"detached":true'
    printf '{"mntns":%s,"ns_id":0,"state":"exited","exited":true,"lost":0,"nested":[],"syscalls":{"x86_64":[0,1,3,9,60,231]}%s}\\n' "$3" "$extra" ;;
  *) echo '{"error":"fake helper: unexpected call","reason":"usage","errno":0}' >&2; exit 2 ;;
esac
`,
)
chmodSync(helper, 0o755)
const helperCalls = (): string[] =>
  existsSync(helperLog) ? readFileSync(helperLog, 'utf8').trim().split('\n').filter(Boolean) : []

after(() => {
  removeCaseTrees()
  rmSync(aux, {recursive: true, force: true})
})

const MNTNS = 4026599999

/**
 * The helper was asked exactly once to remove the container's target (whether it stays attached is its business),
 * after reading it (the finaliser keeps the syscalls in its journal before the target goes: see finaliseNote).
 */
function assertGivenBack(message: string): void {
  const calls = helperCalls()
  const read = `read --mntns ${MNTNS}`
  const remove = new RegExp(`^remove --mntns ${MNTNS}( --keep-attached)?$`)
  assert.ok(
    calls.length === 2 && calls[0] === read && remove.test(calls[1]!),
    `${message}: helper calls ${JSON.stringify(calls)}`,
  )
}

function configFor(tree: CaseTree): RecorderConfig {
  return {
    outputRoots: [tree.vars.outputRoot],
    store: tree.vars.store,
    onError: 'fail',
    runtimeTail: 'both',
    runtimeThreads: false,
    spool: tree.vars.spool,
  }
}

/** What the native prestart leaves in the spool: the validated state embedded as it came (bpf/prestart.c write_spool). */
function writeNote(tree: CaseTree, id: string, stateBytes: Buffer): void {
  const head = Buffer.from(`{"mntns":${MNTNS},"ns_id":0,"runtime":"runc","registered_unix_ms":${Date.now()},"state":`)
  writeFileSync(join(tree.vars.spool, `${id}.json`), Buffer.concat([head, stateBytes, Buffer.from('}\n')]))
}

const stoppedState = (id: string) =>
  JSON.stringify({ociVersion: '1.0.2', id, status: 'stopped', pid: 0, bundle: `/run/hostile/${id}`})

/** Runs fn and returns what it threw (undefined when it did not). */
async function thrown(fn: () => unknown): Promise<unknown> {
  try {
    await fn()
    return undefined
  } catch (error) {
    return error
  }
}

function assertRefusal(error: unknown, expected: Extract<Outcome, {outcome: 'refused'}>, what: string): void {
  assert.ok(
    error !== undefined,
    `${what}: expected a refusal (${expected.error} /${expected.message}/), but it was accepted`,
  )
  const cls = ERROR_CLASSES[expected.error]
  assert.ok(
    error instanceof cls,
    `${what}: expected ${expected.error}, got ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}\n${(error as Error)?.stack}`,
  )
  const message = (error as Error).message
  assert.match(message, new RegExp(expected.message), `${what}: message`)
  assert.doesNotMatch(message, /\n\s+at /, `${what}: a stack trace in the message`)
  // The message ends up in the runtime's log and on terminals: input must not bring line breaks or escape sequences.
  // eslint-disable-next-line no-control-regex
  assert.doesNotMatch(
    message,
    /[\u0000-\u001f\u007f]/,
    `${what}: control characters in the message: ${JSON.stringify(message)}`,
  )
  assert.ok(message.length < 1000, `${what}: a message of ${message.length} characters (echoes the input?)`)
  if (expected.exit !== undefined && error instanceof UserError)
    assert.equal(error.exit, expected.exit, `${what}: exit code`)
}

/** Files (not directories) added or changed below `dir` (relative to tmp), as absolute paths. */
function filesWritten(changes: TreeChanges, after: Map<string, {type: string}>, tree: CaseTree, dir: string): string[] {
  const rel = relative(tree.vars.tmp, dir)
  return [...changes.added, ...changes.changed]
    .filter((p) => (p === rel || p.startsWith(`${rel}/`)) && after.get(p)?.type === 'file')
    .map((p) => join(tree.vars.tmp, p))
    .sort()
}

/**
 * Checks a finaliseContainer run against the expected outcome: result or refusal, the kernel target given
 * back exactly once, the spool note gone, exactly the expected files written in the roots, nothing outside.
 */
function assertFinalised(options: {
  tree: CaseTree
  expected: Outcome
  result: FinaliseResult | undefined
  error: unknown
  before: Map<string, Entry>
  id: string
  mustNotExist?: string[]
}): void {
  const {tree, expected, result, error, before, id} = options
  const after = snapshot(tree.vars.tmp)
  const changes = compareSnapshots(before, after)
  assert.deepEqual(
    changesOutside(changes, tree),
    {added: [], removed: [], changed: []},
    'written outside the configured roots',
  )
  assert.equal(readFileSync(join(tree.vars.outside, 'victim.json'), 'utf8'), VICTIM_TEXT, 'the victim file changed')
  for (const path of options.mustNotExist ?? []) assert.equal(existsSync(path), false, `${path} exists`)
  assertGivenBack('the kernel target must be given back exactly once')
  assert.equal(existsSync(join(tree.vars.spool, `${id}.json`)), false, 'the spool note stays')
  const written = filesWritten(changes, after, tree, tree.vars.outputRoot)
  const stored = filesWritten(changes, after, tree, join(tree.vars.store, 'recordings'))
  if (expected.outcome === 'refused') {
    assertRefusal(error, expected, 'finaliseContainer')
    assert.deepEqual(written, [], 'written into the output root despite the refusal')
    assert.deepEqual(stored, [], 'stored despite the refusal')
    return
  }
  assert.equal(
    error,
    undefined,
    `finaliseContainer threw ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`,
  )
  if (expected.outcome === 'skipped') {
    assert.equal(result?.recorded, false)
    assert.match(result?.skipped ?? '', new RegExp(expected.message))
    assert.deepEqual([...written, ...stored], [])
    return
  }
  assert.equal(expected.outcome, 'recorded', `unexpected expectation ${expected.outcome} for finaliseContainer`)
  if (expected.outcome !== 'recorded') return
  assert.equal(result?.recorded, true, JSON.stringify(result))
  assert.deepEqual(
    written,
    (expected.written ?? []).map((p) => substitute(p, tree.vars)).sort(),
    'files written into the output root',
  )
  assert.equal(stored.length, expected.stored ?? 0, 'recordings stored')
  for (const file of written) assert.match(readFileSync(file, 'utf8'), /"defaultAction": "SCMP_ACT_ERRNO"/)
}

describe('hostile corpus: shape', () => {
  it('has at least 30 cases, each with a description and an expectation for every stage', () => {
    assert.ok(stateCases.length + annotationCases.length >= 30, `${stateCases.length + annotationCases.length} cases`)
    for (const c of stateCases) {
      assert.ok(c.description && c.input && c.expect.parseOciState && c.expect.prestart, c.file)
      assert.equal(
        c.expect.prestart.outcome === 'accepted',
        c.expect.poststop !== undefined,
        `${c.file}: poststop is expected exactly when prestart accepts`,
      )
      for (const o of [c.expect.parseOciState, c.expect.prestart, c.expect.poststop])
        if (o && 'message' in o) new RegExp(o.message)
    }
    for (const c of annotationCases) {
      assert.ok(c.description && c.annotations && c.expect.requests && c.expect.prestart && c.expect.poststop, c.file)
      for (const o of [c.expect.requests, c.expect.prestart, c.expect.poststop])
        if ('message' in o) new RegExp(o.message)
      // What the poststop refuses for a reason that needs no file system, the prestart refuses before the container starts.
      if (c.expect.requests.outcome === 'refused')
        assert.equal(
          c.expect.prestart.outcome,
          'refused',
          `${c.file}: the prestart lets through what recordingRequests refuses`,
        )
    }
  })
})

describe('hostile OCI states: parseOciState and the poststop stage', () => {
  for (const c of stateCases) {
    const bytes = (vars: Record<string, string>) => assemble(c.input, vars, UNIT_PIDS)

    it(`${c.name}: parseOciState → ${c.expect.parseOciState.outcome}`, {todo: c.knownBug?.parseOciState}, async () => {
      const tree = makeCaseTree('state', {spool: true})
      const text = decodeStdin(bytes(tree.vars))
      const expected = c.expect.parseOciState
      let parsed: ReturnType<typeof parseOciState> | undefined
      const error = await thrown(() => (parsed = parseOciState(text)))
      if (expected.outcome === 'refused') return assertRefusal(error, expected, 'parseOciState')
      assert.equal(
        error,
        undefined,
        `parseOciState threw ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`,
      )
      if (c.id !== null) assert.equal(parsed?.id, c.id)
    })

    it(
      `${c.name}: hook poststop given it as the state → nothing written`,
      {todo: c.knownBug?.parseOciState},
      async () => {
        const tree = makeCaseTree('state', {spool: true})
        runSetup(c.setup, tree.vars)
        const text = decodeStdin(bytes(tree.vars))
        writeFileSync(helperLog, '')
        const before = snapshot(tree.vars.tmp)
        let result: FinaliseResult | undefined
        const error = await thrown(
          async () => (result = await finaliseContainer({stateText: text, config: configFor(tree), helper})),
        )
        assert.ok(isEmptyChange(compareSnapshots(before, snapshot(tree.vars.tmp))), 'the tree changed')
        assert.deepEqual(helperCalls(), [], 'the helper was called without a registered recording')
        const expected = c.expect.parseOciState
        if (expected.outcome === 'refused') return assertRefusal(error, expected, 'finaliseContainer')
        assert.equal(
          error,
          undefined,
          `finaliseContainer threw ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`,
        )
        assert.equal(result?.recorded, false)
        assert.match(result?.skipped ?? '', /no recording was registered/)
      },
    )

    const poststop = c.expect.poststop
    if (c.expect.prestart.outcome === 'accepted' && poststop && c.id !== null) {
      const id = c.id
      it(
        `${c.name}: hook poststop after the native prestart accepted it → ${poststop.outcome}`,
        {todo: c.knownBug?.poststop},
        async () => {
          const tree = makeCaseTree('state', {spool: true})
          runSetup(c.setup, tree.vars)
          writeNote(tree, id, bytes(tree.vars))
          writeFileSync(helperLog, '')
          const before = snapshot(tree.vars.tmp)
          let result: FinaliseResult | undefined
          const error = await thrown(
            async () =>
              (result = await finaliseContainer({stateText: stoppedState(id), config: configFor(tree), helper})),
          )
          assertFinalised({tree, expected: poststop, result, error, before, id})
        },
      )
    }
  }
})

describe('hostile annotations: parsers and the poststop stage', () => {
  for (const c of annotationCases) {
    it(`${c.name}: recordingRequests → ${c.expect.requests.outcome}`, {todo: c.knownBug?.requests}, async () => {
      const tree = makeCaseTree('ann', {spool: true})
      const annotations = annotationValues(c, tree.vars)
      const expected = c.expect.requests
      let requests: ReturnType<typeof recordingRequests> | undefined
      const error = await thrown(() => {
        requests = recordingRequests(annotations)
        runtimeTailOverride(annotations)
        runtimeThreadsOverride(annotations)
      })
      if (expected.outcome === 'refused') return assertRefusal(error, expected, 'recordingRequests')
      assert.equal(
        error,
        undefined,
        `recordingRequests threw ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`,
      )
      assert.equal(expected.outcome, 'accepted')
      if (expected.outcome === 'accepted' && expected.requests) {
        const want = expected.requests.map((r) =>
          r.kind === 'trace-syscall'
            ? {
                ...r,
                output: substitute(r.output, tree.vars),
                base: r.base === null ? null : substitute(r.base, tree.vars),
              }
            : r,
        )
        assert.deepEqual(requests, want)
      }
    })

    it(
      `${c.name}: hook poststop → ${c.expect.poststop.outcome}, nothing outside the roots`,
      {todo: c.knownBug?.poststop},
      async () => {
        const tree = makeCaseTree('ann', {spool: true})
        runSetup(c.setup, tree.vars)
        const id = `h-ann-${c.name}`.slice(0, 128)
        const annotations = annotationValues(c, tree.vars)
        writeNote(
          tree,
          id,
          Buffer.from(
            JSON.stringify({
              ociVersion: '1.0.2',
              id,
              status: 'created',
              pid: UNIT_PIDS.live,
              bundle: tree.vars.bundle,
              annotations,
            }),
          ),
        )
        writeFileSync(helperLog, '')
        const before = snapshot(tree.vars.tmp)
        let result: FinaliseResult | undefined
        const error = await thrown(
          async () =>
            (result = await finaliseContainer({stateText: stoppedState(id), config: configFor(tree), helper})),
        )
        assertFinalised({tree, expected: c.expect.poststop, result, error, before, id, mustNotExist: c.mustNotExist})
      },
    )
  }
})

describe('hostile spool notes', () => {
  it('a note whose embedded state repeats a key (what the native prestart writes today) still gives the kernel target back', async () => {
    const tree = makeCaseTree('note', {spool: true})
    const id = 'h-note-dup'
    writeNote(
      tree,
      id,
      Buffer.from(
        `{"ociVersion":"1.0.2","id":"${id}","pid":4242,"bundle":"/b","annotations":{"io.containers.trace-syscall":"of:${tree.vars.outputRoot}/a.json","io.containers.trace-syscall":"of:${tree.vars.outputRoot}/b.json"}}`,
      ),
    )
    writeFileSync(helperLog, '')
    const error = await thrown(() => finaliseContainer({stateText: stoppedState(id), config: configFor(tree), helper}))
    assert.ok(
      error instanceof UserError || error instanceof StateError,
      `threw ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`,
    )
    assertGivenBack('the kernel target was not given back')
  })

  it('a truncated note is reported as damaged, without a stack', async () => {
    const tree = makeCaseTree('note', {spool: true})
    writeFileSync(
      join(tree.vars.spool, 'h-note-cut.json'),
      '{"mntns":42,"ns_id":0,"runtime":"runc","registered_unix_ms":1,"state":{"id":"h-no',
    )
    const error = await thrown(() =>
      finaliseContainer({stateText: stoppedState('h-note-cut'), config: configFor(tree), helper}),
    )
    assertRefusal(
      error,
      {outcome: 'refused', error: 'UserError', message: 'spool note .* is damaged', exit: 5},
      'finaliseContainer',
    )
  })
})
