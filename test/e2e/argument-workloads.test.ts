/**
 * Issue 15 with real workloads: nginx (a web server), redis (a key-value store, redis-tools' redis-check-rdb as
 * redis-server) and python3 -m http.server, each in a root file system of its own (test/e2e/rootfs.ts) with busybox
 * for the driver script, are RECORDED for real (the hook installed into temp paths, podman with runc and the record
 * annotation). `profiles build` makes an argument-aware and a name-only (`--args off`) profile from each recording,
 * and podman enforces both under runc and crun: each container starts its server, serves one real request from
 * inside (busybox wget, or nc speaking the redis protocol; the body is checked) and stops it, with identical output
 * under both profiles and both runtimes. The same container then makes one extra call per curated syscall with an
 * allowed name but a forbidden argument: socket(AF_NETLINK) (`busybox ip link`), unshare(CLONE_NEWUSER)
 * (`busybox unshare -U`), personality(PER_LINUX32) (`busybox linux32`); they get EPERM under the argument-aware
 * profile, and the name-only one lets them through.
 *
 * Where the names come from: socket is the servers' own (each listens on an AF_INET stream socket; the client's
 * wget/nc uses one too). None of the servers calls unshare or personality, so the driver script makes them
 * by name with harmless arguments while recorded, as argument-rules.test.ts does: unshare(CLONE_NEWNS)
 * (`unshare -m`, refused by the kernel without CAP_SYS_ADMIN, but seen with its flags) and personality(PER_LINUX)
 * (`linux64`). The test checks each name is in the argument-aware profile and the forbidden value is not in the
 * recording, so no probe is vacuous. The argument-aware profiles restrict clone, so they give clone3 ENOSYS (checked):
 * the threaded servers (redis's background threads, python's thread per request) still serve, glibc's
 * pthread_create falling back to clone, whose namespace bits (none) are checked.
 */
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {isDeepStrictEqual} from 'node:util'
import {after, before, describe, it} from 'node:test'
import {RecordingStore} from '../../src/store/store.js'
import type {ArgumentsBySyscall} from '../../src/syscalls/arguments.js'
import {argumentValueName} from '../../src/syscalls/arg-names.js'
import {
  CLI,
  allowedSyscallNamesIn,
  nativeHelper,
  podmanRunArgs,
  prepareCgroupsForCrun,
  requireKernelPrerequisites,
} from './harness.js'
import {baseRootfs, nginxRootfs, pythonRootfs, redisRootfs, redisServerArgs} from './rootfs.js'

const PORT = 8080
const INDEX = 'seccomp-recorder argument workloads'
const RUNTIMES = ['runc', 'crun'] as const
type Runtime = (typeof RUNTIMES)[number]
const PROFILES = ['args', 'names'] as const
type ProfileKind = (typeof PROFILES)[number]

interface Workload {
  name: 'nginx' | 'redis' | 'python'
  build: (rootfs: string) => string
  /** The server, started in the background. */
  server: string
  /** One request; prints the reply on one line. */
  request: string
  /** What the request prints. */
  reply: string
}

const wget = `busybox wget -q -O - http://127.0.0.1:${PORT}/`
const WORKLOADS: Workload[] = [
  {
    name: 'nginx',
    build: (rootfs) => nginxRootfs(rootfs, PORT, `${INDEX}\n`),
    server: '/usr/sbin/nginx -e stderr -c /etc/nginx/nginx.conf',
    request: wget,
    reply: INDEX,
  },
  {
    name: 'redis',
    build: redisRootfs,
    server: `/usr/bin/redis-server ${redisServerArgs(PORT)
      .map((a) => (a === '' ? '""' : a))
      .join(' ')}`,
    request: `printf 'SET k %s\\r\\nGET k\\r\\nQUIT\\r\\n' '${INDEX.replaceAll(' ', '-')}' | busybox nc -w 2 127.0.0.1 ${PORT} | busybox tr -d '\\r' | busybox tr '\\n' ' '`,
    reply: `+OK $${INDEX.length} ${INDEX.replaceAll(' ', '-')} +OK `,
  },
  {
    name: 'python',
    build: (rootfs) => {
      pythonRootfs(rootfs)
      mkdirSync(join(rootfs, 'srv'))
      writeFileSync(join(rootfs, 'srv', 'index.html'), `${INDEX}\n`)
      writeFileSync(join(rootfs, 'etc', 'nsswitch.conf'), 'hosts: files\n')
      return rootfs
    },
    server: `/usr/bin/python3 -S -B -m http.server --bind 127.0.0.1 --directory /srv ${PORT}`,
    request: wget,
    reply: INDEX,
  },
]

/** The driver's harmless calls, recorded: they put unshare and personality in the profile by name. */
const HARMLESS = [
  ['mntns', 'busybox unshare -m true'],
  ['linux64', 'busybox linux64 true'],
]
/**
 * The extra calls: allowed names, forbidden arguments. Under the name-only profile `ip link` gets its netlink socket
 * and then may spin or block on a send or receive call the workload never made: `bounded` (the driver's watchdog,
 * made of the calls the driver makes anyway; busybox timeout would need vfork) kills it after 3 s.
 */
const PROBES = [
  ['netlink', 'bounded busybox ip link'],
  ['userns', 'busybox unshare -U true'],
  ['linux32', 'busybox linux32 true'],
]
const FORBIDDEN = [
  ['socket', '16'],
  ['unshare', '268435456'],
  ['personality', '8'],
] as const

/**
 * The container's script: one refused request and one pause before the server starts (so the recording holds the
 * polling's failure path and its sleep however fast the server comes up), start the server, poll with the request
 * until it answers (at most 15 s, or until the server has exited), the steps, then stop the server: the shell is
 * already waiting when the kill arrives, so it always blocks in rt_sigsuspend, recorded or enforced. Prints
 * `request:<ok|timeout|exited>:<reply>`, `<what>:<exit code>:<first line of stderr>` per step and `stop:<exit
 * code>:`.
 */
function script(workload: Workload, steps: string[][]): string {
  const step = ([what, cmd]: string[]) =>
    `e=$( { ${cmd}; } 2>&1 >/dev/null); echo "${what}:$?:$(echo "$e" | busybox head -n1)"`
  return [
    'bounded() { "$@" & b=$!; (busybox usleep 3000000; kill -9 $b) >/dev/null 2>&1 & w=$!; wait $b; r=$?; kill $w; return $r; }',
    `out=$(${workload.request} 2>/dev/null); busybox usleep 100000`,
    `${workload.server} & pid=$!`,
    `n=0; s=ok; until out=$(${workload.request} 2>/dev/null) && [ -n "$out" ]; do n=$((n+1)); [ $n -ge 150 ] && { s=timeout; break; }; kill -0 $pid 2>/dev/null || { s=exited; break; }; busybox usleep 100000; done`,
    'echo "request:$s:$out"',
    ...steps.map(step),
    '(busybox usleep 200000; kill $pid) & wait $pid; echo "stop:$?:"',
  ].join('\n')
}

interface Run {
  status: number | null
  stdout: string
  stderr: string
}
function spawnAsync(command: string, args: string[], env?: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {...process.env, NO_COLOR: '1', ...env},
      timeout: 120_000,
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('error', reject)
    child.on('close', (status) => resolve({status, stdout, stderr}))
  })
}

const work = mkdtempSync(join(tmpdir(), 'scr-e2e-argworkloads-'))
const env = {
  SECCOMP_RECORDER_LIBEXEC: join(work, 'libexec'),
  SECCOMP_RECORDER_INSTALL_MANIFEST: join(work, 'install.json'),
  SECCOMP_RECORDER_CONFIG: join(work, 'config.yaml'),
}
const cli = (args: string[]) => spawnAsync(process.execPath, [CLI, ...args], env)
const hooksDir = join(work, 'hooks.d')
const store = join(work, 'store')
const recordingName = (workload: Workload) => `e2e/args-${workload.name}`
const rootfsOf = (workload: Workload) => join(work, workload.name, 'rootfs')
const profileOf = (workload: Workload, kind: ProfileKind) => join(work, workload.name, `${kind}.json`)

type Steps = Record<string, {code: string; err: string}>
async function podman(
  workload: Workload,
  runtime: Runtime,
  options: {seccomp?: string; record?: boolean},
  steps: string[][],
): Promise<Steps> {
  const run = await spawnAsync(
    'podman',
    podmanRunArgs({
      runtime,
      rootfs: rootfsOf(workload),
      ...(options.seccomp ? {seccomp: options.seccomp} : {}),
      ...(options.record ? {hooksDir, annotations: {'seccomp-recorder.io/record': recordingName(workload)}} : {}),
      timeout: 60,
      args: ['/bin/sh', '-c', script(workload, steps)],
    }),
  )
  assert.equal(run.status, 0, `podman (${workload.name}, ${runtime}) failed: ${run.stderr}`)
  const printed: Steps = Object.fromEntries(
    run.stdout
      .trimEnd()
      .split('\n')
      .map((line) => {
        const [what, code, ...err] = line.split(':')
        return [what!, {code: code!, err: err.join(':')}]
      }),
  )
  if (printed.request?.code !== 'ok')
    console.log(`${workload.name} (${runtime}, ${options.seccomp ?? 'recorded'}): ${run.stderr}`)
  return printed
}

/** The workload's part of a run: the request, the harmless calls, the stop. */
const workloadSteps = (steps: Steps) =>
  ['request', ...HARMLESS.map(([what]) => what!), 'stop'].map((what) => [what, steps[what]])

interface Outcome {
  recording: ArgumentsBySyscall
  recorded: Steps
  enforced: Record<Runtime, Record<ProfileKind, Steps>>
}

describe(
  'real workloads under their argument-aware profiles, enforced by podman (runc and crun)',
  {timeout: 300_000},
  () => {
    const outcomes = new Map<Workload['name'], Outcome>()
    before(async () => {
      requireKernelPrerequisites()
      prepareCgroupsForCrun()
      await nativeHelper()
      for (const workload of WORKLOADS) workload.build(baseRootfs(rootfsOf(workload)))
      writeFileSync(
        env.SECCOMP_RECORDER_CONFIG,
        `outputRoots: [${join(work, 'out')}]\nstore: ${store}\nspool: ${join(work, 'spool')}\n`,
      )
      const installed = await cli(['install', '--json', '--hooks-dir', hooksDir])
      assert.equal(installed.status, 0, installed.stderr)
      const recorded = await Promise.all(WORKLOADS.map((w) => podman(w, 'runc', {record: true}, HARMLESS)))
      const waited = await cli(['wait', '--all', '--timeout', '60'])
      assert.equal(waited.status, 0, waited.stderr)
      await Promise.all(
        WORKLOADS.flatMap((workload) =>
          PROFILES.map(async (kind) => {
            const out = profileOf(workload, kind)
            const args = kind === 'args' ? 'on' : 'off'
            const build = await cli([
              'profiles',
              'build',
              recordingName(workload),
              '--store',
              store,
              '--output',
              out,
              '--args',
              args,
            ])
            assert.equal(build.status, 0, build.stderr)
          }),
        ),
      )
      await Promise.all(
        WORKLOADS.map(async (workload, i) => {
          const dir = new RecordingStore(store).recordingDir(recordingName(workload))
          const files = readdirSync(dir)
          assert.equal(files.length, 1, `one recording of ${workload.name}: ${files.join(', ')}`)
          const recording = (JSON.parse(readFileSync(join(dir, files[0]!), 'utf8')) as {arguments: ArgumentsBySyscall})
            .arguments
          const enforced = {} as Outcome['enforced']
          // One runtime after the other: the runs of a workload share its root file system (nginx's pid file in /tmp).
          for (const runtime of RUNTIMES) {
            enforced[runtime] = {} as Record<ProfileKind, Steps>
            for (const kind of PROFILES)
              enforced[runtime][kind] = await podman(workload, runtime, {seccomp: profileOf(workload, kind)}, [
                ...HARMLESS,
                ...PROBES,
              ])
          }
          outcomes.set(workload.name, {recording, recorded: recorded[i]!, enforced})
        }),
      )
    })
    after(async () => {
      await cli(['uninstall', '--hooks-dir', hooksDir])
      rmSync(work, {recursive: true, force: true})
    })

    for (const workload of WORKLOADS) {
      it(`${workload.name}: serves the same under both runtimes and both profiles; the forbidden arguments get EPERM only under the argument-aware one`, () => {
        const {recording, recorded, enforced} = outcomes.get(workload.name)!
        const names = allowedSyscallNamesIn(profileOf(workload, 'args'))
        const rules = (JSON.parse(readFileSync(profileOf(workload, 'args'), 'utf8')) as {syscalls: object[]}).syscalls
        assert.ok(
          rules.some((r) => isDeepStrictEqual(r, {names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38})),
          'clone3 gets ENOSYS in the argument-aware profile',
        )
        for (const [syscall, forbidden] of FORBIDDEN) {
          assert.ok(
            names.includes(syscall),
            `${syscall} is not in ${workload.name}'s profile: the probe would be vacuous`,
          )
          assert.ok(
            recording[syscall] !== undefined && recording[syscall].overflow === undefined,
            `${syscall}: ${JSON.stringify(recording[syscall])}`,
          )
          assert.ok(!recording[syscall].values.some((t) => t[0] === forbidden), `${syscall} ${forbidden} recorded`)
        }
        assert.ok(
          recording.socket!.values.some((t) => t.join(',') === '2,1'),
          `socket(AF_INET, SOCK_STREAM) not recorded`,
        )
        assert.deepEqual(recorded.request, {code: 'ok', err: workload.reply}, `the recorded run's request`)
        for (const runtime of RUNTIMES) {
          for (const kind of PROFILES) {
            const steps = enforced[runtime][kind]
            assert.deepEqual(
              workloadSteps(steps),
              workloadSteps(recorded),
              `${runtime} ${kind}: ${JSON.stringify(steps)}`,
            )
          }
          const strict = enforced[runtime].args
          const loose = enforced[runtime].names
          for (const what of ['netlink', 'userns', 'linux32']) {
            assert.notEqual(strict[what]!.code, '0', `${runtime}: ${what} must fail under the argument-aware profile`)
            assert.match(strict[what]!.err, /Operation not permitted/, `${runtime}: ${what}`)
          }
          assert.match(strict.netlink!.err, /^ip: socket: Operation not permitted/)
          // The name-only profile lets the same calls through (the kernel may still refuse a user namespace; `ip link`
          // may then fail on a later call the workload never made, but not on socket).
          assert.doesNotMatch(loose.netlink!.err, /socket: Operation not permitted/, `${runtime} name-only netlink`)
          assert.equal(loose.linux32!.code, '0', `${runtime} name-only linux32: ${loose.linux32!.err}`)
          assert.doesNotMatch(loose.userns!.err, /unshare\(0x10000000\): Operation not permitted/)
        }
        const shown = (syscall: string) =>
          recording[syscall]!.values.map((t) =>
            t.map((v, i) => argumentValueName(syscall, recording[syscall]!.positions[i]!.index, BigInt(v))).join('/'),
          ).join(' ')
        const probe = (steps: Steps) =>
          PROBES.map(([what]) => {
            const {code, err} = steps[what!]!
            return `${what}=${code === '0' ? 'ok' : err.replace('Operation not permitted', 'EPERM')}`
          }).join(', ')
        console.log(
          `${workload.name}: request ${JSON.stringify(recorded.request!.err)} identical under runc, crun × argument-aware, name-only;` +
            ` recorded socket [${shown('socket')}] unshare [${shown('unshare')}] personality [${shown('personality')}];` +
            ` argument-aware: ${probe(enforced.runc.args)}; name-only: ${probe(enforced.runc.names)}`,
        )
      })
    }
  },
)
