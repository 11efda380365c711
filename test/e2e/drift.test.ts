/**
 * Complain mode and drift end to end (issue 17): a workload with two paths is recorded on path A only; its profile
 * is built and published in complain mode; under it (podman, crun) the workload takes path B without failing and
 * is recorded as a check run; `drift` names the syscalls of path B the enforcing profile lacks, with the run; after
 * `drift --accept` the enforced workload (podman, runc) runs path B.
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {Ajv} from 'ajv'
import {OUTPUT_SCHEMAS} from '../../src/cli/output-schemas/index.js'
import {EXIT} from '../../src/core/exit-codes.js'
import {runCli} from '../helpers/cli.js'
import {
  busyboxRootfs,
  installTempHook,
  nativeHelper,
  podmanRunArgs,
  prepareCgroupsForCrun,
  requireKernelPrerequisites,
  tempHook,
} from './harness.js'

const work = mkdtempSync(join(tmpdir(), 'scr-e2e-drift-'))
const hook = tempHook(work)
const {env, hooksDir, store} = hook
const kubelet = join(work, 'kubelet')
const rootfs = busyboxRootfs(work)
const NAME = `drift-e2e-${process.pid}`
/** Path A lists and prints; path B (argument "B") also makes and removes a directory and a symlink. */
const SCRIPT =
  'echo a; ls / > /dev/null; if [ "$1" = B ]; then mkdir /tmp/d && rmdir /tmp/d && ln -s x /tmp/l && readlink /tmp/l && rm /tmp/l; fi'
const PATH_A = ['/bin/sh', '-c', SCRIPT, 'sh', 'A']
const PATH_B = ['/bin/sh', '-c', SCRIPT, 'sh', 'B']

function podman(args: string[]): {status: number | null; stdout: string; stderr: string} {
  return spawnSync('podman', args, {encoding: 'utf8', timeout: 120_000})
}
const ajv = new Ajv({allErrors: true, strict: false})
function json<T>(command: string, stdout: string): T {
  const output = JSON.parse(stdout) as T
  const validate = ajv.compile(OUTPUT_SCHEMAS[command]!)
  assert.ok(validate(output), `${command}: ${ajv.errorsText(validate.errors)}`)
  return output
}
function allowed(path: string): string[] {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as {syscalls: Array<{names: string[]; action: string}>}
  return profile.syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW').flatMap((r) => r.names)
}

interface DriftOut {
  findings: number
  names: Array<{
    name: string
    checkRuns: number
    findings: Array<{syscall: string; runs: Array<{id: string; runtime: string}>}>
  }>
}

describe('complain mode and drift (real kernel, podman, runc, crun)', {timeout: 300_000}, () => {
  before(async () => {
    requireKernelPrerequisites()
    prepareCgroupsForCrun()
    await nativeHelper()
    installTempHook(hook)
  })
  after(() => {
    runCli(['uninstall', '--hooks-dir', hooksDir], {env})
    rmSync(work, {recursive: true, force: true})
  })

  /** The runtime returns once the poststop has journaled the syscalls; the finaliser stores the recording after. */
  function waitWritten(): void {
    const waited = runCli(['wait', '--all', '--timeout', '60'], {env})
    assert.equal(waited.status, 0, waited.stderr)
  }

  it('path B under the complain profile is reported by drift and, once accepted, runs enforced', () => {
    const recorded = podman(
      podmanRunArgs({
        runtime: 'runc',
        rootfs,
        hooksDir,
        annotations: {'seccomp-recorder.io/record': NAME},
        args: PATH_A,
      }),
    )
    assert.equal(recorded.status, 0, recorded.stderr)
    waitWritten()

    const built = runCli(['profiles', 'build', NAME, '--mode', 'complain', '--store', store, '--json'])
    assert.equal(built.status, EXIT.OK, built.stderr)
    const written = json<{profiles: Array<{written: {profile: string; complain: string}}>}>(
      'profiles build',
      built.stdout,
    ).profiles[0]!.written
    assert.ok(written.complain.endsWith('.complain.json'))
    const enforcing = written.profile
    const published = runCli(['publish', '--json', '--kubelet-root-dir', kubelet, '--prefix', 'e2e', written.complain])
    assert.equal(published.status, EXIT.OK, published.stderr)
    const complainPath = json<{profiles: Array<{path: string; localhostProfile: string}>}>('publish', published.stdout)
      .profiles[0]!
    assert.equal(complainPath.localhostProfile, `e2e/${NAME}.complain.json`)

    // Enforced, path B fails (the profile lacks its syscalls) …
    const denied = podman(podmanRunArgs({runtime: 'runc', rootfs, seccomp: enforcing, args: PATH_B}))
    assert.notEqual(denied.status, 0, 'path B ran under the profile of path A')
    // … under the complain profile it runs (crun), recorded as a check run.
    const check = podman(
      podmanRunArgs({
        runtime: 'crun',
        rootfs,
        hooksDir,
        seccomp: complainPath.path,
        annotations: {'seccomp-recorder.io/check': NAME},
        args: PATH_B,
      }),
    )
    assert.equal(check.status, 0, check.stderr)
    waitWritten()

    // A normal build leaves the check run out: the enforcing profile is not widened.
    const rebuilt = runCli(['profiles', 'build', NAME, '--store', store, '--json'])
    assert.equal(rebuilt.status, EXIT.OK, rebuilt.stderr)
    assert.equal(
      json<{profiles: Array<{checkRuns: number}>}>('profiles build', rebuilt.stdout).profiles[0]!.checkRuns,
      1,
    )

    const drift = runCli(['drift', NAME, '--store', store, '--json'])
    assert.equal(drift.status, EXIT.CHECK_FAILED, drift.stderr)
    const report = json<DriftOut>('drift', drift.stdout)
    const found = report.names[0]!.findings.map((f) => f.syscall)
    const profileA = new Set(allowed(enforcing))
    assert.ok(
      found.some((s) => s === 'mkdir' || s === 'mkdirat'),
      `no mkdir in ${found.join(', ')}`,
    )
    assert.ok(
      found.some((s) => s === 'symlink' || s === 'symlinkat'),
      `no symlink in ${found.join(', ')}`,
    )
    for (const s of found) assert.ok(!profileA.has(s), `${s} is in the profile`)
    // Exactly the syscalls of path B the profile lacks: the check run's syscalls minus the profile's.
    const run = report.names[0]!.findings[0]!.runs[0]!
    assert.equal(run.runtime, 'crun')
    const recording = JSON.parse(readFileSync(join(store, 'recordings', NAME, `${run.id}.json`), 'utf8')) as {
      syscalls: {x86_64: string[]}
      check: unknown
    }
    assert.deepEqual(recording.check, {acceptedAt: null})
    assert.deepEqual(found, recording.syscalls.x86_64.filter((s) => !profileA.has(s)).sort())
    const markdown = runCli(['drift', NAME, '--store', store, '--format', 'markdown'])
    assert.equal(markdown.status, EXIT.CHECK_FAILED)
    assert.match(markdown.stdout, new RegExp(`\\| \`${found[0]}\` \\| \`${run.id}\``))

    const accepted = runCli(['drift', NAME, '--accept', '--store', store, '--json'])
    assert.equal(accepted.status, EXIT.OK, accepted.stdout + accepted.stderr)
    assert.equal(json<DriftOut>('drift', accepted.stdout).findings, 0)
    assert.equal(runCli(['drift', NAME, '--store', store]).status, EXIT.OK)
    assert.ok(existsSync(enforcing))
    for (const runtime of ['runc', 'crun'] as const) {
      const enforced = podman(podmanRunArgs({runtime, rootfs, seccomp: enforcing, args: PATH_B}))
      assert.equal(enforced.status, 0, `${runtime}: ${enforced.stderr}`)
    }
  })
})
