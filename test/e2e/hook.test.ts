/**
 * The OCI hook end to end: install into temporary locations, record real containers under podman (runc and crun)
 * and under plain `runc run` / `crun run` with config.json hooks, then run each container under its own profile.
 */
import assert from 'node:assert/strict'
import {spawn, spawnSync} from 'node:child_process'
import {existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {before, describe, it} from 'node:test'
import {Ajv} from 'ajv'
import {HOOK_POSTSTOP_OUTPUT, OUTPUT_SCHEMAS} from '../../src/cli/output-schemas/index.js'
import {REPO_ROOT, runCli} from '../helpers/cli.js'
import {EXIT} from '../../src/core/exit-codes.js'
import {acquireLock} from '../../src/fs/lock.js'
import {finaliserLockPath} from '../../src/hook/finaliser.js'
import {
  busyboxRootfs,
  nativeHelper,
  ociBundle,
  podmanRunArgs,
  prepareCgroupsForCrun,
  requireKernelPrerequisites,
  allowedSyscallNamesIn,
  installTempHook,
  tempHook,
} from './harness.js'

const work = mkdtempSync(join(tmpdir(), 'scr-e2e-hook-'))
const hook = tempHook(work)
const {env, hooksDir, out, store} = hook
const rootfs = busyboxRootfs(work)
const WORKLOAD = 'echo hello; uname; ls / > /dev/null'
const RUNTIMES = ['runc', 'crun'] as const

function podman(args: string[]): {status: number | null; stdout: string; stderr: string} {
  return spawnSync('podman', args, {encoding: 'utf8', timeout: 120_000})
}

const ajv = new Ajv({allErrors: true, strict: false})
function assertSchema(command: string, stdout: string): void {
  const validate = ajv.compile(OUTPUT_SCHEMAS[command]!)
  assert.ok(validate(JSON.parse(stdout)), `${command}: ${ajv.errorsText(validate.errors)}`)
}

/** The runtime returns before the finaliser writes the outputs: what a script does before it reads them. */
function waitWritten(...args: string[]): void {
  const run = runCli(['wait', '--timeout', '60', ...args], {env})
  assert.equal(run.status, 0, `wait ${args.join(' ')}: ${run.stderr}`)
}

const profileNames = allowedSyscallNamesIn
/** A bundle running WORKLOAD that asks for an `of:` profile, with the hook installed into its config.json. */
function hookedBundle(profile: string): string {
  const bundle = ociBundle({
    args: ['/bin/sh', '-c', WORKLOAD],
    annotations: {'io.containers.trace-syscall': `of:${profile}`},
  })
  assert.equal(
    runCli(['install', '--oci-config', join(bundle, 'config.json'), '--hooks-dir', hooksDir], {env}).status,
    0,
  )
  return bundle
}

describe('OCI hook (real kernel, podman, runc, crun)', {timeout: 600_000}, () => {
  before(async () => {
    requireKernelPrerequisites()
    prepareCgroupsForCrun()
    await nativeHelper()
    assertSchema('install', installTempHook(hook).stdout)
    assertSchema('status', runCli(['status', '--json'], {env}).stdout)
  })

  for (const runtime of RUNTIMES) {
    it(`podman --runtime ${runtime}: records, runs under its own profile with identical output, and denies one more syscall`, () => {
      const profile = join(out, `podman-${runtime}.json`)
      const recorded = podman(
        podmanRunArgs({
          runtime,
          rootfs,
          hooksDir,
          annotations: {'io.containers.trace-syscall': `of:${profile}`},
          args: ['/bin/sh', '-c', WORKLOAD],
        }),
      )
      assert.equal(recorded.status, 0, recorded.stderr)
      waitWritten('--output', profile)
      assert.ok(existsSync(profile), `no profile written: ${recorded.stderr}`)
      for (const enforcing of RUNTIMES) {
        const rerun = podman(
          podmanRunArgs({runtime: enforcing, rootfs, seccomp: profile, args: ['/bin/sh', '-c', WORKLOAD]}),
        )
        assert.equal(rerun.status, 0, `${enforcing} under the ${runtime}-recorded profile: ${rerun.stderr}`)
        assert.equal(rerun.stdout, recorded.stdout)
      }
      const more = podman(
        podmanRunArgs({runtime, rootfs, seccomp: profile, args: ['/bin/sh', '-c', `${WORKLOAD}; mkdir /tmp/denied`]}),
      )
      assert.notEqual(more.status, 0)
      assert.match(more.stderr, /mkdir: can't create directory '\/tmp\/denied': Operation not permitted/)
    })

    it(`${runtime} run with config.json hooks: records, and the profile runs the container under linux.seccomp`, () => {
      const profile = join(out, `${runtime}-run.json`)
      const bundle = hookedBundle(profile)
      const recorded = spawnSync(runtime, ['run', `scr-hook-${process.pid}-${runtime}`], {
        cwd: bundle,
        encoding: 'utf8',
      })
      assert.equal(recorded.status, 0, recorded.stderr)
      waitWritten('--output', profile)
      assert.ok(existsSync(profile), 'no profile written')
      const seccomp = JSON.parse(readFileSync(profile, 'utf8')) as object
      const enforced = ociBundle({args: ['/bin/sh', '-c', WORKLOAD], seccomp})
      const rerun = spawnSync(runtime, ['run', `scr-hook-${process.pid}-${runtime}-2`], {
        cwd: enforced,
        encoding: 'utf8',
      })
      assert.equal(rerun.status, 0, rerun.stderr)
      assert.equal(rerun.stdout, recorded.stdout)
      const denied = ociBundle({args: ['/bin/sh', '-c', `${WORKLOAD}; mkdir /tmp/denied`], seccomp})
      const more = spawnSync(runtime, ['run', `scr-hook-${process.pid}-${runtime}-3`], {cwd: denied, encoding: 'utf8'})
      assert.notEqual(more.status, 0)
      assert.match(more.stderr, /Operation not permitted/)
    })
  }

  it('a container that exits at once (/bin/true) is recorded completely: ≤ 45 syscalls, runs under both runtimes', () => {
    const profile = join(out, 'true.json')
    const recorded = podman(
      podmanRunArgs({
        runtime: 'runc',
        rootfs,
        hooksDir,
        annotations: {'io.containers.trace-syscall': `of:${profile}`},
        args: ['/bin/true'],
      }),
    )
    assert.equal(recorded.status, 0, recorded.stderr)
    waitWritten('--output', profile)
    const names = profileNames(profile)
    assert.ok(names.length <= 45, `${names.length} syscalls: ${names.join(' ')}`)
    for (const runtime of RUNTIMES) {
      const rerun = podman(podmanRunArgs({runtime, rootfs, seccomp: profile, args: ['/bin/true']}))
      assert.equal(rerun.status, 0, `${runtime}: ${rerun.stderr}`)
    }
  })

  it('seccomp-recorder.io/runtime-threads: "true" adds what a runc thread started after the filter does; the profile still runs', () => {
    const plain = join(out, 'threads-off.json')
    const threads = join(out, 'threads-on.json')
    for (const [path, extra] of [
      [plain, {}],
      [threads, {'seccomp-recorder.io/runtime-threads': 'true'}],
    ] as const) {
      const recorded = podman(
        podmanRunArgs({
          runtime: 'crun',
          rootfs,
          hooksDir,
          annotations: {'io.containers.trace-syscall': `of:${path}`, ...extra},
          args: ['/bin/true'],
        }),
      )
      assert.equal(recorded.status, 0, recorded.stderr)
    }
    waitWritten('--output', plain, '--output', threads)
    const added = profileNames(threads).filter((n) => !profileNames(plain).includes(n))
    assert.ok(added.includes('clone3') && added.includes('sigaltstack'), `added: ${added.join(' ')}`)
    assert.deepEqual(
      profileNames(plain).filter((n) => !profileNames(threads).includes(n)),
      [],
    )
    const rerun = podman(podmanRunArgs({runtime: 'runc', rootfs, seccomp: threads, args: ['/bin/true']}))
    assert.equal(rerun.status, 0, rerun.stderr)
  })

  it('two containers with the same annotation at the same time never mix their syscalls', async () => {
    const a = join(out, 'same-a.json')
    const b = join(out, 'same-b.json')
    // A sleeps and writes files; B asks for the uptime and the disk usage — syscalls the other never makes.
    const runs = [
      {profile: a, script: 'sleep 0.3; echo a > /tmp/a; cat /tmp/a', own: 'unlink', foreign: ['sysinfo', 'statfs']},
      {profile: b, script: 'sleep 0.3; uptime; df /', own: 'sysinfo', foreign: ['sendfile']},
    ]
    await Promise.all(
      runs.map(
        (r) =>
          new Promise<void>((resolve, reject) => {
            const child = spawn(
              'podman',
              podmanRunArgs({
                runtime: 'crun',
                rootfs,
                hooksDir,
                annotations: {'io.containers.trace-syscall': `of:${r.profile}`},
                args: ['/bin/sh', '-c', r.script],
              }),
              {stdio: 'ignore'},
            )
            child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`podman exited ${code}`))))
          }),
      ),
    )
    waitWritten('--output', a, '--output', b)
    const names = {a: profileNames(a), b: profileNames(b)}
    assert.ok(names.b.includes('sysinfo') && names.b.includes('statfs'), 'B recorded its own')
    for (const foreign of runs[0]!.foreign) assert.ok(!names.a.includes(foreign), `A has B's ${foreign}`)
    assert.ok(!names.b.includes('sendfile'), "B has A's sendfile")
  })

  it('seccomp-recorder.io/record=auto stores a recording under the podman container name', () => {
    const name = `scr-auto-${process.pid}`
    const recorded = podman(
      podmanRunArgs({
        runtime: 'runc',
        rootfs,
        hooksDir,
        name,
        annotations: {'seccomp-recorder.io/record': 'auto'},
        args: ['/bin/true'],
      }),
    )
    assert.equal(recorded.status, 0, recorded.stderr)
    waitWritten('--all')
    const dir = join(store, 'recordings', name)
    assert.ok(existsSync(dir), `no recordings under ${dir}`)
    const [file] = readdirSync(dir)
    const recording = JSON.parse(readFileSync(join(dir, file!), 'utf8')) as {
      source: string
      runtime: string
      syscalls: {x86_64: string[]}
    }
    assert.equal(recording.source, 'hook')
    assert.equal(recording.runtime, 'runc')
    assert.ok(recording.syscalls.x86_64.includes('execve'))
  })

  it('runc run returns before the outputs are written; the finaliser writes them and wait sees them', async () => {
    const spool = join(work, 'spool')
    const profile = join(out, 'off-path.json')
    const bundle = hookedBundle(profile)
    // This test holds the finaliser's lock, as a running finaliser would: the poststop starts none, the journal waits.
    const held = await acquireLock(finaliserLockPath(spool))
    const id = `scr-offpath-${process.pid}`
    const started = Date.now()
    const run = spawnSync('runc', ['run', id], {cwd: bundle, encoding: 'utf8'})
    const runMs = Date.now() - started
    assert.equal(run.status, 0, run.stderr)
    assert.equal(existsSync(profile), false, 'the runtime returned before the profile was written')
    assert.ok(existsSync(join(spool, `${id}.taken`)), 'the journal holds the syscalls already')
    const early = runCli(['wait', '--container', id, '--timeout', '0', '--json'], {env})
    assert.equal(early.status, EXIT.CONFLICT, 'wait times out while the outputs are owed')
    assertSchema('wait', early.stdout)
    const waiting = new Promise<number | null>((resolve) =>
      spawn(process.execPath, [join(REPO_ROOT, 'bin', 'run.js'), 'wait', '--output', profile, '--timeout', '60'], {
        env: {...process.env, ...env},
        stdio: 'ignore',
      }).on('close', resolve),
    )
    await held.release()
    const finaliser = spawnSync(join(env.SECCOMP_RECORDER_LIBEXEC, 'finaliser'), ['--idle-ms', '0'], {encoding: 'utf8'})
    assert.equal(finaliser.status, 0, finaliser.stderr)
    assert.equal(await waiting, 0)
    assert.ok(profileNames(profile).includes('uname'), 'the finaliser wrote the profile')
    assert.equal(existsSync(join(spool, `${id}.taken`)), false)
    process.stderr.write(`# runc run with the native poststop: ${runMs} ms\n`)
  })

  it('the finaliser log is never a hard link to a file elsewhere: the native poststop does not append to it', async () => {
    const spool = join(work, 'spool')
    mkdirSync(spool, {recursive: true, mode: 0o700})
    // No finaliser may be running (it would keep writing to its own log): the poststop must start one with this log.
    await (await acquireLock(finaliserLockPath(spool))).release()
    const outside = join(work, 'not-a-log.txt')
    writeFileSync(outside, 'not the finaliser log\n')
    rmSync(join(spool, 'finaliser.log'), {force: true})
    linkSync(outside, join(spool, 'finaliser.log'))
    const profile = join(out, 'hard-link.json')
    const bundle = hookedBundle(profile)
    const run = spawnSync('runc', ['run', `scr-hardlink-${process.pid}`], {cwd: bundle, encoding: 'utf8'})
    assert.equal(run.status, 0, run.stderr)
    assert.equal(runCli(['wait', '--output', profile, '--timeout', '60'], {env}).status, 0)
    assert.equal(readFileSync(outside, 'utf8'), 'not the finaliser log\n')
    rmSync(join(spool, 'finaliser.log'))
  })

  it('the native poststop for a container that was never registered (or asks for nothing) returns at once', async () => {
    const helper = await nativeHelper()
    for (const annotations of [{}, {'seccomp-recorder.io/record': 'x/y'}, {'other.io/key': 'v'}]) {
      const state = JSON.stringify({
        ociVersion: '1.0.2',
        id: 'never-registered',
        status: 'stopped',
        pid: 0,
        bundle: work,
        annotations,
      })
      const run = spawnSync(helper, ['hook-poststop', '--spool', join(work, 'spool')], {input: state, encoding: 'utf8'})
      assert.equal(run.status, 0, run.stderr)
      assert.equal(existsSync(join(work, 'spool', 'c.never-registered.lock')), false, 'no lock file made for it')
    }
  })

  it('the poststop entry for a container that was never registered does nothing, and says so as JSON', () => {
    const state = JSON.stringify({ociVersion: '1.0.2', id: 'never-registered', status: 'stopped', pid: 0, bundle: work})
    const run = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'hook-poststop.js')], {
      env: {...process.env, ...env},
      input: state,
      encoding: 'utf8',
    })
    assert.equal(run.status, 0, run.stderr)
    const validate = ajv.compile(HOOK_POSTSTOP_OUTPUT)
    assert.ok(validate(JSON.parse(run.stdout)), ajv.errorsText(validate.errors))
    assert.equal((JSON.parse(run.stdout) as {recorded: boolean}).recorded, false)
  })

  it('refuses an output path outside the configured roots and writes nothing there', () => {
    const outside = join(work, 'outside', 'x.json')
    podman(
      podmanRunArgs({
        runtime: 'runc',
        rootfs,
        hooksDir,
        annotations: {'io.containers.trace-syscall': `of:${outside}`},
        args: ['/bin/true'],
      }),
    )
    waitWritten('--all')
    assert.equal(existsSync(outside), false)
  })

  it('install, uninstall, install again leaves exactly one hook config; uninstall --all leaves nothing', async () => {
    const dir = join(work, 'hooks-cycle.d')
    for (const step of ['install', 'uninstall', 'install'] as const) {
      const run = runCli([step, '--hooks-dir', dir], {env})
      assert.equal(run.status, 0, run.stderr)
    }
    assert.deepEqual(readdirSync(dir).sort(), ['seccomp-recorder-poststop.json', 'seccomp-recorder-prestart.json'])
    const uninstalled = runCli(['uninstall', '--all', '--json'], {env})
    assert.equal(uninstalled.status, 0)
    assertSchema('uninstall', uninstalled.stdout)
    assert.deepEqual(readdirSync(dir), [])
    assert.equal(existsSync(env.SECCOMP_RECORDER_LIBEXEC), false)
    assert.equal(existsSync(env.SECCOMP_RECORDER_INSTALL_MANIFEST), false)
    const helper = await nativeHelper()
    const list = JSON.parse(spawnSync(helper, ['list'], {encoding: 'utf8'}).stdout) as {attached: boolean}
    assert.equal(list.attached, false)
  })
})
