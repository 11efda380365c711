/**
 * kill -9 campaign: one of our processes is killed with SIGKILL at a random point, over and over, in each stage
 * where it writes something that matters:
 *
 *   a  recording      `seccomp-recorder record --name … -- CMD` (real kernel)
 *   b  finalisation   the Node poststop (bin/hook-poststop.js; now the native poststop's fallback) of a container
 *                     registered by the real prestart
 *   b2 finalisation   the native poststop (helper hook-poststop: journal, target removed) or, after it, the finaliser
 *                     (bin/finaliser.js: outputs) of such a container: one of the two is killed
 *   c  aggregation    `seccomp-recorder profiles build`
 *   d  publish        `seccomp-recorder publish`
 *
 * After every kill: every document in the roots parses and validates (recordings, profiles, coverage, spool
 * notes, journals, orphans, the publish manifest); every recording that was reported complete is there. Then
 * `gc` runs, and every recording whose workload finished is there exactly once with exactly its syscalls; no
 * kernel target, spool file or temp file is left.
 *
 * Kill points come from a seeded PRNG (KILL_SEED=N replays a run; the seed is in every failure message): a
 * random moment of a run, or the instant a file of interest appears in the spool or the store (inotify), so that
 * kills land in the windows that matter (journal written, target being removed, recording being saved, …).
 * Tries per stage: KILL_TRIES_A, _B, _B2, _C, _D. The kernel stages use a recorder of their own (SECCOMP_RECORDER_BPFFS).
 *
 * Nothing here writes to or through a device: the workloads write into the test's directory and `record` writes
 * its profile there. A workload writing to /dev/null made the recorded set depend on the machine: glibc's stdio
 * probes a character device with ioctl(TCGETS) (isatty) before its first write and a regular file not, so once a
 * `record --output /dev/null` had replaced /dev/null with a regular file (or someone put it back) the same
 * workload was recorded with or without `ioctl`.
 */
import assert from 'node:assert/strict'
import {spawn, spawnSync, type ChildProcess} from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  watch,
  writeFileSync,
} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {after, before, describe, it} from 'node:test'
import {buildProfiles} from '../../src/aggregate/build.js'
import {parseCoverage} from '../../src/store/coverage.js'
import type {RecorderConfig} from '../../src/config/config.js'
import {runGc} from '../../src/gc/gc.js'
import {readSpoolNote} from '../../src/spool/notes.js'
import {classifySpoolFile, isNoteText, parseTarget, readJournal} from '../../src/spool/layout.js'
import {checkProfileText} from '../../src/profile/load.js'
import {profileFromSyscalls} from '../../src/profile/from-syscalls.js'
import {MANIFEST_FILE, parseManifest} from '../../src/publish/manifest.js'
import {listPublished} from '../../src/publish/published.js'
import type {KernelTarget} from '../../src/kernel/native-helper.js'
import {leftoverTempPid} from '../../src/fs/atomic-write.js'
import type {Recording} from '../../src/store/model.js'
import {RecordingStore} from '../../src/store/store.js'
import {allNames, nameKernelSyscalls, type SyscallSet} from '../../src/syscalls/syscall-set.js'
import {runtimeTail, withRuntimeTail} from '../../src/runtime-tail/tails.js'
import {REPO_ROOT, runCli} from '../helpers/cli.js'
import {bigProfileVariants, publishAndKill, tempFiles} from '../publish/helpers.js'
import {makeRecording} from '../store/helpers/recordings.js'
import {allowedSyscallNames, BUSYBOX, CLI, nativeHelper, requireKernelPrerequisites} from './harness.js'

const SEED = Number(process.env.KILL_SEED ?? Math.floor(Math.random() * 2 ** 31))
const TRIES = {
  a: Number(process.env.KILL_TRIES_A ?? 25),
  b: Number(process.env.KILL_TRIES_B ?? 30),
  b2: Number(process.env.KILL_TRIES_B2 ?? 24),
  c: Number(process.env.KILL_TRIES_C ?? 25),
  d: Number(process.env.KILL_TRIES_D ?? 25),
}

/** mulberry32: small, fast, good enough to spread kill points; one stream per stage so each replays alone. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
const streamFor = (stage: string) =>
  prng([...stage].reduce((h, ch) => Math.imul(h ^ ch.charCodeAt(0), 0x9e3779b1), SEED))

const work = mkdtempSync(join(tmpdir(), 'scr-kill-'))
const spool = join(work, 'spool')
const store = join(work, 'store')
const out = join(work, 'out')
/** Where `record` writes its profiles (never a device: see the header). */
const recordOut = join(work, 'record-out')
const configPath = join(work, 'config.yaml')
const config: RecorderConfig = {
  outputRoots: [out],
  store,
  onError: 'fail',
  runtimeTail: 'both',
  runtimeThreads: false,
  spool,
}
let helper = ''
let childEnv: NodeJS.ProcessEnv = {}
const pinDir = `/sys/fs/bpf/scr-test-kill-${process.pid}`
const ownMntns = statSync('/proc/self/ns/mnt').ino

/** Runs one try; a failure names the seed, stage, try and kill point, so it can be replayed. */
async function attempt(stage: string, i: number, kill: string, body: () => Promise<void>): Promise<void> {
  try {
    await body()
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    throw new Error(`kill campaign (replay with KILL_SEED=${SEED}) stage ${stage} try ${i} kill ${kill}: ${message}`, {
      cause: error,
    })
  }
}

interface Killed {
  killed: boolean
  status: number | null
  ms: number
  /** What it printed on stderr (when piped). */
  stderr: string
}

/**
 * Waits for a child; SIGKILLs it after delayMs, or at the first watched event that `trigger` accepts
 * (inotify on `watchDir`), whichever comes first.
 */
function killAt(
  child: ChildProcess,
  options: {delayMs?: number; watchDir?: string; trigger?: (event: string, name: string) => boolean},
): Promise<Killed> {
  const started = Date.now()
  return new Promise((resolve) => {
    let stderr = ''
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    let killed = false
    const kill = () => {
      if (child.exitCode === null && child.signalCode === null) killed = child.kill('SIGKILL')
    }
    const watcher =
      options.watchDir && options.trigger
        ? watch(options.watchDir, (event, name) => typeof name === 'string' && options.trigger!(event, name) && kill())
        : undefined
    const timer = options.delayMs === undefined ? undefined : setTimeout(kill, options.delayMs)
    child.on('exit', (status) => {
      watcher?.close()
      clearTimeout(timer)
      resolve({killed, status, ms: Date.now() - started, stderr})
    })
  })
}

function helperJson<T>(args: string[], input?: string): T {
  const run = spawnSync(helper, args, {encoding: 'utf8', input})
  assert.equal(run.status, 0, `helper ${args.join(' ')}: ${run.stderr}`)
  return JSON.parse(run.stdout) as T
}
const ownTargets = () =>
  helperJson<{targets: Array<{mntns: number; owner: number}>}>(['list']).targets.filter((t) => t.owner === t.mntns)

/** Every file below dir (not following symlinks). */
function filesBelow(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, {withFileTypes: true}).flatMap((e) =>
    e.isDirectory() ? filesBelow(join(dir, e.name)) : [join(dir, e.name)],
  )
}

const isTemp = (path: string) =>
  leftoverTempPid(path.split('/').pop()!, {ownDirectory: true}) !== undefined ||
  /\.[0-9]{1,7}\.[0-9a-f]{8}\.tmp$/.test(path) ||
  /\/\.[^/]+\.[0-9]{1,7}\.tmp$/.test(path)

/**
 * No corrupt or partial document anywhere: recordings validate (and sit where their name and id say), built
 * profiles and output profiles validate, coverage sidecars parse, every spool file is what its name says.
 * Temp files are allowed here (a killed writer leaves them); they are never read as documents.
 */
async function assertRootsWhole(roots: {store?: string; spool?: string; out?: string}): Promise<void> {
  if (roots.store) {
    const scan = await new RecordingStore(roots.store).scan()
    assert.deepEqual(scan.invalid, [], 'invalid recordings in the store')
    for (const path of filesBelow(join(roots.store, 'profiles'))) {
      if (isTemp(path) || path.endsWith('.yaml')) continue
      const text = readFileSync(path, 'utf8')
      if (path.endsWith('.coverage.json')) assert.ok(parseCoverage(text), `${path}: not a coverage document`)
      else assert.ok(checkProfileText(text).valid, `${path}: not a valid profile`)
    }
    for (const path of filesBelow(join(roots.store, 'locks'))) if (!isTemp(path)) JSON.parse(readFileSync(path, 'utf8'))
  }
  if (roots.out)
    for (const path of filesBelow(roots.out))
      if (!isTemp(path)) assert.ok(checkProfileText(readFileSync(path, 'utf8')).valid, `${path}: not a valid profile`)
  if (roots.spool) {
    for (const path of filesBelow(roots.spool)) {
      const entry = classifySpoolFile(path.split('/').pop()!)
      const text = () => readFileSync(path, 'utf8')
      if (entry.kind === 'note') assert.ok(await readSpoolNote(roots.spool, entry.id), `${path}: damaged note`)
      else if (entry.kind === 'orphan') assert.ok(isNoteText(text()) || parseTarget(text()), `${path}: damaged orphan`)
      else if (entry.kind === 'journal') assert.ok(await readJournal(roots.spool, entry.id), `${path}: damaged journal`)
      else if (entry.kind === 'lock' || entry.kind === 'record-marker') JSON.parse(text())
      else assert.equal(entry.kind, 'temp', `${path}: unexpected file in the spool`)
    }
  }
}

/** After gc: nothing left in the spool, no temp file in the store, no kernel target. */
function assertClean(): void {
  assert.deepEqual(existsSync(spool) ? readdirSync(spool) : [], [], 'files left in the spool after gc')
  assert.deepEqual(
    [...filesBelow(store), ...filesBelow(out)].filter(isTemp),
    [],
    'temp files left in the store or the output root after gc',
  )
  assert.deepEqual(ownTargets(), [], 'kernel targets left after gc')
}

async function recordingsNow(root = store): Promise<Recording[]> {
  return (await new RecordingStore(root).scan()).recordings
}

/** Recordings known complete (written and reported, or finalised by gc): each must survive every later kill. */
const complete = new Set<string>()
async function assertCompleteKept(): Promise<void> {
  const now = new Set((await recordingsNow()).map((r) => r.id))
  const lost = [...complete].filter((id) => !now.has(id))
  assert.deepEqual(lost, [], 'recordings reported complete earlier are gone')
}
async function markComplete(): Promise<void> {
  for (const r of await recordingsNow()) complete.add(r.id)
}

async function gc(options: {store?: string} = {}) {
  const result = await runGc({config: {...config, store: options.store ?? store}, helper})
  assert.equal(result.failed, 0, `gc failed: ${JSON.stringify(result.actions.filter((a) => a.error))}`)
  return result
}

/** Pids whose command line contains `token` (the recorded workload carries it as its $0). */
function processesWith(token: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^[0-9]+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(token)
      } catch {
        return false
      }
    })
    .map(Number)
}

async function until(what: string, ok: () => boolean, ms = 15_000): Promise<void> {
  for (const deadline = Date.now() + ms; !ok(); await sleep(20))
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`)
}

const counts: Record<string, {tries: number; killed: number; completed: number; byTrigger: Record<string, number>}> = {}
function count(stage: string, killed: boolean, trigger: string): void {
  counts[stage] ??= {tries: 0, killed: 0, completed: 0, byTrigger: {}}
  const c = counts[stage]!
  c.tries += 1
  if (killed) {
    c.killed += 1
    c.byTrigger[trigger] = (c.byTrigger[trigger] ?? 0) + 1
  } else c.completed += 1
}

/**
 * Stage d needs no kernel and touches nothing the others do: it runs alongside them (started in `before`,
 * awaited by its test), which keeps the campaign's wall time down.
 */
async function runStageD(): Promise<void> {
  const [a, b] = await bigProfileVariants(work)
  // Three roots published at once (as in test/publish/kill.test.ts): three times the kills in the same time.
  const WORKERS = 3
  const worker = async (w: number) => {
    const rand = streamFor(`d${w}`)
    const root = join(work, `kubelet-seccomp-${w}`)
    const first = await publishAndKill(root, a!.path, 'never')
    assert.equal(first.status, 0)
    const target = join(root, 'big.json')
    for (let i = w; i < TRIES.d; i += WORKERS) {
      const next = i % 2 === 0 ? b! : a!
      const when = rand() < 0.5 ? 'temp' : Math.floor(rand() * first.ms * 0.95)
      await attempt('d', i, String(when), async () => {
        const run = await publishAndKill(root, next.path, when)
        count('d', run.killed, typeof when === 'number' ? 'time' : 'temp file')
        if (!run.killed) assert.equal(run.status, 0)
        const content = readFileSync(target)
        assert.ok(
          content.equals(a!.bytes) || content.equals(b!.bytes),
          `the target is neither the old nor the new profile (${content.length} bytes)`,
        )
        if (!run.killed) assert.ok(content.equals(next.bytes), 'a completed publish wrote its profile')
        assert.ok(checkProfileText(content.toString('utf8')).valid)
        parseManifest(readFileSync(join(root, MANIFEST_FILE), 'utf8'), join(root, MANIFEST_FILE))
      })
    }
    // The next publish removes what the killed ones left; the manifest tracks what is there.
    const last = await publishAndKill(root, a!.path, 'never')
    assert.equal(last.status, 0)
    assert.deepEqual(tempFiles(root), [])
    assert.deepEqual(
      listPublished(root).profiles.map((p) => p.status),
      ['ok'],
    )
  }
  await Promise.all(Array.from({length: WORKERS}, (_, w) => worker(w)))
}

/** The bundle directory the stage-b "containers" name in their state. */
function containerBundle(): string {
  const bundle = join(work, 'bundle')
  mkdirSync(bundle, {recursive: true})
  return bundle
}

const B_WORKLOAD = `${BUSYBOX} sync; ${BUSYBOX} uname >${join(work, 'b-uname')}; echo x >${join(work, 'b-echo')}`

/** A "container": a process in a mount namespace of its own, registered by the real prestart, that then runs the workload and exits. */
async function container(id: string, annotations: Record<string, string>): Promise<{expected: SyscallSet['names']}> {
  const child = spawn(
    'unshare',
    ['--mount', '--propagation', 'private', BUSYBOX, 'sh', '-c', `read go; exec ${BUSYBOX} sh -c '${B_WORKLOAD}'`],
    {stdio: ['pipe', 'ignore', 'inherit']},
  )
  const exited = new Promise((resolve) => child.on('exit', resolve))
  await until('the container to have its namespace', () => {
    try {
      return statSync(`/proc/${child.pid}/ns/mnt`).ino !== ownMntns
    } catch {
      return false
    }
  })
  const state = JSON.stringify({
    ociVersion: '1.0.2',
    id,
    status: 'created',
    pid: child.pid,
    bundle: containerBundle(),
    annotations,
  })
  const prestart = spawnSync(helper, ['hook-prestart', '--spool', spool, '--output-root', out], {
    input: state,
    encoding: 'utf8',
  })
  assert.equal(prestart.status, 0, `prestart: ${prestart.stderr}`)
  child.stdin!.end('go\n')
  await exited
  const note = (await readSpoolNote(spool, id))!
  const kernel = helperJson<KernelTarget>(['read', '--mntns', String(note.mntns)])
  return {
    expected: withRuntimeTail(
      nameKernelSyscalls(kernel),
      runtimeTail(config.runtimeTail, note.runtime, config.runtimeThreads),
    ).names,
  }
}

describe('kill -9 campaign', {timeout: 600_000}, () => {
  let stageD: Promise<void> = Promise.resolve()
  const started = Date.now()
  before(async () => {
    requireKernelPrerequisites()
    helper = await nativeHelper()
    // The kernel stages record into a recorder of their own: no other test's recordings are at stake.
    process.env.SECCOMP_RECORDER_BPFFS = pinDir
    for (const dir of [spool, store, out, recordOut]) mkdirSync(dir, {recursive: true})
    writeFileSync(configPath, `outputRoots: [${out}]\nstore: ${store}\nspool: ${spool}\n`)
    childEnv = {...process.env, SECCOMP_RECORDER_CONFIG: configPath, SECCOMP_RECORDER_STORE: store, NO_COLOR: '1'}
    stageD = runStageD()
    stageD.catch(() => undefined) // reported by its test
  })
  after(async (t) => {
    await stageD.catch(() => undefined)
    spawnSync(helper, ['detach'])
    delete process.env.SECCOMP_RECORDER_BPFFS
    rmSync(work, {recursive: true, force: true})
    void t
    process.stderr.write(
      `# kill campaign seed ${SEED}: ${JSON.stringify(counts)} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    )
  })

  it(`a: record is killed while recording (${TRIES.a} tries)`, async (t) => {
    const rand = streamFor('a')
    // Its output goes to a regular file of its own: the same syscalls whatever the machine's /dev/null is.
    const workload = (token: string) => [
      BUSYBOX,
      'sh',
      '-c',
      `${BUSYBOX} touch ${join(work, `ran-${token}`)}; ${BUSYBOX} sync; ${BUSYBOX} uname >${join(work, `uname-${token}`)}`,
      token,
    ]
    const profileOf = (token: string) => join(recordOut, `${token}.json`)
    // Ground truth: the same workload recorded twice without interference (it is deterministic).
    const truth: SyscallSet['names'][] = []
    let full = 0
    for (const n of [0, 1]) {
      const begin = Date.now()
      const token = `scr-kill-truth-${process.pid}-${n}`
      const run = runCli(
        [
          'record',
          '--name',
          `truth/${n}`,
          '--store',
          join(work, 'truth'),
          '--output',
          profileOf(token),
          '--',
          ...workload(token),
        ],
        {env: childEnv},
      )
      full = Math.max(full, Date.now() - begin)
      assert.equal(run.status, 0, run.stderr)
    }
    for (const r of await recordingsNow(join(work, 'truth'))) truth.push(r.syscalls)
    assert.deepEqual(truth[0], truth[1], 'the workload is not deterministic')

    for (let i = 0; i < TRIES.a; i++) {
      const token = `scr-kill-a-${process.pid}-${i}`
      const name = `campaign/a-${i}`
      const r = rand()
      // Kill points: any moment of the run, the moment it holds its namespace lock (recording), the moment it
      // is about to save the recording (its marker appears), a recording temp file being written.
      const trigger = r < 0.55 ? 'time' : r < 0.7 ? 'namespace lock' : r < 0.85 ? 'record marker' : 'store write'
      const delayMs = trigger === 'time' ? Math.floor(rand() * full * 1.1) : full * 2
      await attempt('a', i, `${trigger}${trigger === 'time' ? ` ${delayMs} ms` : ''}`, async () => {
        const before = new Set((await recordingsNow()).map((x) => x.id))
        const child = spawn(
          process.execPath,
          [CLI, 'record', '--name', name, '--output', profileOf(token), '--', ...workload(token)],
          {env: childEnv, stdio: ['ignore', 'ignore', 'pipe']},
        )
        const watchDir = trigger === 'store write' ? store : spool
        const run = await killAt(child, {
          delayMs,
          watchDir,
          trigger: (_e, file) =>
            trigger === 'namespace lock'
              ? /^ns\.[0-9]+\.lock$/.test(file)
              : trigger === 'record marker'
                ? /^ns\.[0-9]+\.record$/.test(file)
                : trigger === 'store write'
                  ? true
                  : false,
        })
        count('a', run.killed, trigger)
        // The recorded command goes on without `record`: let it end.
        await until('the recorded command to end', () => processesWith(token).length === 0)
        await assertRootsWhole({store, spool, out})
        await assertCompleteKept()
        if (!run.killed) {
          assert.equal(run.status, 0, `an uninterrupted record succeeds: ${run.stderr}`)
          assert.deepEqual(
            (await recordingsNow()).filter((x) => x.name === name).map((x) => x.syscalls),
            [truth[0]],
            'a completed record saved its recording',
          )
        }
        await gc()
        const added = (await recordingsNow()).filter((x) => !before.has(x.id))
        if (existsSync(join(work, `ran-${token}`))) {
          // Saved by record, or salvaged by gc (orphan/<boot>-<ns_id>): once, with exactly the workload's syscalls.
          assert.equal(
            added.length,
            1,
            `the run is stored ${added.length} times: ${added.map((x) => x.name).join(', ')}`,
          )
          assert.ok(
            added[0]!.name === name || (added[0]!.name.startsWith('orphan/') && added[0]!.source === 'gc'),
            `stored as ${added[0]!.name}`,
          )
          assert.deepEqual(added[0]!.syscalls, truth[0])
        } else {
          assert.deepEqual(added, [], 'a command that never ran left a recording')
        }
        assertClean()
        await markComplete()
      })
    }
    t.diagnostic(`stage a: ${JSON.stringify(counts.a)}`)
  })

  it(`b: the poststop hook is killed while it finalises (${TRIES.b} tries)`, async (t) => {
    const rand = streamFor('b')
    const bundle = containerBundle()
    const poststop = (id: string) => {
      const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'hook-poststop.js')], {
        env: childEnv,
        stdio: ['pipe', 'ignore', 'pipe'],
      })
      child.stdin!.end(JSON.stringify({ociVersion: '1.0.2', id, status: 'stopped', pid: 0, bundle}))
      return child
    }

    // How long an uninterrupted poststop takes here.
    const first = `camp-b-${process.pid}-first`
    await container(first, {'seccomp-recorder.io/record': 'campaign/b-first'})
    const clean = await killAt(poststop(first), {})
    assert.equal(clean.status, 0)
    const full = clean.ms

    for (let i = 0; i < TRIES.b; i++) {
      const id = `camp-b-${process.pid}-${i}`
      const name = `campaign/b-${i}`
      const profile = i % 2 === 0 ? join(out, `b-${i}.json`) : undefined
      const r = rand()
      const trigger = r < 0.5 ? 'time' : r < 0.65 ? 'lock taken' : r < 0.85 ? 'journal written' : 'note removed'
      const delayMs = trigger === 'time' ? Math.floor(full * (0.3 + rand() * 0.8)) : full * 3
      await attempt('b', i, `${trigger}${trigger === 'time' ? ` ${delayMs} ms` : ''}`, async () => {
        const {expected} = await container(id, {
          'seccomp-recorder.io/record': name,
          ...(profile ? {'io.containers.trace-syscall': `of:${profile}`} : {}),
        })
        const before = new Set((await recordingsNow()).map((x) => x.id))
        const run = await killAt(poststop(id), {
          delayMs,
          watchDir: spool,
          trigger: (_e, file) =>
            trigger === 'lock taken'
              ? file === `c.${id}.lock`
              : trigger === 'journal written'
                ? file === `${id}.taken`
                : trigger === 'note removed'
                  ? file === `${id}.json` && !existsSync(join(spool, file))
                  : false,
        })
        count('b', run.killed, trigger)
        await assertRootsWhole({store, spool, out})
        await assertCompleteKept()
        if (!run.killed) {
          assert.equal(
            run.status,
            0,
            `an uninterrupted poststop succeeds: ${run.stderr} (kernel now: ${JSON.stringify(helperJson(['list']))}; spool: ${readdirSync(spool).join(' ')})`,
          )
          assert.equal(
            (await recordingsNow()).filter((x) => x.name === name).length,
            1,
            'a completed poststop saved its recording',
          )
        }
        const repaired = await gc()
        const added = (await recordingsNow()).filter((x) => !before.has(x.id))
        assert.deepEqual(
          added.map((x) => x.name),
          [name],
          `the container is stored exactly once (poststop ${run.killed ? 'killed' : `exit ${run.status}`}; gc: ${JSON.stringify(repaired)})`,
        )
        assert.equal(added[0]!.source, 'hook')
        assert.deepEqual(added[0]!.syscalls, expected)
        if (profile) {
          const written = checkProfileText(readFileSync(profile, 'utf8'))
          assert.ok(written.valid)
          assert.deepEqual(
            allowedSyscallNames(written.profile),
            allowedSyscallNames(profileFromSyscalls({names: expected, unknown: []})),
          )
        }
        assertClean()
        await markComplete()
      })
    }
    t.diagnostic(`stage b: ${JSON.stringify(counts.b)}`)
  })

  it(`b2: the native poststop or the finaliser after it is killed while it finalises (${TRIES.b2} tries)`, async (t) => {
    const rand = streamFor('b2')
    const bundle = containerBundle()
    const state = (id: string, annotations: Record<string, string>) =>
      JSON.stringify({ociVersion: '1.0.2', id, status: 'stopped', pid: 0, bundle, annotations})
    // No --finaliser: the campaign starts the finaliser itself, to kill it.
    const poststop = (id: string, annotations: Record<string, string>) => {
      const child = spawn(helper, ['hook-poststop', '--spool', spool], {
        env: childEnv,
        stdio: ['pipe', 'ignore', 'pipe'],
      })
      child.stdin!.end(state(id, annotations))
      return child
    }
    const finaliser = () =>
      spawn(process.execPath, [join(REPO_ROOT, 'bin', 'finaliser.js'), '--idle-ms', '0'], {
        env: childEnv,
        stdio: ['ignore', 'ignore', 'pipe'],
      })

    // How long an uninterrupted finaliser takes here.
    const first = `camp-b2-${process.pid}-first`
    const firstAsk = {'seccomp-recorder.io/record': 'campaign/b2-first'}
    await container(first, firstAsk)
    assert.equal((await killAt(poststop(first, firstAsk), {})).status, 0)
    const clean = await killAt(finaliser(), {})
    assert.equal(clean.status, 0, clean.stderr)
    const full = clean.ms

    for (let i = 0; i < TRIES.b2; i++) {
      const id = `camp-b2-${process.pid}-${i}`
      const name = `campaign/b2-${i}`
      const profile = i % 2 === 0 ? join(out, `b2-${i}.json`) : undefined
      const annotations = {
        'seccomp-recorder.io/record': name,
        ...(profile ? {'io.containers.trace-syscall': `of:${profile}`} : {}),
      }
      const r = rand()
      const victim = r < 0.3 ? 'poststop' : 'finaliser'
      const trigger =
        victim === 'poststop'
          ? r < 0.15
            ? 'lock taken'
            : 'journal written'
          : r < 0.6
            ? 'time'
            : r < 0.75
              ? 'lock taken'
              : 'note removed'
      const delayMs = trigger === 'time' ? Math.floor(full * (0.2 + rand() * 0.8)) : full * 3
      await attempt('b2', i, `${victim}: ${trigger}${trigger === 'time' ? ` ${delayMs} ms` : ''}`, async () => {
        const {expected} = await container(id, annotations)
        const before = new Set((await recordingsNow()).map((x) => x.id))
        const watched = (file: string) =>
          trigger === 'lock taken'
            ? file === `c.${id}.lock`
            : trigger === 'journal written'
              ? file === `${id}.taken`
              : trigger === 'note removed'
                ? file === `${id}.json` && !existsSync(join(spool, file))
                : false
        let run: Killed
        if (victim === 'poststop') {
          run = await killAt(poststop(id, annotations), {watchDir: spool, trigger: (_e, file) => watched(file)})
        } else {
          const native = await killAt(poststop(id, annotations), {})
          assert.equal(native.status, 0, `the native poststop succeeds: ${native.stderr}`)
          assert.ok(existsSync(join(spool, `${id}.taken`)), 'the native poststop left the journal')
          assert.deepEqual(ownTargets(), [], 'the native poststop removed the kernel target')
          run = await killAt(finaliser(), {delayMs, watchDir: spool, trigger: (_e, file) => watched(file)})
        }
        count('b2', run.killed, `${victim}: ${trigger}`)
        await assertRootsWhole({store, spool, out})
        await assertCompleteKept()
        if (!run.killed) {
          assert.equal(run.status, 0, `an uninterrupted ${victim} succeeds: ${run.stderr}`)
          if (victim === 'finaliser')
            assert.equal(
              (await recordingsNow()).filter((x) => x.name === name).length,
              1,
              'a completed finaliser saved the recording',
            )
        }
        const repaired = await gc()
        const added = (await recordingsNow()).filter((x) => !before.has(x.id))
        assert.deepEqual(
          added.map((x) => x.name),
          [name],
          `the container is stored exactly once (${victim} ${run.killed ? 'killed' : `exit ${run.status}`}; gc: ${JSON.stringify(repaired)})`,
        )
        assert.equal(added[0]!.source, 'hook')
        assert.deepEqual(added[0]!.syscalls, expected)
        if (profile) {
          const written = checkProfileText(readFileSync(profile, 'utf8'))
          assert.ok(written.valid)
          assert.deepEqual(
            allowedSyscallNames(written.profile),
            allowedSyscallNames(profileFromSyscalls({names: expected, unknown: []})),
          )
        }
        assertClean()
        await markComplete()
      })
    }
    t.diagnostic(`stage b2: ${JSON.stringify(counts.b2)}`)
  })

  it(`c: profiles build is killed while it aggregates (${TRIES.c} tries)`, async (t) => {
    const rand = streamFor('c')
    const root = join(work, 'store-c')
    const recordings = new RecordingStore(root)
    // Checking builds need not survive power loss: no fsync, so each try's check is quick.
    const checker = new RecordingStore(root, {durable: false})
    const pool = [
      'read',
      'write',
      'openat',
      'close',
      'mmap',
      'munmap',
      'brk',
      'futex',
      'uname',
      'sync',
      'statfs',
      'sysinfo',
      'getpid',
      'clone3',
      'wait4',
      'execve',
      'exit_group',
      'pipe2',
      'dup3',
      'fcntl',
    ]
    const pick = () =>
      [
        ...new Set(Array.from({length: 3 + Math.floor(rand() * 10)}, () => pool[Math.floor(rand() * pool.length)]!)),
      ].sort()
    const NAMES = 16
    for (let n = 0; n < NAMES; n++)
      for (let k = 0; k < 2; k++)
        await checker.save(
          makeRecording({
            name: `team/app-${n}`,
            syscalls: pick(),
            endedAt: new Date(Date.UTC(2026, 4, 1, 10, n, k)).toISOString(),
          }),
        )
    const build = () =>
      spawn(process.execPath, [CLI, 'profiles', 'build', '--store', root], {env: childEnv, stdio: 'ignore'})
    const clean = await killAt(build(), {})
    assert.equal(clean.status, 0)
    const full = clean.ms

    for (let i = 0; i < TRIES.c; i++) {
      const r = rand()
      const trigger = r < 0.6 ? 'time' : r < 0.8 ? 'profile write' : 'lock taken'
      const delayMs = trigger === 'time' ? Math.floor(full * (0.25 + rand() * 0.8)) : full * 3
      await attempt('c', i, `${trigger}${trigger === 'time' ? ` ${delayMs} ms` : ''}`, async () => {
        await recordings.save(
          makeRecording({
            name: `team/app-${Math.floor(rand() * NAMES)}`,
            syscalls: pick(),
            endedAt: new Date(Date.UTC(2026, 4, 2, 0, 0, i)).toISOString(),
          }),
        )
        const saved = (await recordingsNow(root)).map((x) => x.id)
        const run = await killAt(build(), {
          delayMs,
          watchDir: trigger === 'lock taken' ? join(root, 'locks') : join(root, 'profiles'),
          trigger: (_e, file) =>
            trigger === 'profile write'
              ? file.endsWith('.tmp')
              : trigger === 'lock taken'
                ? file.endsWith('.lock')
                : false,
        })
        count('c', run.killed, trigger)
        if (!run.killed) assert.equal(run.status, 0)
        await assertRootsWhole({store: root})
        assert.deepEqual(
          (await recordingsNow(root)).map((x) => x.id),
          saved,
          'recordings changed',
        )
        // The next build (it breaks the killed one's lock) and gc (temp files) leave every profile exactly the union.
        const result = await buildProfiles(checker)
        await gc({store: root})
        assert.deepEqual(filesBelow(root).filter(isTemp), [])
        assert.deepEqual(readdirSync(join(root, 'locks')), [])
        for (const built of result.built) {
          const own = (await recordingsNow(root)).filter((x) => x.name === built.name)
          const onDisk = checkProfileText(readFileSync(recordings.profilePaths(built.name).profile, 'utf8'))
          assert.ok(onDisk.valid)
          assert.deepEqual(
            allowedSyscallNames(onDisk.profile),
            [...new Set(own.flatMap((x) => allNames({names: x.syscalls, unknown: []})))].sort(),
            built.name,
          )
          assert.equal(
            parseCoverage(readFileSync(recordings.profilePaths(built.name).coverage, 'utf8'))?.recordings,
            own.length,
          )
        }
      })
    }
    t.diagnostic(`stage c: ${JSON.stringify(counts.c)}`)
  })

  it(`d: publish is killed while it publishes (${TRIES.d} tries, alongside a–c)`, async (t) => {
    await stageD
    t.diagnostic(`stage d: ${JSON.stringify(counts.d)}`)
  })

  it('kills landed: at least 100 tries over the four stages, most of them killed', () => {
    const tries = Object.values(counts).reduce((n, c) => n + c.tries, 0)
    const killed = Object.values(counts).reduce((n, c) => n + c.killed, 0)
    assert.ok(tries >= 100 || Object.values(TRIES).reduce((x, y) => x + y, 0) < 100, `${tries} tries`)
    assert.ok(killed >= tries / 2, `only ${killed} of ${tries} tries were killed (seed ${SEED})`)
  })
})
