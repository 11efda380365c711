/**
 * Issue 15 end to end, profile side: a busybox workload is RECORDED for real (the hook installed into temp paths,
 * podman with runc and the record annotation), and the argument-aware profile `profiles build` makes from that
 * recording is enforced by podman under runc and crun. The workload runs as it did, with identical output under
 * the argument-aware and the name-only profile and under both runtimes; one extra call with a forbidden argument but
 * an allowed syscall name gets EPERM: socket(AF_NETLINK) (`busybox ip link`), unshare(CLONE_NEWUSER)
 * (`busybox unshare -U`), personality(PER_LINUX32) (`busybox linux32`); the name-only profile (`--args off`) of the
 * same recording lets them through. argument-workloads.test.ts does the same with real servers (nginx, redis,
 * python's http.server).
 *
 * The recorded workload makes the curated calls by name with harmless arguments: socket(AF_INET) (`nc` to a
 * closed port), unshare(CLONE_NEWNS) (`unshare -m`; refused by the kernel without CAP_SYS_ADMIN, but sys_enter has
 * seen the call and its flags), personality(PER_LINUX) (`linux64`). The fixture recording this test used before
 * the kernel side recorded values is gone.
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {RecordingStore} from '../../src/store/store.js'
import type {ArgumentsBySyscall} from '../../src/syscalls/arguments.js'
import {runCli} from '../helpers/cli.js'
import {
  busyboxRootfs,
  nativeHelper,
  podmanRunArgs,
  prepareCgroupsForCrun,
  requireKernelPrerequisites,
} from './harness.js'

const NAME = 'e2e/args-busybox'
/** The recorded workload; each step prints `<what>:<exit code>:<first line of stderr>`. */
const WORKLOAD = [
  ['files', 'echo ok > /tmp/a && cat /tmp/a >/dev/null && ls / >/dev/null && (true | cat)'],
  ['inet', 'busybox nc -w 1 127.0.0.1 9 </dev/null'],
  ['mntns', 'busybox unshare -m true'],
  ['linux64', 'busybox linux64 true'],
]
/** The extra calls: allowed names, forbidden arguments. */
const PROBES = [
  ['netlink', 'busybox ip link'],
  ['userns', 'busybox unshare -U true'],
  ['linux32', 'busybox linux32 true'],
]
const script = (steps: string[][]) =>
  steps.map(([what, cmd]) => `e=$( { ${cmd}; } 2>&1 >/dev/null); echo "${what}:$?:$(echo "$e" | head -n1)"`).join('; ')

const work = mkdtempSync(join(tmpdir(), 'scr-e2e-argrules-'))
const env = {
  SECCOMP_RECORDER_LIBEXEC: join(work, 'libexec'),
  SECCOMP_RECORDER_INSTALL_MANIFEST: join(work, 'install.json'),
  SECCOMP_RECORDER_CONFIG: join(work, 'config.yaml'),
}
const hooksDir = join(work, 'hooks.d')
const store = join(work, 'store')
const rootfs = busyboxRootfs(work)
const argsProfile = join(work, 'args.json')
const nameOnly = join(work, 'names.json')

type Steps = Record<string, {code: number; err: string}>
function podman(runtime: 'runc' | 'crun', options: {seccomp?: string; record?: boolean}, steps: string[][]): Steps {
  const run = spawnSync(
    'podman',
    podmanRunArgs({
      runtime,
      rootfs,
      ...(options.seccomp ? {seccomp: options.seccomp} : {}),
      ...(options.record ? {hooksDir, annotations: {'seccomp-recorder.io/record': NAME}} : {}),
      args: ['/bin/sh', '-c', script(steps)],
    }),
    {encoding: 'utf8', timeout: 120_000},
  )
  assert.equal(run.status, 0, `podman (${runtime}) failed: ${run.stderr}`)
  return Object.fromEntries(
    run.stdout
      .trim()
      .split('\n')
      .map((line) => {
        const [what, code, ...err] = line.split(':')
        return [what!, {code: Number(code), err: err.join(':')}]
      }),
  )
}

describe(
  'argument-aware profiles from a real recording, enforced by podman (runc and crun)',
  {timeout: 300_000},
  () => {
    let recorded: ArgumentsBySyscall
    before(async () => {
      requireKernelPrerequisites()
      prepareCgroupsForCrun()
      await nativeHelper()
      writeFileSync(
        env.SECCOMP_RECORDER_CONFIG,
        `outputRoots: [${join(work, 'out')}]\nstore: ${store}\nspool: ${join(work, 'spool')}\n`,
      )
      const installed = runCli(['install', '--json', '--hooks-dir', hooksDir], {env})
      assert.equal(installed.status, 0, installed.stderr)
      const ran = podman('runc', {record: true}, WORKLOAD)
      console.log(`recorded (runc, default profile): ${JSON.stringify(ran)}`)
      const waited = runCli(['wait', '--all', '--timeout', '60'], {env})
      assert.equal(waited.status, 0, waited.stderr)
      const dir = new RecordingStore(store).recordingDir(NAME)
      const files = readdirSync(dir)
      assert.equal(files.length, 1, `one recording of ${NAME}: ${files.join(', ')}`)
      recorded = (JSON.parse(readFileSync(join(dir, files[0]!), 'utf8')) as {arguments: ArgumentsBySyscall}).arguments
      for (const [out, mode] of [
        [argsProfile, 'on'],
        [nameOnly, 'off'],
      ] as const) {
        const build = runCli(['profiles', 'build', '--store', store, '--output', out, '--args', mode], {env})
        assert.equal(build.status, 0, build.stderr)
      }
    })
    after(() => {
      runCli(['uninstall', '--hooks-dir', hooksDir], {env})
      rmSync(work, {recursive: true, force: true})
    })

    it('the recording holds the harmless values the workload used (AF_INET, CLONE_NEWNS, PER_LINUX)', () => {
      const has = (syscall: string, tuple: string[]) =>
        assert.ok(
          recorded[syscall]?.values.some((t) => t.join(',') === tuple.join(',')),
          `${syscall} ${tuple.join(',')} missing: ${JSON.stringify(recorded[syscall])}`,
        )
      has('socket', ['2', '1'])
      has('unshare', ['131072'])
      has('personality', ['0'])
      for (const [syscall, forbidden] of [
        ['socket', '16'],
        ['unshare', '268435456'],
        ['personality', '8'],
      ] as const)
        assert.ok(!recorded[syscall]!.values.some((t) => t[0] === forbidden), `${syscall} ${forbidden} recorded`)
    })

    let reference: Steps | undefined
    for (const runtime of ['runc', 'crun'] as const) {
      it(`${runtime}: the workload runs alike under both profiles; the forbidden arguments get EPERM only under the argument-aware one`, () => {
        const strict = podman(runtime, {seccomp: argsProfile}, [...WORKLOAD, ...PROBES])
        const loose = podman(runtime, {seccomp: nameOnly}, [...WORKLOAD, ...PROBES])
        console.log(`${runtime} argument-aware: ${JSON.stringify(strict)}`)
        console.log(`${runtime} name-only:      ${JSON.stringify(loose)}`)
        const workload = (steps: Steps) => WORKLOAD.map(([what]) => [what, steps[what!]])
        assert.equal(strict.files!.code, 0, strict.files!.err)
        assert.equal(strict.linux64!.code, 0, strict.linux64!.err)
        assert.deepEqual(workload(strict), workload(loose))
        reference ??= strict
        assert.deepEqual(workload(strict), workload(reference), 'the same output under runc and crun')
        for (const what of ['netlink', 'userns', 'linux32']) {
          assert.notEqual(strict[what]!.code, 0, `${what} must fail under the argument-aware profile`)
          assert.match(strict[what]!.err, /Operation not permitted/, what)
        }
        assert.match(strict.netlink!.err, /^ip: socket: Operation not permitted/)
        // The name-only profile lets the same calls through (the kernel may still refuse a user namespace). `ip link`
        // then fails on bind, a name the recorded workload never used: the netlink socket itself was let through.
        assert.doesNotMatch(loose.netlink!.err, /socket: Operation not permitted/)
        assert.match(loose.netlink!.err, /^(|ip: bind: Operation not permitted)$/)
        assert.equal(loose.linux32!.code, 0, loose.linux32!.err)
        assert.doesNotMatch(loose.userns!.err, /unshare\(0x10000000\): Operation not permitted/)
      })
    }
  },
)
