/**
 * End to end on the real kernel, podman, runc and crun: `record --podman` records one container run through a
 * one-time hook (nothing installed), under crun and then runc with two labels, into one name; the profile of both
 * runs then runs the workload under both runtimes with the profile enforced; `profiles why` names the run and
 * label of a syscall only the second run made; nothing of the temporary hooks remains (no private directory, no
 * spool note, no kernel target). `record --bundle` records a plain bundle without editing its config.json.
 * The hooks run with the machine's pinned recorder (runtimes give hooks an empty environment).
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {EXIT} from '../../src/core/exit-codes.js'
import {ONE_TIME_HOOK_PARENT} from '../../src/container-record/one-time-hook.js'
import {runCli} from '../helpers/cli.js'
import {
  busyboxRootfs,
  nativeHelper,
  ociBundle,
  podmanRunArgs,
  prepareCgroupsForCrun,
  requireKernelPrerequisites,
} from './harness.js'

const work = mkdtempSync(join(tmpdir(), 'scr-e2e-record-container-'))
const env: NodeJS.ProcessEnv = {SECCOMP_RECORDER_STORE: join(work, 'store')}
const NAME = `ci/record-container-${process.pid}`
/** Both paths of the workload: the second run also takes `uname`, which the first never makes. */
const BASE = 'ls / >/dev/null; exit 3'
const WITH_UNAME = 'ls / >/dev/null; uname >/dev/null; exit 3'

/** What the machine needs from podman (docs/TESTING.md): the flags after `run`, as a user passes them. */
function podmanArgs(rootfs: string, script: string, seccomp?: string): string[] {
  const args = podmanRunArgs({runtime: 'runc', rootfs, args: ['/bin/sh', '-c', script], seccomp})
  // podmanRunArgs puts the global flags before `run`; podman also reads them after it, which is what we pass.
  return [...args.slice(2, args.indexOf('run')), ...args.slice(args.indexOf('run') + 1)]
}

function oneTimeDirs(): string[] {
  return existsSync(ONE_TIME_HOOK_PARENT) ? readdirSync(ONE_TIME_HOOK_PARENT).filter((f) => f.startsWith('run-')) : []
}

async function kernelTargets(): Promise<unknown[]> {
  const list = spawnSync(await nativeHelper(), ['list'], {encoding: 'utf8'})
  return (JSON.parse(list.stdout) as {targets?: unknown[]}).targets ?? []
}

describe('record --podman and --bundle: one container run, a hook only for it (real runtimes)', () => {
  let rootfs: string
  const profile = join(work, 'profile.json')
  before(() => {
    requireKernelPrerequisites()
    prepareCgroupsForCrun()
    rootfs = busyboxRootfs()
  })
  after(() => {
    rmSync(work, {recursive: true, force: true})
    rmSync(rootfs, {recursive: true, force: true})
  })

  it('records under crun, then runc (another label, one more syscall), into one profile; nothing of the hooks remains', async () => {
    const targetsBefore = (await kernelTargets()).length
    for (const [runtime, label, script] of [
      ['crun', 'e2e/first', BASE],
      ['runc', 'e2e/second', WITH_UNAME],
    ] as const) {
      const run = runCli(
        [
          'record',
          '--podman',
          '--runtime',
          runtime,
          '--name',
          NAME,
          '--label',
          label,
          '--output',
          profile,
          '--json',
          '--',
          ...podmanArgs(rootfs, script),
        ],
        {env},
      )
      assert.equal(run.status, 3, `the container's exit status\n${run.stderr}`)
      const json = JSON.parse(run.stdout) as {
        mode: string
        label: string
        recording: {id: string}
        profile: {recordings: number}
      }
      assert.equal(json.mode, 'podman')
      assert.equal(json.label, label)
      assert.equal(json.profile.recordings, runtime === 'crun' ? 1 : 2, 'runs of one name aggregate')
      assert.deepEqual(oneTimeDirs(), [], 'no private hooks directory, spool or config remains')
    }
    assert.equal((await kernelTargets()).length, targetsBefore, 'no kernel target remains')
    assert.ok(existsSync(profile.replace(/\.json$/, '.coverage.json')), 'the sidecar is beside the profile')
  })

  it('the profile of both runs runs the workload, enforced, under runc and crun', () => {
    for (const runtime of ['runc', 'crun'] as const) {
      const args = podmanRunArgs({runtime, rootfs, args: ['/bin/sh', '-c', WITH_UNAME], seccomp: profile})
      const run = spawnSync('podman', args, {encoding: 'utf8'})
      assert.equal(run.status, 3, `${runtime}: ${run.stderr}`)
    }
  })

  it('profiles why names the run and label of a syscall only one run made', () => {
    const why = runCli(['profiles', 'why', NAME, 'uname', '--json'], {env})
    assert.equal(why.status, EXIT.OK, why.stderr)
    const answer = JSON.parse(why.stdout) as {
      allowed: boolean
      seenBy: number
      recordings: number
      runs: Array<{label: string; runtime: string; recording: string}>
    }
    assert.equal(answer.allowed, true)
    assert.equal(answer.recordings, 2)
    assert.equal(answer.seenBy, 1)
    assert.equal(answer.runs.length, 1)
    assert.equal(answer.runs[0]!.label, 'e2e/second')
    assert.equal(answer.runs[0]!.runtime, 'runc')
    const recordings = readdirSync(join(work, 'store', 'recordings', NAME.replaceAll('/', '_2F')))
    assert.ok(recordings.includes(`${answer.runs[0]!.recording}.json`), 'the named recording is in the store')
    const text = runCli(['profiles', 'why', NAME, 'uname'], {env})
    assert.match(text.stdout, /label e2e\/second/)
  })

  it('record --bundle runs a copy of the bundle under runc: config.json untouched, the status passed on', async () => {
    const bundle = ociBundle({args: ['/bin/sh', '-c', 'ls / >/dev/null; exit 5']})
    try {
      const config = readFileSync(join(bundle, 'config.json'), 'utf8')
      const out = join(work, 'bundle.json')
      const run = runCli(
        ['record', '--bundle', bundle, '--runtime', 'runc', '--output', out, '--label', 'e2e/bundle'],
        {env},
      )
      assert.equal(run.status, 5, run.stderr)
      assert.equal(readFileSync(join(bundle, 'config.json'), 'utf8'), config)
      assert.match(readFileSync(out, 'utf8'), /SCMP_ACT_ALLOW/)
      assert.deepEqual(oneTimeDirs(), [])
      assert.equal((await kernelTargets()).length, 0)
    } finally {
      rmSync(bundle, {recursive: true, force: true})
    }
  })
})
