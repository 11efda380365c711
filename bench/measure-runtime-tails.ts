/**
 * Measures what runc and crun do between installing a container's seccomp filter and the workload's execve
 * (their "tails"), which every recorded profile must allow or the container cannot even start: the syscall names,
 * and the argument values they pass to the curated syscalls (issue 15: runc's prctl options for capabilities),
 * which an argument-aware profile must allow too.
 * For each runtime, each no_new_privileges setting and both ways of starting (`run`; `create` + `start` as podman
 * and CRI-O do), a busybox /bin/true container runs with a permissive
 * filter, recorded from the filter's installation on (boundary `seccomp`); what /bin/true does on its own,
 * outside any runtime (the helper's `launch`), is subtracted (names, and argument tuples). The union over many
 * runs, plus the calls runc's Go runtime may make at any moment (signals for preemption, memory), is written to
 * profiles/runtime-tails.json (`tails` and `argumentTails`, as src/runtime-tail/tails.ts reads them).
 *   Usage: node dist/bench/measure-runtime-tails.js [RUNS]
 */
import {execFileSync, spawnSync} from 'node:child_process'
import {chmodSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {syscallName, syscallNames} from '../src/syscalls/index.js'
import {argumentsProblem, unionArguments, type ArgumentsBySyscall} from '../src/syscalls/arguments.js'
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

/** One recording from the filter's installation on: the names, and the curated syscalls' argument values. */
interface Recorded {
  names: Set<string>
  args: ArgumentsBySyscall
}

function recordContainer(
  runtime: string,
  noNewPrivileges: boolean,
  boundary: string,
  mode: 'run' | 'create-start',
): Recorded {
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
    args?: unknown
  }
  rmSync(bundle, {recursive: true, force: true})
  const problem = target.args === undefined ? undefined : argumentsProblem(target.args, '/args')
  if (problem) throw new Error(`${runtime}: the helper printed argument values that do not fit the model: ${problem}`)
  return {
    names: new Set((target.syscalls.x86_64 ?? []).map((nr) => syscallName('x86_64', nr) ?? `#${nr}`)),
    args: (target.args ?? {}) as ArgumentsBySyscall,
  }
}

/** The tail's argument values without the tuples the workload passes on its own (a syscall left with none goes). */
function withoutWorkload(tail: ArgumentsBySyscall, workload: ArgumentsBySyscall): ArgumentsBySyscall {
  const kept: ArgumentsBySyscall = {}
  for (const [name, recorded] of Object.entries(tail)) {
    const own = new Set(Object.hasOwn(workload, name) ? workload[name]!.values.map((t) => t.join(',')) : [])
    const values = recorded.values.filter((t) => !own.has(t.join(',')))
    if (values.length > 0 || recorded.overflow) kept[name] = {...recorded, values}
  }
  return kept
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
const argumentTails: Record<string, ArgumentsBySyscall> = {runc: {}, crun: {}}
for (let i = 0; i < runs; i++) {
  for (const runtime of ['runc', 'crun']) {
    for (const nnp of [true, false]) {
      for (const mode of ['run', 'create-start'] as const) {
        const recorded = recordContainer(runtime, nnp, 'seccomp', mode)
        for (const name of recorded.names) tails[runtime]!.add(name)
        argumentTails[runtime] = unionArguments(argumentTails[runtime], recorded.args)!
      }
    }
  }
}
const alone = JSON.parse(
  execFileSync(
    process.execPath,
    [join(PACKAGE_ROOT, 'bin', 'run.js'), 'record', '--json', '--', '/bin/busybox', 'true'],
    {encoding: 'utf8'},
  ),
) as {syscalls: {x86_64: string[]}; arguments?: ArgumentsBySyscall}
const workload = new Set(alone.syscalls.x86_64)
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
  argumentTails: Object.fromEntries(
    Object.entries(argumentTails).map(([runtime, args]) => [runtime, withoutWorkload(args, alone.arguments ?? {})]),
  ),
  aboutArgumentTails:
    "Argument values each runtime passes to the curated syscalls (issue 15) after installing the filter, minus what /bin/true passes alone; measured like the tails. With no_new_privileges off, runc 1.1 and crun 1.8 install the filter before they drop capabilities: prctl PR_SET_KEEPCAPS 8, PR_CAPBSET_DROP 24, PR_CAP_AMBIENT 47 (with it on, none). A recording that starts at the workload's execve never sees them; an argument-aware profile adds them (withArgumentTail).",
}
writeFileSync(join(PACKAGE_ROOT, 'profiles', 'runtime-tails.json'), `${JSON.stringify(data, null, 2)}\n`)
console.log(
  `busybox true alone: ${workload.size} syscalls; with both tails: ${new Set([...workload, ...data.tails.runc!, ...data.tails.crun!]).size}`,
)
for (const [runtime, names] of Object.entries(data.tails))
  console.log(`${runtime} tail: ${names.length} syscalls: ${names.join(' ')}`)
for (const [runtime, args] of Object.entries(data.argumentTails)) {
  const shown = Object.entries(args).map(
    ([name, recorded]) =>
      `${name}(${recorded.positions.map((p) => `arg${p.index}`).join(', ')}) ${recorded.values.map((t) => t.join('/')).join(' ')}${recorded.overflow ? ' (overflow)' : ''}`,
  )
  console.log(`${runtime} argument tail: ${shown.join('; ') || 'none'}`)
}
