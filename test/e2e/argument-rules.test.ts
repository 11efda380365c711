/**
 * Issue 15 end to end, profile side: an argument-aware profile built by `profiles build` from a recording enforced
 * by podman under runc and crun. The workload runs as it did; one extra call with a forbidden argument but an
 * allowed syscall name gets EPERM: socket(AF_NETLINK) (`busybox ip link`), unshare(CLONE_NEWUSER)
 * (`busybox unshare -U`), personality(PER_LINUX32) (`busybox linux32`); the name-only profile (`--args off`) of the
 * same recording lets them through.
 *
 * The recording is a FIXTURE until the kernel side records values: its syscall names are the moby default's
 * unconditional allows for x86_64 (a wide, realistic list that runs busybox under both runtimes) and its
 * `arguments` are authored tuples for this workload (clone without namespace flags, socket AF_UNIX/AF_INET
 * stream, unshare CLONE_FS, personality PER_LINUX, setns any). Point RECORDING at a real one to use it instead.
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {loadProfile} from '../../src/profile/load.js'
import {allowedNames} from '../../src/profile/semantics.js'
import {resolveProfile} from '../../src/runtime-default/resolve.js'
import {createRecording} from '../../src/store/model.js'
import {NAMESPACE_MASK, SOCKET_TYPE_MASK} from '../../src/syscalls/arg-names.js'
import {REPO_ROOT} from '../helpers/cli.js'
import {busyboxRootfs, CLI, podmanRunArgs, prepareCgroupsForCrun} from './harness.js'

const CURATED = ['clone', 'clone3', 'ioctl', 'personality', 'prctl', 'setns', 'socket', 'unshare']
/** Each probe prints `<what>:<exit code>:<first line of stderr>`. */
const PROBES = [
  ['workload', 'echo ok > /tmp/a && cat /tmp/a >/dev/null && ls / >/dev/null && (true | cat)'],
  ['netlink', 'busybox ip link'],
  ['userns', 'busybox unshare -U true'],
  ['linux32', 'busybox linux32 true'],
]
const SCRIPT = PROBES.map(
  ([what, cmd]) => `e=$( { ${cmd}; } 2>&1 >/dev/null); echo "${what}:$?:$(echo "$e" | head -n1)"`,
).join('; ')

const dirs: string[] = []
after(() => dirs.forEach((d) => rmSync(d, {recursive: true, force: true})))

async function fixtureRecording(): Promise<object> {
  const {profile} = await loadProfile(join(REPO_ROOT, 'profiles', 'runtime-default', 'moby-default.json'))
  const resolved = resolveProfile(profile, {arch: 'SCMP_ARCH_X86_64', kernel: '6.18.0', caps: []})
  const names = [...new Set([...allowedNames(resolved), ...CURATED])].sort()
  const recording = createRecording({
    id: 'e2e-args-busybox',
    source: 'hook',
    name: 'e2e/args-busybox',
    container: {name: 'busybox'},
    runtime: 'crun',
    set: {names: {x86_64: names}, unknown: []},
    startedAt: new Date('2026-12-01T10:00:00Z'),
    endedAt: new Date('2026-12-01T10:00:05Z'),
  }) as object as Record<string, unknown>
  recording.arguments = {
    clone: {positions: [{index: 0, mask: String(NAMESPACE_MASK)}], values: [['0']]},
    personality: {positions: [{index: 0}], values: [['0']]},
    setns: {positions: [{index: 1}], values: [['0']]},
    socket: {
      positions: [{index: 0}, {index: 1, mask: String(SOCKET_TYPE_MASK)}],
      values: [
        ['1', '1'],
        ['2', '1'],
      ],
    },
    unshare: {positions: [{index: 0}], values: [['512']]},
  }
  return recording
}

function probe(runtime: 'runc' | 'crun', rootfs: string, seccomp: string): Record<string, {code: number; err: string}> {
  const run = spawnSync('podman', podmanRunArgs({runtime, rootfs, seccomp, args: ['/bin/sh', '-c', SCRIPT]}), {
    encoding: 'utf8',
    timeout: 60_000,
  })
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

describe('argument-aware profiles enforced by podman (runc and crun)', () => {
  let rootfs: string
  let argsProfile: string
  let nameOnly: string
  before(async () => {
    prepareCgroupsForCrun()
    const dir = mkdtempSync(join(tmpdir(), 'scr-args-e2e-'))
    dirs.push(dir)
    rootfs = busyboxRootfs(dir)
    const store = join(dir, 'store')
    mkdirSync(join(store, 'recordings', 'e2e_2Fargs-busybox'), {recursive: true})
    const recording = process.env.RECORDING
      ? JSON.parse(readFileSync(process.env.RECORDING, 'utf8'))
      : await fixtureRecording()
    writeFileSync(
      join(store, 'recordings', 'e2e_2Fargs-busybox', `${(recording as {id: string}).id}.json`),
      JSON.stringify(recording),
    )
    argsProfile = join(dir, 'args.json')
    nameOnly = join(dir, 'names.json')
    for (const [out, mode] of [
      [argsProfile, 'on'],
      [nameOnly, 'off'],
    ] as const) {
      const build = spawnSync(
        process.execPath,
        [CLI, 'profiles', 'build', '--store', store, '--output', out, '--args', mode],
        {encoding: 'utf8'},
      )
      assert.equal(build.status, 0, build.stderr)
    }
  })

  for (const runtime of ['runc', 'crun'] as const) {
    it(`${runtime}: the workload runs under both; the forbidden arguments get EPERM only under the argument-aware profile`, () => {
      const strict = probe(runtime, rootfs, argsProfile)
      const loose = probe(runtime, rootfs, nameOnly)
      console.log(`${runtime} argument-aware: ${JSON.stringify(strict)}`)
      console.log(`${runtime} name-only:      ${JSON.stringify(loose)}`)
      assert.equal(strict.workload!.code, 0, strict.workload!.err)
      assert.deepEqual(strict.workload, loose.workload)
      for (const what of ['netlink', 'userns', 'linux32']) {
        assert.notEqual(strict[what]!.code, 0, `${what} must fail under the argument-aware profile`)
        assert.match(strict[what]!.err, /Operation not permitted/, what)
      }
      // The name-only profile lets the same calls through (the kernel may still refuse a user namespace).
      assert.equal(loose.netlink!.code, 0, loose.netlink!.err)
      assert.equal(loose.linux32!.code, 0, loose.linux32!.err)
      assert.doesNotMatch(loose.userns!.err, /unshare\(0x10000000\): Operation not permitted/)
    })
  }
})
