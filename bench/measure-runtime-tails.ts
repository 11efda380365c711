/**
 * Measures what runc and crun do between installing a container's seccomp filter and the workload's execve
 * (their "tails"), which every recorded profile must allow or the container cannot even start.
 * For each runtime, each no_new_privileges setting and both ways of starting (`run`; `create` + `start` as podman
 * and CRI-O do), a busybox /bin/true container runs with a permissive
 * filter, recorded from the filter's installation on (boundary `seccomp`); what /bin/true does on its own,
 * outside any runtime (the helper's `launch`), is subtracted. The union over many runs, plus the calls runc's
 * Go runtime may make at any moment (signals for preemption, memory), is written to profiles/runtime-tails.json.
 *   Usage: node dist/bench/measure-runtime-tails.js [RUNS]
 */
import {execFileSync, spawnSync} from 'node:child_process'
import {chmodSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {syscallName, syscallNames} from '../src/syscalls/index.js'
import {nativeHelper, ociBundle, prepareCgroupsForCrun, requireKernelPrerequisites} from '../test/e2e/harness.js'
import {PACKAGE_ROOT} from '../src/core/paths.js'

const runs = Number(process.argv[2] ?? 20)
requireKernelPrerequisites()
prepareCgroupsForCrun()
const helper = await nativeHelper()
const permissive = {
  defaultAction: 'SCMP_ACT_ERRNO',
  architectures: ['SCMP_ARCH_X86_64'],
  syscalls: [{names: [...syscallNames('x86_64')], action: 'SCMP_ACT_ALLOW'}],
}

/** Runs the bundle as `run` does, or as podman and CRI-O do: `create`, then `start`, wait, `delete`. */
function runBundle(runtime: string, bundle: string, mode: 'run' | 'create-start'): void {
  const id = `tail-${process.pid}`
  if (mode === 'run') {
    const result = spawnSync(runtime, ['run', id], {cwd: bundle, encoding: 'utf8'})
    if (result.status !== 0) throw new Error(`${runtime} run failed: ${result.stderr}`)
    return
  }
  execFileSync(runtime, ['create', '--bundle', bundle, id], {stdio: ['ignore', 'ignore', 'inherit']})
  execFileSync(runtime, ['start', id])
  for (let i = 0; i < 500; i++) {
    const state = JSON.parse(execFileSync(runtime, ['state', id], {encoding: 'utf8'})) as {status: string}
    if (state.status === 'stopped') break
    spawnSync('sleep', ['0.01'])
  }
  execFileSync(runtime, ['delete', '--force', id])
}

function recordContainer(
  runtime: string,
  noNewPrivileges: boolean,
  boundary: string,
  mode: 'run' | 'create-start',
): Set<string> {
  const hook = join(PACKAGE_ROOT, 'build', `measure-hook-${process.pid}.sh`)
  const out = `${hook}.json`
  writeFileSync(
    hook,
    `#!/bin/sh\npid=$(sed 's/.*"pid":\\([0-9]*\\).*/\\1/')\nexec ${helper} add --pid "$pid" --boundary ${boundary} > ${out}\n`,
  )
  chmodSync(hook, 0o755)
  const bundle = ociBundle({
    args: ['/bin/busybox', 'true'],
    noNewPrivileges,
    seccomp: boundary === 'seccomp' ? permissive : undefined,
    hooks: {prestart: [{path: hook}]},
  })
  runBundle(runtime, bundle, mode)
  const {mntns} = JSON.parse(readFileSync(out, 'utf8')) as {mntns: number}
  const target = JSON.parse(execFileSync(helper, ['remove', '--mntns', String(mntns)], {encoding: 'utf8'})) as {
    syscalls: {x86_64?: number[]}
  }
  rmSync(bundle, {recursive: true, force: true})
  return new Set((target.syscalls.x86_64 ?? []).map((nr) => syscallName('x86_64', nr) ?? `#${nr}`))
}

/** Go runtime calls runc can make at any point after the filter is in: timers, futexes, preemption signals (tgkill to itself, rt_sigreturn). */
const RUNC_GO_RUNTIME = [
  'epoll_pwait',
  'futex',
  'getpid',
  'gettid',
  'nanosleep',
  'rt_sigreturn',
  'sched_yield',
  'tgkill',
]
/**
 * What a thread runc init starts after its filter makes: the parent's clone (Go) or clone3, then the new thread's
 * stack and signal set-up. Quiet runs like these never show it; under load it does (perf on raw_syscalls:sys_enter,
 * and bench/load-podman.ts: 4 of 200 runc containers at 100 at once). Added to profiles only on request
 * (config runtimeThreads, annotation seccomp-recorder.io/runtime-threads).
 */
const RUNC_LATE_THREAD = ['clone', 'clone3', 'mmap', 'munmap', 'rt_sigprocmask', 'sigaltstack']

const tails: Record<string, Set<string>> = {runc: new Set(RUNC_GO_RUNTIME), crun: new Set()}
for (let i = 0; i < runs; i++) {
  for (const runtime of ['runc', 'crun']) {
    for (const nnp of [true, false]) {
      for (const mode of ['run', 'create-start'] as const)
        for (const name of recordContainer(runtime, nnp, 'seccomp', mode)) tails[runtime]!.add(name)
    }
  }
}
const workload = new Set(
  JSON.parse(
    execFileSync(
      process.execPath,
      [join(PACKAGE_ROOT, 'bin', 'run.js'), 'record', '--json', '--', '/bin/busybox', 'true'],
      {encoding: 'utf8'},
    ),
  ).syscalls.x86_64 as string[],
)
const version = (command: string) => execFileSync(command, ['--version'], {encoding: 'utf8'}).split('\n')[0]!.trim()
const data = {
  about:
    'What each runtime does after installing the seccomp filter and before the workload execs. Measured by bench/measure-runtime-tails.ts; every recorded profile adds these (both runtimes by default).',
  measured: {
    runc: version('runc'),
    crun: version('crun'),
    kernel: execFileSync('uname', ['-r'], {encoding: 'utf8'}).trim(),
    runs,
    date: new Date().toISOString().slice(0, 10),
  },
  goRuntime: {runc: RUNC_GO_RUNTIME},
  lateThreads: {runc: RUNC_LATE_THREAD},
  tails: Object.fromEntries(
    Object.entries(tails).map(([runtime, names]) => [runtime, [...names].filter((n) => !workload.has(n)).sort()]),
  ),
}
writeFileSync(join(PACKAGE_ROOT, 'profiles', 'runtime-tails.json'), `${JSON.stringify(data, null, 2)}\n`)
console.log(
  `busybox true alone: ${workload.size} syscalls; with both tails: ${new Set([...workload, ...data.tails.runc!, ...data.tails.crun!]).size}`,
)
for (const [runtime, names] of Object.entries(data.tails))
  console.log(`${runtime} tail: ${names.length} syscalls: ${names.join(' ')}`)
