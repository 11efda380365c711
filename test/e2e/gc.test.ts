/**
 * `gc` end to end on the real kernel, podman and runc: the hook installed into temporary directories, with its
 * poststop stage removed (as if the runtime had been killed before running it), and a recorder of its own
 * (SECCOMP_RECORDER_BPFFS, also given to the prestart hook) so no other test's recordings are at stake.
 */
import assert from 'node:assert/strict'
import {spawn, spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {after, before, describe, it} from 'node:test'
import {Ajv} from 'ajv'
import {OUTPUT_SCHEMAS} from '../../src/cli/output-schemas/index.js'
import {currentBootId} from '../../src/gc/gc.js'
import type {GcResult} from '../../src/gc/report.js'
import {salvageName} from '../../src/gc/salvage.js'
import {ProcNamespaceProbe} from '../../src/gc/liveness.js'
import {readSpoolNote} from '../../src/spool/notes.js'
import type {KernelTarget} from '../../src/kernel/native-helper.js'
import {validateRecording, type Recording} from '../../src/store/model.js'
import {nameKernelSyscalls} from '../../src/syscalls/syscall-set.js'
import {runtimeTail, withRuntimeTail} from '../../src/runtime-tail/tails.js'
import {runCli} from '../helpers/cli.js'
import {
  BUSYBOX,
  busyboxRootfs,
  CLI,
  installTempHook,
  nativeHelper,
  podmanRunArgs,
  requireKernelPrerequisites,
  tempHook,
} from './harness.js'

const work = mkdtempSync(join(tmpdir(), 'scr-e2e-gc-'))
const hook = tempHook(work)
const {spool, store, hooksDir} = hook
const env: NodeJS.ProcessEnv = {
  ...hook.env,
  SECCOMP_RECORDER_BPFFS: `/sys/fs/bpf/scr-test-gc-${process.pid}`,
  SECCOMP_RECORDER_STORE: store,
}
const rootfs = busyboxRootfs(work)
/** Syscalls only this workload makes among the tests: uname, sync, mkdir. */
const WORKLOAD = 'uname > /dev/null; sync; mkdir -p /tmp/d'
let helper = ''

const ajv = new Ajv({allErrors: true, strict: false})
function assertSchema(command: string, stdout: string): void {
  const validate = ajv.compile(OUTPUT_SCHEMAS[command]!)
  assert.ok(validate(JSON.parse(stdout)), `${command}: ${ajv.errorsText(validate.errors)}`)
}

function helperJson<T>(args: string[]): T {
  const run = spawnSync(helper, args, {encoding: 'utf8', env: {...process.env, ...env}})
  assert.equal(run.status, 0, `helper ${args.join(' ')}: ${run.stderr}`)
  return JSON.parse(run.stdout) as T
}
const targets = () =>
  helperJson<{targets: Array<{mntns: number; ns_id: number; owner: number}>}>(['list']).targets.filter(
    (t) => t.owner === t.mntns,
  )

function gc(args: string[] = []): GcResult {
  const run = runCli(['gc', '--json', ...args], {env})
  assert.equal(run.status, 0, `gc ${args.join(' ')}: ${run.stdout}${run.stderr}`)
  assertSchema('gc', run.stdout)
  return JSON.parse(run.stdout) as GcResult
}

function podman(args: string[]) {
  return spawnSync('podman', args, {encoding: 'utf8', timeout: 120_000})
}

function storedRecordings(): Recording[] {
  const dir = join(store, 'recordings')
  if (!existsSync(dir)) return []
  return readdirSync(dir).flatMap((name) =>
    readdirSync(join(dir, name))
      .filter((f) => f.endsWith('.json'))
      .map((f) => {
        const check = validateRecording(JSON.parse(readFileSync(join(dir, name, f), 'utf8')))
        assert.ok(check.valid, check.errors.join('; '))
        return check.recording
      }),
  )
}

const notes = () =>
  (existsSync(spool) ? readdirSync(spool) : []).filter((f) => f.endsWith('.json') && !f.startsWith('orphan-'))

async function waitFor<T>(what: string, probe: () => T | undefined, ms = 10_000): Promise<T> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await sleep(25)) {
    const value = probe()
    if (value !== undefined) return value
  }
  assert.fail(`timed out waiting for ${what}`)
}

describe('gc (real kernel, podman)', {timeout: 300_000}, () => {
  before(async () => {
    requireKernelPrerequisites()
    helper = await nativeHelper()
    installTempHook(hook, {env})
    // No poststop stage: every container's recording stays behind, as when the runtime is killed before running it.
    unlinkSync(join(hooksDir, 'seccomp-recorder-poststop.json'))
    // The prestart registers into this test's own recorder.
    const prestart = join(hooksDir, 'seccomp-recorder-prestart.json')
    const config = JSON.parse(readFileSync(prestart, 'utf8')) as {hook: {env?: string[]}}
    config.hook.env = [`SECCOMP_RECORDER_BPFFS=${env.SECCOMP_RECORDER_BPFFS}`]
    writeFileSync(prestart, JSON.stringify(config))
  })

  after(() => {
    spawnSync(helper, ['detach'], {env: {...process.env, ...env}})
    runCli(['uninstall', '--all'], {env})
    rmSync(work, {recursive: true, force: true})
  })

  it("finalises a container whose poststop never ran, with exactly the kernel's syscalls; leaves a running one alone", async () => {
    const name = `scr-gc-${process.pid}`
    // A long-running container, recorded too: gc must not touch it while it runs.
    const running = spawn(
      'podman',
      podmanRunArgs({
        runtime: 'runc',
        rootfs,
        hooksDir,
        name: `${name}-live`,
        annotations: {'seccomp-recorder.io/record': 'gc-e2e/live'},
        args: ['/bin/sh', '-c', `sleep 4; ${WORKLOAD}`],
      }),
      {stdio: 'ignore'},
    )
    const done = new Promise<number | null>((resolve) => running.on('close', resolve))
    const liveNote = await waitFor('the running container to be registered', () => notes()[0])

    const finished = podman(
      podmanRunArgs({
        runtime: 'runc',
        rootfs,
        hooksDir,
        name,
        annotations: {'seccomp-recorder.io/record': 'gc-e2e/app'},
        args: ['/bin/sh', '-c', WORKLOAD],
      }),
    )
    assert.equal(finished.status, 0, finished.stderr)
    const [finishedNote] = notes().filter((n) => n !== liveNote)
    assert.ok(finishedNote, 'the finished container left its note (no poststop)')
    const note = (await readSpoolNote(spool, finishedNote.slice(0, -'.json'.length)))!
    const kernel = helperJson<KernelTarget>(['read', '--mntns', String(note.mntns)])
    const expected = withRuntimeTail(nameKernelSyscalls(kernel), runtimeTail('both', note.runtime)).names
    assert.ok(expected.x86_64?.includes('mkdir') && expected.x86_64.includes('sync'), 'the workload was recorded')

    const dry = gc(['--dry-run'])
    assert.deepEqual(
      dry.actions.map((a) => [a.action, a.done]),
      [['finalise', false]],
    )
    assert.equal(notes().length, 2, 'a dry run changes nothing')

    const result = gc()
    assert.deepEqual(
      result.actions.map((a) => [a.action, a.subject]),
      [['finalise', `container ${finishedNote.slice(0, -'.json'.length)}`]],
    )
    assert.deepEqual(
      result.kept.map((k) => k.subject),
      [`container ${liveNote.slice(0, -'.json'.length)}`],
    )
    const [recording, ...others] = storedRecordings()
    assert.equal(others.length, 0)
    assert.equal(recording!.name, 'gc-e2e/app')
    assert.equal(recording!.source, 'hook')
    assert.deepEqual(recording!.syscalls, expected)
    assert.deepEqual(notes(), [liveNote], "the running container's note is untouched")
    assert.deepEqual(
      targets()
        .map((t) => t.mntns)
        .includes(note.mntns),
      false,
      "the finished container's target is gone",
    )
    assert.equal(targets().length, 1, "the running container's target stays")

    // Once it has finished too, gc finalises it; then nothing is left and the recorder is detached.
    assert.equal(await done, 0)
    const last = gc()
    assert.deepEqual(
      last.actions.map((a) => a.action),
      ['finalise'],
    )
    assert.ok(storedRecordings().some((r) => r.name === 'gc-e2e/live' && r.syscalls.x86_64?.includes('mkdir')))
    assert.deepEqual(readdirSync(spool), [])
    assert.equal(last.detached, true)
    assert.equal(helperJson<{attached: boolean}>(['list']).attached, false)
  })

  it('salvages the recording of a `record` killed with SIGKILL, exactly, as orphan/<boot>-<ns_id>', async () => {
    const child = spawn(
      process.execPath,
      [
        CLI,
        'record',
        '--name',
        'gc-e2e/killed',
        '--output',
        join(work, 'killed.json'),
        '--',
        BUSYBOX,
        'sh',
        '-c',
        `sleep 1; ${BUSYBOX} sync; ${BUSYBOX} uname`,
      ],
      {env: {...process.env, ...env}, stdio: 'ignore'},
    )
    const target = await waitFor('the record target', () => targets()[0])
    await waitFor('record to take its namespace lock', () =>
      existsSync(join(spool, `ns.${target.ns_id}.lock`)) ? true : undefined,
    )
    // While `record` lives, gc leaves its target alone.
    assert.deepEqual(
      gc().kept.map((k) => k.subject),
      [`mount namespace ${target.mntns} (ns_id ${target.ns_id})`],
    )
    child.kill('SIGKILL')
    await new Promise((resolve) => child.on('close', resolve))
    // The command goes on without it; once it has ended (no process left in its namespace), the kernel holds its
    // whole recording: what gc must keep, exactly.
    for (const deadline = Date.now() + 15_000; (await new ProcNamespaceProbe().check(target)).alive; await sleep(50)) {
      assert.ok(Date.now() < deadline, 'the recorded command did not end')
    }
    const kernel = helperJson<KernelTarget>(['read', '--mntns', String(target.mntns)])
    assert.ok(
      kernel.syscalls.x86_64?.includes(63) && kernel.syscalls.x86_64.includes(162),
      'uname and sync were recorded',
    )
    const result = gc()
    const salvaged = result.actions.find((a) => a.action === 'salvage')
    assert.ok(salvaged, JSON.stringify(result))
    const {name} = salvageName({mntns: target.mntns, ns_id: target.ns_id}, currentBootId(), new Date())
    assert.equal(salvaged.outputs[0]!.name, name)
    const recording = storedRecordings().find((r) => r.name === name)!
    assert.equal(recording.source, 'gc')
    assert.deepEqual(recording.syscalls, nameKernelSyscalls(kernel).names)
    assert.deepEqual(targets(), [])
    assert.ok(!readdirSync(spool).some((f) => f.startsWith(`ns.${target.ns_id}.`)), 'the stale lock is gone')
    assert.ok(!storedRecordings().some((r) => r.name === 'gc-e2e/killed'), 'the killed record never saved it')
  })

  it('status --repair runs the same repair and shows it', () => {
    const run = runCli(['status', '--json', '--repair'], {env})
    assertSchema('status', run.stdout)
    const status = JSON.parse(run.stdout) as {repair: GcResult}
    assert.equal(status.repair.dryRun, false)
    assert.equal(status.repair.failed, 0)
  })
})
