/**
 * Faults of the kernel recorder itself, on the real kernel: its targets map full, its pins removed while it
 * records, an attach cut short. Each test runs a recorder of its own (SECCOMP_RECORDER_BPFFS, a small
 * SECCOMP_RECORDER_MAX_TARGETS), so the recordings of other tests are never at stake.
 */
import assert from 'node:assert/strict'
import {spawn, spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {after, before, describe, it} from 'node:test'
import {EXIT} from '../../src/core/exit-codes.js'
import {runCli} from '../helpers/cli.js'
import {
  BUSYBOX,
  inNewMountNamespace,
  killAndWait,
  nativeHelper,
  recordInBackground,
  requireKernelPrerequisites,
  allowedSyscallNamesIn,
} from './harness.js'

const work = mkdtempSync(join(tmpdir(), 'scr-e2e-faults-'))
let helper = ''
let pinCounter = 0

/** A recorder of its own for one test: its pins directory and, optionally, a small targets map. */
function recorderEnv(maxTargets?: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SECCOMP_RECORDER_BPFFS: `/sys/fs/bpf/scr-test-${process.pid}-${pinCounter++}`,
  }
  if (maxTargets !== undefined) env.SECCOMP_RECORDER_MAX_TARGETS = String(maxTargets)
  return env
}

function helperJson<T>(env: NodeJS.ProcessEnv, args: string[]): T {
  const run = spawnSync(helper, args, {encoding: 'utf8', env})
  assert.equal(run.status, 0, `helper ${args.join(' ')}: ${run.stderr}`)
  return JSON.parse(run.stdout) as T
}

interface Listing {
  attached: boolean
  targets: Array<{mntns: number; state: string}>
}

async function waitForTargets(env: NodeJS.ProcessEnv, count: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const listing = helperJson<Listing>(env, ['list'])
    if (listing.targets.filter((t) => t.state !== 'nested').length >= count) return
    await sleep(25)
  }
  assert.fail(`fewer than ${count} targets registered after 5 s`)
}

const names = allowedSyscallNamesIn

/** Released by creating this file: workloads stay alive until the test says so (no timing guesses). */
const BARRIER = join(work, 'go')
/** Each workload makes one syscall the others never make (sysinfo, statfs, sync, sched_getaffinity), after it is released. */
const WORKLOADS = ['uptime', 'df /', 'sync', 'nproc'].map((applet) => [
  BUSYBOX,
  'sh',
  '-c',
  `sleep 0.1; while [ ! -e ${BARRIER} ]; do sleep 0.1; done; ${BUSYBOX} ${applet} >/dev/null`,
])

describe('recorder faults (real kernel)', {timeout: 300_000}, () => {
  const pinDirs: string[] = []
  before(async () => {
    requireKernelPrerequisites()
    helper = await nativeHelper()
  })
  after(() => {
    for (const dir of pinDirs) {
      spawnSync(helper, ['detach'], {env: {...process.env, SECCOMP_RECORDER_BPFFS: dir}})
    }
    rmSync(work, {recursive: true, force: true})
  })
  const own = (env: NodeJS.ProcessEnv) => {
    pinDirs.push(env.SECCOMP_RECORDER_BPFFS!)
    return env
  }

  it('a full targets map: the next recording fails with a clear error and exit code, the others stay exact', async () => {
    const env = own(recorderEnv(WORKLOADS.length))
    rmSync(BARRIER, {force: true})
    const running = WORKLOADS.map((command, i) => recordInBackground(env, join(work, `full-${i}.json`), command))
    await waitForTargets(env, WORKLOADS.length)

    const refused = runCli(['record', '--output', join(work, 'full-extra.json'), '--', '/bin/true'], {env})
    assert.equal(refused.status, EXIT.RUNTIME, refused.stderr)
    assert.match(
      refused.stderr,
      /the recorder is full \(4 mount namespaces recorded at once\): this one is not recorded; the others are unaffected/,
    )
    assert.doesNotMatch(refused.stderr, /\n\s+at /, 'no stack trace')
    assert.ok(!existsSync(join(work, 'full-extra.json')), 'nothing written for the refused recording')

    writeFileSync(BARRIER, '')
    const results = await Promise.all(running)
    results.forEach((r, i) => assert.equal(r.code, 0, `workload ${i}: ${r.stderr}`))
    // Ground truth: the same workloads recorded one at a time once the map has room again.
    for (const [i, command] of WORKLOADS.entries()) {
      const alone = runCli(['record', '--output', join(work, `alone-${i}.json`), '--', ...command], {env})
      assert.equal(alone.status, 0, alone.stderr)
      assert.deepEqual(
        names(join(work, `full-${i}.json`)),
        names(join(work, `alone-${i}.json`)),
        `workload ${i} (${command.at(-1)})`,
      )
    }
    assert.ok(
      names(join(work, 'full-0.json')).includes('sysinfo') && !names(join(work, 'full-1.json')).includes('sysinfo'),
    )
  })

  it('map pins removed while recording: the next helper pins them again from the running program, nothing is lost', async () => {
    const env = own(recorderEnv())
    const output = join(work, 'repinned.json')
    rmSync(BARRIER, {force: true}) // an earlier test released its workloads: this one must wait for the barrier
    const running = recordInBackground(env, output, WORKLOADS[0]!)
    await waitForTargets(env, 1)
    for (const map of ['slots', 'targets', 'words', 'filter']) unlinkSync(join(env.SECCOMP_RECORDER_BPFFS!, map))
    writeFileSync(BARRIER, '')

    const result = await running
    assert.equal(result.code, 0, result.stderr)
    const alone = join(work, 'repinned-alone.json')
    assert.equal(runCli(['record', '--output', alone, '--', ...WORKLOADS[0]!], {env}).status, 0)
    assert.deepEqual(names(output), names(alone))
  })

  it('links removed while recording (recorder detached): the recording is flagged interrupted, and the next attach works', async () => {
    const env = own(recorderEnv())
    const output = join(work, 'interrupted.json')
    rmSync(BARRIER, {force: true}) // an earlier test released its workloads: this one must wait for the barrier
    const running = recordInBackground(env, output, WORKLOADS[1]!)
    await waitForTargets(env, 1)
    for (const link of ['link_sys_enter', 'link_task_newtask', 'link_process_exit'])
      unlinkSync(join(env.SECCOMP_RECORDER_BPFFS!, link))
    // The programs are gone with their links; whichever helper comes next (here `list`) attaches again on the
    // pinned maps and flags the recording.
    assert.equal(helperJson<Listing>(env, ['list']).attached, true, 'the next helper re-attaches')
    writeFileSync(BARRIER, '')

    const result = await running
    assert.equal(result.code, EXIT.RUNTIME, `an interrupted recording must not pass as complete: ${result.stdout}`)
    assert.match(result.stdout + result.stderr, /recorder was detached while the command ran/)
    assert.equal(helperJson<Listing>(env, ['list']).attached, false, 'detached again once nothing records')

    const again = runCli(['record', '--output', join(work, 'after.json'), '--', ...WORKLOADS[1]!], {env})
    assert.equal(again.status, 0, again.stderr)
    assert.ok(names(join(work, 'after.json')).includes('statfs'))
  })

  it('repair: puts back missing map pins, re-attaches to maps that still hold recordings, removes leftovers', async () => {
    const env = own(recorderEnv())
    const dir = env.SECCOMP_RECORDER_BPFFS!
    // Leftovers of an attach cut short (maps pinned, no link): removed, nothing stays attached.
    helperJson(env, ['attach'])
    unlinkSync(join(dir, 'link_sys_enter'))
    assert.deepEqual(helperJson(env, ['repair']), {attached: false, repinned: false, reattached: false, cleaned: true})
    assert.ok(!existsSync(dir), 'pins directory removed')

    // A recording in progress whose links and one map pin are gone: re-attached on the same maps.
    const keeper = spawn(helper, ['launch', '--ready-fd', '3', '--', BUSYBOX, 'sleep', '30'], {
      env,
      stdio: ['ignore', 'ignore', 'inherit', 'pipe'],
    })
    try {
      await waitForTargets(env, 1)
      const [target] = helperJson<Listing>(env, ['list']).targets
      for (const name of readdirSync(dir).filter((n) => n.startsWith('link_'))) unlinkSync(join(dir, name))
      assert.deepEqual(helperJson(env, ['repair']), {attached: true, repinned: false, reattached: true, cleaned: false})
      const read = helperJson<{interrupted: boolean; syscalls: {x86_64: number[]}}>(env, [
        'read',
        '--mntns',
        String(target!.mntns),
      ])
      assert.equal(read.interrupted, true)
      assert.ok(read.syscalls.x86_64.includes(59), 'what was marked before the interruption is kept (execve)')
    } finally {
      keeper.kill('SIGKILL')
    }
  })

  it('install after the pins were removed puts the recorder right and says so; the recording in progress is kept', async () => {
    const env = own(recorderEnv())
    const dir = env.SECCOMP_RECORDER_BPFFS!
    const layout = {
      SECCOMP_RECORDER_LIBEXEC: join(work, 'libexec'),
      SECCOMP_RECORDER_INSTALL_MANIFEST: join(work, 'install.json'),
      SECCOMP_RECORDER_CONFIG: join(work, 'config.yaml'),
    }
    const keeper = spawn(helper, ['launch', '--ready-fd', '3', '--', BUSYBOX, 'sh', '-c', `sleep 1; ${BUSYBOX} sync`], {
      env,
      stdio: ['ignore', 'ignore', 'inherit', 'pipe'],
    })
    try {
      await waitForTargets(env, 1)
      const [target] = helperJson<Listing>(env, ['list']).targets
      for (const map of ['slots', 'targets', 'words', 'filter']) unlinkSync(join(dir, map))
      const installed = runCli(['install', '--json', '--hooks-dir', join(work, 'hooks.d')], {env: {...env, ...layout}})
      assert.equal(installed.status, 0, installed.stderr)
      assert.deepEqual((JSON.parse(installed.stdout) as {recorder: object}).recorder, {
        attached: true,
        repinned: true,
        reattached: false,
        cleaned: false,
      })
      await new Promise((resolve) => keeper.on('close', resolve))
      const read = helperJson<{interrupted: boolean; syscalls: {x86_64: number[]}}>(env, [
        'read',
        '--mntns',
        String(target!.mntns),
      ])
      assert.equal(read.interrupted, false)
      assert.ok(read.syscalls.x86_64.includes(162), 'sync, made after the repair, is recorded')
    } finally {
      keeper.kill('SIGKILL')
      runCli(['uninstall', '--all', '--json'], {env: {...env, ...layout}})
    }
  })

  it('a namespace number reused before its recording was read: prestart moves the old recording, whole, into the spool', async () => {
    const env = own(recorderEnv())
    const spool = join(work, 'spool-reuse')
    const go = join(work, 'go-reuse')
    const state = (id: string, pid: number) =>
      JSON.stringify({
        ociVersion: '1.0.2',
        id,
        status: 'created',
        pid,
        bundle: work,
        annotations: {'seccomp-recorder.io/record': 'auto'},
      })
    const prestart = (id: string, pid: number) =>
      spawnSync(helper, ['hook-prestart', '--spool', spool], {env, input: state(id, pid), encoding: 'utf8'})
    // The first container: registered, then released into its workload (exec busybox uptime: sysinfo), then gone.
    const first = await inNewMountNamespace([
      BUSYBOX,
      'sh',
      '-c',
      `while [ ! -e ${go} ]; do ${BUSYBOX} sleep 0.05; done; exec ${BUSYBOX} uptime`,
    ])
    const later: Array<Awaited<ReturnType<typeof inNewMountNamespace>>> = []
    try {
      const registered = prestart('reuse-a', first.child.pid!)
      assert.equal(registered.status, 0, registered.stderr)
      const note = JSON.parse(readFileSync(join(spool, 'reuse-a.json'), 'utf8')) as {mntns: number; ns_id: number}
      assert.equal(note.mntns, first.mntns)
      const exited = new Promise((r) => first.child.once('exit', r))
      writeFileSync(go, '')
      await exited
      // The kernel hands the number out again, lowest first: new namespaces (kept, so each takes the next number)
      // until one gets it.
      let second: (typeof later)[number] | undefined
      for (let i = 0; i < 20 && !second; i++) {
        const candidate = await inNewMountNamespace([BUSYBOX, 'sleep', '30'])
        later.push(candidate)
        if (candidate.mntns === note.mntns) second = candidate
      }
      assert.ok(second, `no new namespace got number ${note.mntns} back`)

      const reused = prestart('reuse-b', second.child.pid!)
      assert.equal(reused.status, 0, reused.stderr)
      const orphan = JSON.parse(readFileSync(join(spool, `orphan-${note.ns_id}.json`), 'utf8')) as {
        mntns: number
        ns_id: number
        syscalls: {x86_64: number[]}
      }
      assert.equal(orphan.mntns, note.mntns)
      assert.equal(orphan.ns_id, note.ns_id)
      for (const nr of [59, 99])
        assert.ok(orphan.syscalls.x86_64.includes(nr), `syscall ${nr} (execve, sysinfo) in ${JSON.stringify(orphan)}`)
      assert.deepEqual(
        readdirSync(spool).filter((f) => f.startsWith('.')),
        [],
        'no temp file left',
      )
      // The number now records the second container only.
      const listing = helperJson<{targets: Array<{mntns: number; ns_id: number; state: string}>}>(env, ['list'])
      assert.deepEqual(
        listing.targets.map((t) => [t.mntns, t.state]),
        [[note.mntns, 'armed']],
      )
      assert.notEqual(listing.targets[0]!.ns_id, note.ns_id)
    } finally {
      await Promise.all([first, ...later].map((p) => killAndWait(p.child)))
    }
  })

  it('a full targets map at prestart: --on-error fail stops the container with a plain message, warn lets it run unrecorded', async () => {
    const env = own(recorderEnv(1))
    const spool = join(work, 'spool-full')
    const sleepers = [0, 1, 2].map(() =>
      spawn('unshare', ['-m', '--propagation', 'private', BUSYBOX, 'sleep', '30'], {stdio: 'ignore'}),
    )
    try {
      await sleep(300)
      const state = (i: number) =>
        JSON.stringify({
          ociVersion: '1.0.2',
          id: `full-${i}`,
          status: 'created',
          pid: sleepers[i]!.pid,
          bundle: work,
          annotations: {'seccomp-recorder.io/record': 'auto'},
        })
      const prestart = (i: number, onError: string) =>
        spawnSync(helper, ['hook-prestart', '--spool', spool, '--on-error', onError], {
          env,
          input: state(i),
          encoding: 'utf8',
        })
      const first = prestart(0, 'fail')
      assert.equal(first.status, 0, first.stderr)
      assert.ok(existsSync(join(spool, 'full-0.json')))

      const refused = prestart(1, 'fail')
      assert.equal(refused.status, 5, "the helper's exit code for a full map")
      assert.equal(
        refused.stderr,
        'seccomp-recorder: the recorder is full (1 mount namespaces recorded at once): this one is not recorded; the others are unaffected\n',
      )
      assert.ok(!existsSync(join(spool, 'full-1.json')), 'no spool note for the refused container')

      const warned = prestart(2, 'warn')
      assert.equal(warned.status, 0, 'with --on-error warn the container starts')
      assert.match(warned.stderr, /^seccomp-recorder: warning: the recorder is full/)
      assert.ok(!existsSync(join(spool, 'full-2.json')))

      // The first container's recording is still there and still recording.
      const listing = helperJson<Listing>(env, ['list'])
      assert.equal(listing.targets.length, 1)
      assert.equal(listing.targets[0]!.state, 'armed', 'waiting for its boundary, as registered')
    } finally {
      for (const s of sleepers) s.kill('SIGKILL')
    }
  })

  it("detach-idle counts from the last release: one made during its wait leaves the detach to that release's own detach-idle", async () => {
    const env = own(recorderEnv())
    // Both namespaces first, so that each release is two quick helper calls even on a loaded machine.
    const namespaces = [await inNewMountNamespace(['sleep', '60']), await inNewMountNamespace(['sleep', '60'])]
    const release = ({child, mntns}: {child: {pid?: number}; mntns: number}) => {
      helperJson(env, ['add', '--pid', String(child.pid)])
      helperJson(env, ['remove', '--mntns', String(mntns), '--keep-attached']) // as a poststop releases
    }
    const detachIdle = () =>
      new Promise<string>((resolve) => {
        const run = spawn(helper, ['detach-idle', '--after', '3'], {env, stdio: ['ignore', 'pipe', 'inherit']})
        let out = ''
        run.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
        run.on('close', () => resolve(out.trim()))
      })
    try {
      release(namespaces[0]!)
      const first = detachIdle()
      await sleep(1500)
      release(namespaces[1]!)
      const second = detachIdle()
      assert.equal(await first, '{"detached":false}', 'a release came during its wait: not idle for 3 s')
      assert.equal(await second, '{"detached":true}', '3 s after the last release, with no target left')
      assert.equal(helperJson<Listing>(env, ['list']).attached, false)
    } finally {
      for (const {child} of namespaces) await killAndWait(child)
    }
  })
})
