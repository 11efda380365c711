/**
 * The hostile-input corpus (fixtures/hostile/) against the real hook on the real kernel:
 * - every OCI state goes to the native `seccomp-recorder-helper hook-prestart` on stdin, with a temporary spool.
 *   A refusal exits non-zero with one human line on stderr (exit 0 and a warning line with `--on-error warn`),
 *   registers nothing in the kernel and writes nothing at all (not even the spool). A state it accepts
 *   registers exactly the container's namespace and writes only the spool; the poststop entry
 *   (bin/hook-poststop.js) then ends in the documented outcome, gives the kernel target back and writes only
 *   inside the configured roots;
 * - every annotation case is registered by prestart (a well-formed state) and ends in the poststop entry the same way.
 * Pids are real: a live process in a private mount namespace stands for the container; pid 1, kthreadd, the test
 * process itself, an exited pid and a zombie are the hostile ones. Needs root: fails loudly otherwise.
 */
import assert from 'node:assert/strict'
import {spawn, spawnSync, type ChildProcess} from 'node:child_process'
import {existsSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync} from 'node:fs'
import {join, relative} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {LINGER_SECONDS} from '../../src/hook/entry.js'
import {REPO_ROOT} from '../helpers/cli.js'
import {
  annotationValues,
  assemble,
  changesOutside,
  compareSnapshots,
  loadAnnotationCases,
  loadStateCases,
  makeCaseTree,
  removeCaseTrees,
  runSetup,
  snapshot,
  substitute,
  VICTIM_TEXT,
  type CaseTree,
  type Outcome,
  type PidKind,
  type Segment,
} from '../hardening/corpus.js'
import {nativeHelper, requireKernelPrerequisites} from './harness.js'

const POSTSTOP = join(REPO_ROOT, 'bin', 'hook-poststop.js')
const stateCases = loadStateCases()
const annotationCases = loadAnnotationCases()
let helper = ''
/** Processes this file started (live stand-ins, zombie parents), killed at the end by pid. */
const started: ChildProcess[] = []
/** Namespaces this file may have registered: checked at the end, removed if anything is left. */
const ourNamespaces = new Set<number>()

interface Run {
  status: number | null
  stdout: string
  stderr: string
}

function run(command: string, args: string[], input: Buffer | string, env: NodeJS.ProcessEnv = {}): Run {
  const r = spawnSync(command, args, {
    input,
    encoding: 'utf8',
    timeout: 60_000,
    maxBuffer: 16 * 1024 * 1024,
    env: {...process.env, NO_COLOR: '1', ...env},
  })
  if (r.error) throw r.error
  return {status: r.status, stdout: r.stdout, stderr: r.stderr}
}

interface Target {
  mntns: number
  state: string
}
function targets(): Target[] {
  const r = run(helper, ['list'], '')
  assert.equal(r.status, 0, `helper list: ${r.stderr}`)
  return (JSON.parse(r.stdout) as {targets: Target[]}).targets
}
const registered = (inode: number) => targets().some((t) => t.mntns === inode)

const mntnsInode = (pid: number | string) => statSync(`/proc/${pid}/ns/mnt`).ino

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}

/** A process in a private mount namespace of its own: what a runtime's container init looks like at prestart. */
async function liveContainerProcess(): Promise<{pid: number; inode: number}> {
  const child = spawn('unshare', ['--mount', '--propagation', 'private', 'sleep', '600'], {stdio: 'ignore'})
  started.push(child)
  const pid = child.pid!
  const own = readlinkSync('/proc/self/ns/mnt')
  for (let i = 0; i < 200; i++) {
    try {
      if (readlinkSync(`/proc/${pid}/ns/mnt`) !== own) {
        const inode = mntnsInode(pid)
        ourNamespaces.add(inode)
        return {pid, inode}
      }
    } catch {
      // not there yet
    }
    await sleep(10)
  }
  throw new Error('unshare --mount did not give the stand-in process a mount namespace of its own')
}

/** A pid that existed and was reaped. */
function exitedPid(): number {
  const r = spawnSync('true')
  assert.equal(r.status, 0)
  return r.pid!
}

/** A pid that exited but nobody reaped: its parent never waits for it. */
async function zombiePid(): Promise<number> {
  const script =
    'import os, sys, time\npid = os.fork()\nif pid == 0:\n    os._exit(0)\nprint(pid, flush=True)\ntime.sleep(600)\n'
  const parent = spawn('python3', ['-c', script], {stdio: ['ignore', 'pipe', 'ignore']})
  started.push(parent)
  const pid = await new Promise<number>((resolve, reject) => {
    parent.stdout!.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())))
    parent.once('error', reject)
  })
  for (let i = 0; i < 200; i++) {
    if (/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) return pid
    await sleep(10)
  }
  throw new Error(`pid ${pid} did not become a zombie`)
}

function kinds(segments: readonly Segment[]): Set<PidKind> {
  return new Set(segments.flatMap((s) => (typeof s === 'object' && 'pid' in s ? [s.pid] : [])))
}

/** Real pids for the kinds a case uses, and the namespaces a wrong registration would show up under. */
async function pidsFor(
  used: Set<PidKind>,
): Promise<{pids: Partial<Record<PidKind, number>>; live?: {pid: number; inode: number}; watch: number[]}> {
  const pids: Partial<Record<PidKind, number>> = {self: process.pid, init: 1, kthreadd: 2}
  const watch = [mntnsInode('self'), mntnsInode(2)]
  try {
    watch.push(mntnsInode(1))
  } catch {
    // pid 1 may not be inspectable (EACCES); its namespace is then not one the helper could register either
  }
  let live: {pid: number; inode: number} | undefined
  if (used.has('live')) {
    live = await liveContainerProcess()
    pids.live = live.pid
    watch.push(live.inode)
  }
  if (used.has('exited')) pids.exited = exitedPid()
  if (used.has('zombie')) pids.zombie = await zombiePid()
  return {pids, live, watch}
}

function stopLive(live: {pid: number} | undefined): void {
  if (!live) return
  const child = started.find((c) => c.pid === live.pid)
  child?.kill('SIGKILL')
}

/** Gives back a target a failed case left registered, so later cases start clean. */
function removeIfRegistered(inode: number | undefined): boolean {
  if (inode === undefined || !registered(inode)) return false
  run(helper, ['remove', '--mntns', String(inode)], '')
  return true
}

/** Waits until no `seccomp-recorder-helper detach-idle` (started by earlier poststops) is running. */
async function noPendingDetach(): Promise<void> {
  const pending = () =>
    readdirSync('/proc').some((entry) => {
      if (!/^\d+$/.test(entry)) return false
      try {
        const argv = readFileSync(`/proc/${entry}/cmdline`, 'latin1').split('\0')
        return argv[0]!.endsWith('seccomp-recorder-helper') && argv[1] === 'detach-idle'
      } catch {
        return false
      }
    })
  for (let waited = 0; pending() && waited < (LINGER_SECONDS + 5) * 1000; waited += 200) await sleep(200)
}

/** One line for people: `seccomp-recorder: …`, printable, not JSON. */
function assertOneHumanLine(stderr: string, pattern: RegExp, what: string): void {
  assert.match(
    stderr,
    /^seccomp-recorder: [^\n]+\n$/,
    `${what}: not one line starting with "seccomp-recorder: ": ${JSON.stringify(stderr.slice(0, 500))}`,
  )
  assert.doesNotMatch(stderr.trimEnd(), /[\u0000-\u001f\u007f]/, `${what}: control characters in the message`)
  assert.doesNotMatch(stderr, /^seccomp-recorder: \{/, `${what}: JSON instead of a sentence`)
  assert.ok(stderr.length < 600, `${what}: a message of ${stderr.length} characters`)
  assert.match(stderr, pattern, what)
}

/** The prestart as install configures it for this tree: its spool and its output root. */
const prestartArgs = (tree: CaseTree) => [
  'hook-prestart',
  '--spool',
  tree.vars.spool,
  '--output-root',
  tree.vars.outputRoot,
]

function writeConfig(tree: CaseTree): Record<string, string> {
  const path = join(tree.vars.tmp, 'config.yaml')
  writeFileSync(
    path,
    `outputRoots: [${JSON.stringify(tree.vars.outputRoot)}]\nstore: ${JSON.stringify(tree.vars.store)}\nspool: ${JSON.stringify(tree.vars.spool)}\nonError: fail\n`,
  )
  return {SECCOMP_RECORDER_CONFIG: path, SECCOMP_RECORDER_HELPER: helper}
}

const stoppedState = (id: string, bundle: string) =>
  JSON.stringify({ociVersion: '1.0.2', id, status: 'stopped', pid: 0, bundle})

/** Files added or changed below `dir` (absolute paths). */
function filesWrittenBelow(
  tree: CaseTree,
  before: ReturnType<typeof snapshot>,
  after: ReturnType<typeof snapshot>,
  dir: string,
): string[] {
  const changes = compareSnapshots(before, after)
  const rel = relative(tree.vars.tmp, dir)
  return [...changes.added, ...changes.changed]
    .filter((p) => (p === rel || p.startsWith(`${rel}/`)) && after.get(p)?.type === 'file')
    .map((p) => join(tree.vars.tmp, p))
    .sort()
}

/**
 * The poststop entry for a container prestart registered: the expected outcome, the kernel target given back,
 * the spool note gone, exactly the expected files written and nothing outside the roots.
 */
function poststopAndCheck(options: {
  tree: CaseTree
  id: string
  inode: number
  expected: Outcome
  before: ReturnType<typeof snapshot>
  mustNotExist?: string[]
}): void {
  const {tree, id, inode, expected, before} = options
  const env = writeConfigOnce(tree)
  const r = run(process.execPath, [POSTSTOP], stoppedState(id, tree.vars.bundle), env)
  const after = snapshot(tree.vars.tmp)
  assert.deepEqual(
    changesOutside(compareSnapshots(before, after), tree),
    {added: [], removed: [], changed: []},
    'written outside the configured roots',
  )
  assert.equal(readFileSync(join(tree.vars.outside, 'victim.json'), 'utf8'), VICTIM_TEXT)
  for (const path of options.mustNotExist ?? []) assert.equal(existsSync(path), false, `${path} exists`)
  assert.equal(
    registered(inode),
    false,
    `poststop (exit ${r.status}: ${r.stderr.trim()}) left mount namespace ${inode} registered in the kernel`,
  )
  assert.equal(existsSync(join(tree.vars.spool, `${id}.json`)), false, 'the spool note stays')
  const written = filesWrittenBelow(tree, before, after, tree.vars.outputRoot)
  const stored = filesWrittenBelow(tree, before, after, join(tree.vars.store, 'recordings'))
  if (expected.outcome === 'refused') {
    assert.equal(r.status, expected.exit ?? 3, `exit code; stderr: ${r.stderr}`)
    assertOneHumanLine(r.stderr, new RegExp(expected.message), 'poststop')
    assert.deepEqual([...written, ...stored], [], 'written despite the refusal')
    return
  }
  assert.equal(r.status, 0, `poststop failed: ${r.stderr}`)
  const result = JSON.parse(r.stdout) as {recorded: boolean; skipped?: string}
  if (expected.outcome === 'skipped') {
    assert.equal(result.recorded, false)
    assert.match(result.skipped ?? '', new RegExp(expected.message))
    assert.deepEqual([...written, ...stored], [])
    return
  }
  assert.equal(expected.outcome, 'recorded')
  if (expected.outcome !== 'recorded') return
  assert.equal(result.recorded, true, r.stdout)
  assert.deepEqual(written, (expected.written ?? []).map((p) => substitute(p, tree.vars)).sort())
  assert.equal(stored.length, expected.stored ?? 0, 'recordings stored')
}

const configured = new WeakMap<CaseTree, Record<string, string>>()
function writeConfigOnce(tree: CaseTree): Record<string, string> {
  let env = configured.get(tree)
  if (!env) configured.set(tree, (env = writeConfig(tree)))
  return env
}

describe('hostile input to the real hook (native prestart, poststop entry, real kernel)', {timeout: 900_000}, () => {
  before(async () => {
    requireKernelPrerequisites()
    helper = await nativeHelper()
    // kthreadd (pid 2) is always in the initial mount namespace; pid 1's may not be readable (here it is a sandbox's process manager).
    assert.equal(
      readlinkSync('/proc/self/ns/mnt'),
      readlinkSync('/proc/2/ns/mnt'),
      'the test must run in the host mount namespace (the "self" pid stands for a host process)',
    )
  })

  after(() => {
    for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    // Anything this file registered and did not give back is a failure reported by its test; do not leave it to slow the host.
    for (const inode of ourNamespaces) removeIfRegistered(inode)
    // A refused poststop leaves the recorder attached with no target (see the todo below): detach it if idle.
    run(helper, ['detach-idle', '--after', '0'], '')
    removeCaseTrees()
  })

  for (const c of stateCases) {
    const expected = c.expect.prestart
    const todo = c.knownBug?.prestart ?? (expected.outcome === 'accepted' ? c.knownBug?.poststop : undefined)

    it(
      `${c.name}: hook-prestart → ${expected.outcome}${expected.outcome === 'refused' ? ` (exit ${expected.exit})` : ''}`,
      {todo},
      async () => {
        const tree = makeCaseTree('e2e', {spool: false})
        runSetup(c.setup, tree.vars)
        writeConfigOnce(tree)
        const {pids, live, watch} = await pidsFor(kinds(c.input))
        const stdin = assemble(c.input, tree.vars, pids)
        const before = snapshot(tree.vars.tmp)
        try {
          const r = run(helper, prestartArgs(tree), stdin)
          if (expected.outcome === 'refused' || expected.outcome === 'skipped') {
            if (expected.outcome === 'refused') {
              assert.equal(r.status, expected.exit, `exit code; stderr: ${r.stderr}`)
              assertOneHumanLine(r.stderr, new RegExp(expected.message), 'prestart')
            } else {
              assert.equal(r.status, 0, r.stderr)
            }
            assert.equal(r.stdout, '')
            for (const inode of watch) assert.equal(registered(inode), false, `mount namespace ${inode} was registered`)
            assert.equal(existsSync(tree.vars.spool), false, 'the spool was created')
            assert.deepEqual(
              compareSnapshots(before, snapshot(tree.vars.tmp)),
              {added: [], removed: [], changed: []},
              'the tree changed',
            )
            return
          }
          assert.equal(r.status, 0, `prestart refused: ${r.stderr}`)
          assert.ok(live, 'an accepted state needs a live pid')
          assert.ok(registered(live.inode), 'the container namespace is not registered')
          for (const inode of watch.filter((i) => i !== live.inode)) assert.equal(registered(inode), false)
          const afterPrestart = compareSnapshots(before, snapshot(tree.vars.tmp))
          assert.deepEqual(
            afterPrestart,
            {added: ['spool', `spool/${c.id}.json`], removed: [], changed: []},
            'prestart wrote something else than its spool note',
          )
          poststopAndCheck({tree, id: c.id!, inode: live.inode, expected: c.expect.poststop!, before})
        } finally {
          stopLive(live)
          const leaked = removeIfRegistered(live?.inode)
          if (leaked && !todo) assert.fail(`mount namespace ${live?.inode} was left registered`)
        }
      },
    )

    if (expected.outcome === 'refused') {
      it(`${c.name}: hook-prestart --on-error warn → exit 0, one warning, nothing registered`, {todo}, async () => {
        const tree = makeCaseTree('e2e-warn', {spool: false})
        runSetup(c.setup, tree.vars)
        const {pids, live, watch} = await pidsFor(kinds(c.input))
        const before = snapshot(tree.vars.tmp)
        try {
          const r = run(helper, [...prestartArgs(tree), '--on-error', 'warn'], assemble(c.input, tree.vars, pids))
          assert.equal(r.status, 0, `exit code; stderr: ${r.stderr}`)
          assertOneHumanLine(r.stderr, /^seccomp-recorder: warning: /, 'prestart --on-error warn')
          assert.match(
            r.stderr,
            new RegExp(expected.message.replace(/^\^seccomp-recorder: /, '^seccomp-recorder: warning: ')),
          )
          for (const inode of watch) assert.equal(registered(inode), false, `mount namespace ${inode} was registered`)
          assert.equal(existsSync(tree.vars.spool), false, 'the spool was created')
          assert.deepEqual(
            compareSnapshots(before, snapshot(tree.vars.tmp)),
            {added: [], removed: [], changed: []},
            'the tree changed',
          )
        } finally {
          stopLive(live)
          removeIfRegistered(live?.inode)
        }
      })
    }
  }

  it('a live container whose state repeats a key is refused by the prestart, and nothing stays registered', async () => {
    const tree = makeCaseTree('e2e-dup', {spool: false})
    writeConfigOnce(tree)
    const live = await liveContainerProcess()
    const id = 'h-e2e-dup'
    const state = `{"ociVersion":"1.0.2","id":"${id}","status":"created","pid":${live.pid},"bundle":"${tree.vars.bundle}","bundle":"/run/other"}`
    try {
      const r = run(helper, prestartArgs(tree), state)
      assert.equal(r.status, 2, r.stderr)
      assert.match(r.stderr, /repeated key "bundle"/)
      assert.equal(registered(live.inode), false)
    } finally {
      stopLive(live)
      removeIfRegistered(live.inode)
    }
  })

  for (const c of annotationCases) {
    const prestart = c.expect.prestart
    const title =
      prestart.outcome === 'refused'
        ? `refused by prestart (exit ${prestart.exit}), nothing registered`
        : prestart.outcome === 'skipped'
          ? 'skipped by prestart, nothing registered'
          : `registered by prestart, poststop → ${c.expect.poststop.outcome}`
    it(`${c.name}: ${title}`, {todo: c.knownBug?.poststop}, async () => {
      const tree = makeCaseTree('e2e-ann', {spool: false})
      runSetup(c.setup, tree.vars)
      writeConfigOnce(tree)
      const live = await liveContainerProcess()
      const id = `h-ann-${c.name}`.slice(0, 128)
      const state = JSON.stringify({
        ociVersion: '1.0.2',
        id,
        status: 'created',
        pid: live.pid,
        bundle: tree.vars.bundle,
        annotations: annotationValues(c, tree.vars),
      })
      const before = snapshot(tree.vars.tmp)
      try {
        const r = run(helper, prestartArgs(tree), state)
        if (prestart.outcome !== 'accepted') {
          if (prestart.outcome === 'refused') {
            assert.equal(r.status, prestart.exit, `exit code; stderr: ${r.stderr}`)
            assertOneHumanLine(r.stderr, new RegExp(prestart.message), 'prestart')
          } else {
            assert.deepEqual([r.status, r.stderr], [0, ''])
          }
          assert.equal(registered(live.inode), false, 'registered by a prestart that did not accept it')
          assert.deepEqual(
            compareSnapshots(before, snapshot(tree.vars.tmp)),
            {added: [], removed: [], changed: []},
            'the tree changed',
          )
          return
        }
        assert.equal(r.status, 0, `prestart refused a well-formed state: ${r.stderr}`)
        assert.ok(registered(live.inode), 'not registered')
        poststopAndCheck({
          tree,
          id,
          inode: live.inode,
          expected: c.expect.poststop,
          before,
          mustNotExist: c.mustNotExist,
        })
      } finally {
        stopLive(live)
        const leaked = removeIfRegistered(live.inode)
        if (leaked && !c.knownBug?.poststop) assert.fail(`mount namespace ${live.inode} was left registered`)
      }
    })
  }

  it('a poststop that refuses after taking the recording does not leave the recorder attached once idle', async () => {
    const tree = makeCaseTree('e2e-linger', {spool: false})
    const env = writeConfigOnce(tree)
    const live = await liveContainerProcess()
    const id = 'h-e2e-linger'
    const state = JSON.stringify({
      ociVersion: '1.0.2',
      id,
      status: 'created',
      pid: live.pid,
      bundle: tree.vars.bundle,
      annotations: {
        'io.containers.trace-syscall': `of:${tree.vars.outputRoot}/x.json;if:${tree.vars.outputRoot}/missing-base.json`,
      },
    })
    try {
      // Earlier recorded cases scheduled detach-idle runs: let them finish, so that only this poststop counts.
      await noPendingDetach()
      assert.equal(run(helper, prestartArgs(tree), state).status, 0)
      const r = run(process.execPath, [POSTSTOP], stoppedState(id, tree.vars.bundle), env)
      assert.equal(r.status, 3, r.stderr)
      assert.equal(registered(live.inode), false)
      let list = JSON.parse(run(helper, ['list'], '').stdout) as {attached: boolean; targets: Target[]}
      for (let waited = 0; list.attached && waited < (LINGER_SECONDS + 3) * 1000; waited += 250) {
        await sleep(250)
        list = JSON.parse(run(helper, ['list'], '').stdout) as {attached: boolean; targets: Target[]}
      }
      // (Another recording running at the same time would also keep it attached: the e2e files run one at a time.)
      assert.deepEqual(
        {attached: list.attached, targets: list.targets},
        {attached: false, targets: []},
        `still attached ${LINGER_SECONDS + 3} s after the last recording ended`,
      )
    } finally {
      stopLive(live)
      removeIfRegistered(live.inode)
    }
  })

  it('nothing this file registered is left in the kernel', () => {
    const left = targets().filter((t) => ourNamespaces.has(t.mntns))
    assert.deepEqual(left, [])
  })
})
