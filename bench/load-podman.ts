/**
 * Load: N containers (default 100) started at once through podman, each recorded by the hook, and checked against
 * ground truth; then the same batch without the annotation and without the hook, for start latency.
 *
 * Workloads: 5 kinds of busybox `sh -c` scripts, kind = i % 5, each making one marker syscall no other kind makes
 * (checked with strace on the host): uptime → sysinfo, df / → statfs, sync → sync, writing and removing a file →
 * unlink, nproc → sched_getaffinity. Every script prints `started`, then waits on a barrier (a file in a read-only
 * bind mount that the benchmark creates once every container of the batch has printed `started`), then makes its
 * marker call: all N containers are alive, registered with the kernel recorder, and make their own calls at the
 * same time. The waiting loop runs its `sleep` at least once, so a container that finds the barrier open makes the
 * same calls as one that waits.
 *
 * Ground truth per kind: the profile recorded for that kind running alone (sequentially), twice, with the same
 * runtime. Under load, every recorded profile must equal its kind's ground truth as a set of names: per container,
 * names missing (lost) and names extra (foreign, or the runtime doing more under load). The native poststop's
 * (`seccomp-recorder-helper hook-poststop`) exit status, stdout (`"journal":true` once it took the container's
 * marks into the spool's journal) and stderr are kept per container (a logging wrapper put in place of the hooks.d
 * poststop's command; podman itself only logs hook failures, often from conmon's cleanup process whose log goes
 * nowhere); the finaliser's log (<spool>/finaliser.log: one line per output it wrote, and its failures) says which
 * journals became profiles; and the kernel recorder is watched for detaches during each recording batch.
 *
 * Latency: start = from spawning `podman run` to the workload's `started` line; wall = from the first spawn to
 * the last podman exit. Variants alternate per round (ABC, CBA, …) to limit drift on a noisy machine. Figures,
 * no assertions on timings.
 *   Usage: node dist/bench/load-podman.js [N] [--rounds R] [--runtimes crun,runc] [--runtime-tail own|both]
 *          [--variants recording,no-annotation,no-hook] [--no-hook-log] [--keep]
 *          (root; about 10 minutes for N=100 on 2 cores). --variants runs only those (without recording: no ground
 *          truth, no correctness check), e.g. `--variants no-annotation,no-hook --rounds 4` for what an installed
 *          hook costs containers that do not ask for it.
 */
import {execFile, spawn, spawnSync} from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {
  busyboxRootfs,
  nativeHelper,
  podmanRunArgs,
  prepareCgroupsForCrun,
  requireKernelPrerequisites,
} from '../test/e2e/harness.js'
import {HOOK_FILES, PACKAGE_ROOT} from '../src/core/paths.js'

type Runtime = 'crun' | 'runc'
type Variant = 'hook recording' | 'no annotation' | 'no hook'
const VARIANT_FLAGS: Record<string, Variant> = {
  recording: 'hook recording',
  'no-annotation': 'no annotation',
  'no-hook': 'no hook',
}

function parseArgs(argv: string[]): {
  n: number
  rounds: number
  runtimes: Runtime[]
  hookLog: boolean
  keep: boolean
  tail?: 'own' | 'both'
  variants: Variant[]
} {
  let n = 100
  let variantFlags = Object.keys(VARIANT_FLAGS)
  let rounds = 2
  let runtimes: Runtime[] = ['crun', 'runc']
  let hookLog = true
  let keep = false
  let tail: 'own' | 'both' | undefined
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--rounds') rounds = Number(argv[++i])
    else if (arg === '--no-hook-log') hookLog = false
    else if (arg === '--keep') keep = true
    else if (arg === '--runtime-tail') tail = argv[++i] as 'own' | 'both'
    else if (arg === '--runtimes') runtimes = argv[++i]!.split(',') as Runtime[]
    else if (arg === '--variants') variantFlags = argv[++i]!.split(',')
    else n = Number(arg)
  }
  if (
    (tail !== undefined && tail !== 'own' && tail !== 'both') ||
    !Number.isInteger(n) ||
    n < 1 ||
    !Number.isInteger(rounds) ||
    rounds < 1 ||
    runtimes.some((r) => r !== 'crun' && r !== 'runc') ||
    variantFlags.length === 0 ||
    variantFlags.some((v) => !Object.hasOwn(VARIANT_FLAGS, v))
  ) {
    throw new Error(
      'usage: load-podman.js [N] [--rounds R] [--runtimes crun,runc] [--runtime-tail own|both] [--variants recording,no-annotation,no-hook] [--no-hook-log] [--keep]',
    )
  }
  const variants = Object.entries(VARIANT_FLAGS).flatMap(([flag, v]) => (variantFlags.includes(flag) ? [v] : []))
  return {n, rounds, runtimes, hookLog, keep, variants, ...(tail ? {tail} : {})}
}

const {
  n: N,
  rounds: ROUNDS,
  runtimes: RUNTIMES,
  hookLog: HOOK_LOG,
  keep: KEEP,
  tail: TAIL,
  variants: VARIANTS,
} = parseArgs(process.argv.slice(2))

interface Kind {
  name: string
  marker: string
  command: string
}
// `$ID` is the container's index: each writer uses its own file in the shared root filesystem.
const KINDS: Kind[] = [
  {name: 'uptime', marker: 'sysinfo', command: 'uptime'},
  {name: 'df', marker: 'statfs', command: 'df /'},
  {name: 'sync', marker: 'sync', command: 'sync'},
  {name: 'unlink', marker: 'unlink', command: 'echo x > /tmp/scr-load-$ID; rm /tmp/scr-load-$ID'},
  {name: 'nproc', marker: 'sched_getaffinity', command: 'nproc'},
]
/**
 * What runc's Go runtime may do at any moment (profiles/runtime-tails.json), plus what every new OS thread of
 * `runc init` makes (seen with perf on raw_syscalls:sys_enter: rt_sigprocmask, mmap, munmap, sigaltstack; clone in
 * the parent, or clone3: this benchmark saw clone3 with mmap, munmap and sigaltstack in 4 of 200 runc containers)
 * — normally before the seccomp filter is installed, after it under load.
 */
const GO_RUNTIME = new Set([
  ...(
    JSON.parse(readFileSync(join(PACKAGE_ROOT, 'profiles', 'runtime-tails.json'), 'utf8')) as {
      goRuntime: {runc: string[]}
    }
  ).goRuntime.runc,
  'madvise',
  'mmap',
  'munmap',
  'sigaltstack',
  'rt_sigprocmask',
  'clone',
  'clone3',
])

/** At most 900 × 0.2 s at the barrier, so nothing waits forever if the benchmark dies. */
const script = (kind: Kind) =>
  `echo started; n=0; sleep 0.2; while [ ! -e /go/go ] && [ $n -lt 900 ]; do sleep 0.2; n=$((n+1)); done; ${kind.command}`

// ---- set-up: the hook installed into temporary directories exactly like .ci/main-job -------------------------
requireKernelPrerequisites()
prepareCgroupsForCrun()
const helper = await nativeHelper()
const work = mkdtempSync(join(tmpdir(), 'scr-bench-load-'))
const env = {
  ...process.env,
  SECCOMP_RECORDER_LIBEXEC: join(work, 'libexec'),
  SECCOMP_RECORDER_INSTALL_MANIFEST: join(work, 'install.json'),
  SECCOMP_RECORDER_CONFIG: join(work, 'config.yaml'),
}
const out = join(work, 'out')
writeFileSync(
  env.SECCOMP_RECORDER_CONFIG,
  `outputRoots: [${out}]\nstore: ${join(work, 'store')}\nspool: ${join(work, 'spool')}\n`,
)
const cli = (args: string[]) =>
  spawnSync(process.execPath, [join(PACKAGE_ROOT, 'bin', 'run.js'), ...args], {env, encoding: 'utf8'})
const hooksDir = join(work, 'hooks.d')
/** The helper the hook runs (install copies it): watching the recorder with another build could disturb it. */
const hookHelper = join(env.SECCOMP_RECORDER_LIBEXEC, 'seccomp-recorder-helper')
const noHooksDir = join(work, 'no-hooks.d') // empty: podman finds no hook at all
mkdirSync(noHooksDir)
const rootfs = busyboxRootfs(work)
for (const applet of ['uptime', 'df', 'nproc']) symlinkSync('busybox', join(rootfs, 'bin', applet))
const barrier = join(work, 'barrier')
mkdirSync(barrier)
const openBarrier = () => writeFileSync(join(barrier, 'go'), '')
const closeBarrier = () => rmSync(join(barrier, 'go'), {force: true})
const namePrefix = `scr-load-${process.pid}-`
const hookLog = join(work, 'hook-log')
const hooksDPoststop = join(hooksDir, HOOK_FILES.poststop)
/** The hooks.d poststop config as install wrote it, while the benchmark's logging wrapper stands in its place. */
let originalPoststopConfig: string | undefined

interface HookResult {
  /** The container id podman gave the hook (the finaliser's log names journals by it). */
  id: string
  rc: number
  stderr: string
  /** The native poststop took the marks into the journal (it printed `"journal":true`). */
  journaled: boolean
}
/** What the native poststop said, per output path (from the state podman gave it), read from the hook log. */
function hookResults(): Map<string, HookResult> {
  const results = new Map<string, HookResult>()
  if (!existsSync(hookLog)) return results
  for (const file of readdirSync(hookLog).filter((f) => f.endsWith('.rc'))) {
    const base = join(hookLog, file.slice(0, -3))
    const state = JSON.parse(readFileSync(`${base}.in`, 'utf8')) as {id: string; annotations?: Record<string, string>}
    const output = state.annotations?.['io.containers.trace-syscall']?.replace(/^of:/, '')
    if (output)
      results.set(output, {
        id: state.id,
        rc: Number(readFileSync(`${base}.rc`, 'utf8')),
        stderr: readFileSync(`${base}.err`, 'utf8').trim(),
        journaled: readFileSync(`${base}.out`, 'utf8').includes('"journal":true'),
      })
  }
  return results
}

/** The finaliser's log, per container id: the outputs it wrote (`ID: N syscalls → PATH`) and what else it said. */
function finaliserLog(): Map<string, {written: string[]; said: string[]}> {
  const byId = new Map<string, {written: string[]; said: string[]}>()
  const path = join(work, 'spool', 'finaliser.log')
  if (!existsSync(path)) return byId
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const match = / seccomp-recorder finaliser: ([0-9a-f]{64}): (.*)$/.exec(line)
    if (!match) continue
    const entry = byId.get(match[1]!) ?? {written: [], said: []}
    const output = / syscalls → (.*)$/.exec(match[2]!)
    if (output) entry.written.push(output[1]!)
    else entry.said.push(match[2]!)
    byId.set(match[1]!, entry)
  }
  return byId
}

/**
 * Watches the kernel recorder (once a second) from a recording batch's start until its last profile is written.
 * Before the first prestart it is detached (settle() waited for that). Once attached it should stay attached, with
 * the same programs, until the last poststop hook has taken its container's marks; a detach while hooks still run
 * is harmless only if those hooks had already taken their marks (their profiles are checked anyway). Something
 * else detaching it (another installation's uninstall, a helper of another build) makes the hooks fail with
 * "recording … is gone".
 */
function watchRecorder(): () => {samples: number; detachedAt: number[]; progIdSets: number} {
  let stop = false
  let samples = 0
  let wasAttached = false
  const detachedAt: number[] = []
  const progIds = new Set<string>()
  const loop = (async () => {
    while (!stop) {
      const list = await new Promise<{attached?: boolean; prog_ids?: number[]}>((resolve) =>
        execFile(hookHelper, ['list'], (error, stdout) =>
          resolve(error ? {} : (JSON.parse(stdout) as {attached?: boolean; prog_ids?: number[]})),
        ),
      )
      samples += 1
      if (wasAttached && list.attached === false) detachedAt.push(Date.now())
      if (list.attached) progIds.add(JSON.stringify(list.prog_ids ?? []))
      wasAttached = list.attached === true
      await new Promise((resolve) => setTimeout(resolve, 1000))
    }
  })()
  return () => {
    stop = true
    void loop
    return {samples, detachedAt, progIdSets: progIds.size}
  }
}

/** How long the native poststops of a batch took (from the hook log's file times): per hook, and first start to last end. */
function hookTimes(outputs: Set<string>): {durations: number[]; span: number; ends: number[]} | undefined {
  if (!existsSync(hookLog)) return undefined
  const durations: number[] = []
  const ends: number[] = []
  let first = Number.POSITIVE_INFINITY
  let last = 0
  for (const file of readdirSync(hookLog).filter((f) => f.endsWith('.rc'))) {
    const base = join(hookLog, file.slice(0, -3))
    const state = JSON.parse(readFileSync(`${base}.in`, 'utf8')) as {annotations?: Record<string, string>}
    if (!outputs.has(state.annotations?.['io.containers.trace-syscall']?.replace(/^of:/, '') ?? '')) continue
    const began = statSync(`${base}.in`).mtimeMs
    const ended = statSync(`${base}.rc`).mtimeMs
    durations.push(ended - began)
    ends.push(ended)
    first = Math.min(first, began)
    last = Math.max(last, ended)
  }
  return durations.length ? {durations, span: last - first, ends} : undefined
}

const running = new Set<ReturnType<typeof spawn>>()
let cleanedUp = false
function cleanup(): void {
  if (cleanedUp) return
  cleanedUp = true
  openBarrier() // every container still waiting finishes at once
  for (const child of running) child.kill('SIGTERM')
  const left = spawnSync(
    'podman',
    ['--storage-driver', 'vfs', 'ps', '-a', '--format', '{{.Names}}', '--filter', `name=^${namePrefix}`],
    {encoding: 'utf8'},
  )
  const names = left.stdout.split('\n').filter((name) => name.startsWith(namePrefix))
  if (names.length > 0)
    spawnSync('podman', ['--storage-driver', 'vfs', 'rm', '-f', '-t', '0', ...names], {stdio: 'ignore'})
  if (originalPoststopConfig !== undefined) writeFileSync(hooksDPoststop, originalPoststopConfig)
  const uninstalled = cli(['uninstall', '--all'])
  if (uninstalled.status !== 0) process.stderr.write(`uninstall failed: ${uninstalled.stderr}\n`)
  if (KEEP) console.log(`kept ${work}`)
  else rmSync(work, {recursive: true, force: true})
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    cleanup()
    process.exit(130)
  })
}

// ---- running containers ----------------------------------------------------------------------------------------
interface Run {
  /** Date.now() when its podman exited (exit-to-file: the of: profile's mtime minus this). */
  exitedAt?: number
  index: number
  kind: Kind
  status: number | null
  /** ms from spawning podman to the `started` line; undefined if it never came. */
  start?: number
  stdout: string
  stderr: string
  profile?: string
}

let batchCounter = 0
/** Starts `count` containers at once; opens the barrier once all printed `started` (or exited); waits for all. */
async function batch(
  runtime: Runtime,
  variant: Variant,
  count: number,
  kindOf: (i: number) => Kind,
): Promise<{runs: Run[]; wall: number}> {
  batchCounter += 1
  closeBarrier()
  const dir = join(out, `batch-${batchCounter}`)
  mkdirSync(dir, {recursive: true})
  let pendingStart = count
  const startedOrGone = () => {
    pendingStart -= 1
    if (pendingStart === 0) openBarrier()
  }
  const t0 = performance.now()
  const runs = await Promise.all(
    Array.from({length: count}, (_, index) => {
      const kind = kindOf(index)
      const profile = variant === 'hook recording' ? join(dir, `${index}.json`) : undefined
      const args = podmanRunArgs({
        runtime,
        rootfs,
        hooksDir: variant === 'no hook' ? noHooksDir : hooksDir,
        name: `${namePrefix}${batchCounter}-${index}`,
        annotations: profile
          ? {
              'io.containers.trace-syscall': `of:${profile}`,
              ...(TAIL ? {'seccomp-recorder.io/runtime-tail': TAIL} : {}),
            }
          : {},
        args: ['/bin/sh', '-c', script(kind)],
      })
      // podmanRunArgs ends with `--rootfs DIR CMD…` (--rootfs is a switch, DIR the first argument): options go before it.
      args.splice(args.indexOf('--rootfs'), 0, '--env', `ID=${index}`, '--volume', `${barrier}:/go:ro`)
      return new Promise<Run>((resolve) => {
        const spawned = performance.now()
        const child = spawn('podman', args, {stdio: ['ignore', 'pipe', 'pipe']})
        running.add(child)
        const run: Run = {index, kind, status: null, stdout: '', stderr: '', ...(profile ? {profile} : {})}
        let counted = false
        child.stdout.on('data', (data: Buffer) => {
          run.stdout += data.toString()
          if (!counted && run.stdout.includes('started\n')) {
            counted = true
            run.start = performance.now() - spawned
            startedOrGone()
          }
        })
        child.stderr.on('data', (data: Buffer) => (run.stderr += data.toString()))
        child.on('close', (code) => {
          running.delete(child)
          run.exitedAt = Date.now()
          run.status = code
          if (!counted) {
            counted = true
            startedOrGone()
          }
          resolve(run)
        })
      })
    }),
  )
  const wall = performance.now() - t0
  closeBarrier()
  return {runs, wall}
}

function profileNames(path: string): Set<string> | undefined {
  if (!existsSync(path)) return undefined
  const profile = JSON.parse(readFileSync(path, 'utf8')) as {syscalls?: Array<{names: string[]}>}
  return new Set((profile.syscalls ?? []).flatMap((rule) => rule.names))
}

/**
 * podman can exit before its poststop hooks ran (they run in whichever podman process cleans the container up
 * first: `podman run --rm` itself or conmon's `podman container cleanup`): wait for the profiles, up to a limit.
 */
async function waitForProfiles(runs: Run[], limitMs = 60_000): Promise<{late: number; waitedMs: number}> {
  const t0 = performance.now()
  const missing = () => runs.filter((r) => r.profile && !existsSync(r.profile)).length
  const atExit = missing()
  // Settled: every profile written, or its native poststop failed (no journal), or the finaliser gave up on it.
  const settled = () => {
    if (!HOOK_LOG) return false
    const hooks = hookResults()
    const finaliser = finaliserLog()
    return runs.every((r) => {
      const hook = r.profile ? hooks.get(r.profile) : undefined
      return (
        !r.profile ||
        existsSync(r.profile) ||
        (hook !== undefined && (!hook.journaled || (finaliser.get(hook.id)?.said.length ?? 0) > 0))
      )
    })
  }
  while (missing() > 0 && !settled() && performance.now() - t0 < limitMs)
    await new Promise((resolve) => setTimeout(resolve, 100))
  return {late: atExit - missing(), waitedMs: performance.now() - t0}
}

/**
 * The finaliser's log once it names every profile that exists (it renames a profile into place, then logs it: a
 * profile can be there a moment before its line), or after 5 s.
 */
async function finaliserLogCaughtUp(runs: Run[]): Promise<ReturnType<typeof finaliserLog>> {
  const deadline = performance.now() + 5_000
  for (;;) {
    const log = finaliserLog()
    const written = new Set([...log.values()].flatMap((entry) => entry.written))
    const behind = runs.some((r) => r.profile && existsSync(r.profile) && !written.has(r.profile))
    if (!behind || performance.now() > deadline) return log
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** Per profile: from its podman's exit to the file's last write (0 when written before podman exited). */
function exitToFile(runs: Run[]): number[] {
  return runs.flatMap((r) =>
    r.profile && r.exitedAt !== undefined && existsSync(r.profile)
      ? [Math.max(0, statSync(r.profile).mtimeMs - r.exitedAt)]
      : [],
  )
}
const exitToFileMs: number[] = []

const diff = (a: Set<string>, b: Set<string>) => [...a].filter((name) => !b.has(name)).sort()

/** Waits until the recorder has detached (the hook lingers 5 s after the last recording), so batches start alike. */
function settle(): string {
  const deadline = Date.now() + 30_000
  for (;;) {
    const list = JSON.parse(spawnSync(hookHelper, ['list'], {encoding: 'utf8'}).stdout || '{}') as {
      attached?: boolean
      targets?: unknown[]
    }
    if (!list.attached) return ''
    if (Date.now() > deadline)
      return ` (recorder still attached with ${list.targets?.length ?? '?'} targets: someone else is recording)`
    spawnSync('sleep', ['0.5'])
  }
}

const quantile = (xs: number[], q: number) => {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0
    ? Number.NaN
    : s.length % 2
      ? s[(s.length - 1) / 2]!
      : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}
const ms = (x: number) => `${x.toFixed(0).padStart(5)} ms`
const firstLine = (text: string) => text.trim().split('\n').slice(-3).join(' | ').slice(0, 300)

// ---- the benchmark --------------------------------------------------------------------------------------------
try {
  const installed = cli(['install', '--hooks-dir', hooksDir])
  if (installed.status !== 0) throw new Error(`install failed: ${installed.stderr}`)
  if (HOOK_LOG) {
    // Keep what the native poststop says per container: podman only logs its failures, from whichever podman
    // process cleaned the container up (often conmon's `podman container cleanup`, whose log goes nowhere here).
    // The hooks.d poststop runs a wrapper that logs and runs the same helper with the same arguments; the original
    // config is put back before uninstall (which keeps hooks.d files changed since install).
    const config = JSON.parse(readFileSync(hooksDPoststop, 'utf8')) as {hook: {path: string; args: string[]}}
    originalPoststopConfig = readFileSync(hooksDPoststop, 'utf8')
    mkdirSync(hookLog)
    const wrapper = join(work, 'poststop-logged')
    writeFileSync(
      wrapper,
      `#!/bin/sh\nf=${hookLog}/$(date +%s%N)-$$\ncat >"$f.in"\n'${config.hook.path}' "$@" <"$f.in" >"$f.out" 2>"$f.err"; echo $? >"$f.rc"\n`,
      {mode: 0o755},
    )
    writeFileSync(hooksDPoststop, JSON.stringify({...config, hook: {...config.hook, path: wrapper}}, null, 2))
  }
  const versions = ['podman', 'crun', 'runc'].map((c) =>
    spawnSync(c, ['--version'], {encoding: 'utf8'}).stdout.split('\n')[0]!.trim(),
  )
  console.log(
    `load benchmark: ${N} concurrent containers, ${ROUNDS} rounds, runtimes ${RUNTIMES.join(', ')}; ${versions.join('; ')}; kernel ${spawnSync('uname', ['-r'], {encoding: 'utf8'}).stdout.trim()}`,
  )
  console.log(
    `kinds (kind = i % ${KINDS.length}): ${KINDS.map((k) => `${k.name}→${k.marker}`).join(', ')}; runtime tails added: ${TAIL ?? 'as configured (default both)'}`,
  )

  for (const runtime of RUNTIMES) {
    const truth = new Map<Kind, Set<string>>()
    if (VARIANTS.includes('hook recording')) console.log(`\n=== ${runtime}: ground truth (each kind alone, twice)`)
    for (const kind of VARIANTS.includes('hook recording') ? KINDS : []) {
      const alone: Set<string>[] = []
      const hookMs: number[] = []
      for (let attempt = 1; alone.length < 2; attempt++) {
        const {runs} = await batch(runtime, 'hook recording', 1, () => kind)
        const run = runs[0]!
        const {late} = await waitForProfiles(runs)
        if (late) console.log(`${kind.name.padEnd(7)} profile written after podman exited`)
        const names = profileNames(run.profile!)
        if (run.status !== 0 || !names) {
          // Printed, never hidden; retried (a few times) because the benchmark needs a ground truth to go on.
          const hook = hookResults().get(run.profile!)
          const said = hook ? (finaliserLog().get(hook.id)?.said ?? []) : []
          const why = `podman exit ${run.status} ${firstLine(run.stderr)}; native poststop ${hook ? `exit ${hook.rc}${hook.journaled ? ', journaled' : ''}: ${firstLine(hook.stderr)}` : 'not seen'}${said.length ? `; finaliser: ${firstLine(said.join(' | '))}` : ''}`
          console.log(`${kind.name.padEnd(7)} ALONE RUN FAILED (attempt ${attempt}): no profile; ${why}`)
          if (attempt >= 4) throw new Error(`${runtime} ${kind.name}: no ground truth after ${attempt} attempts`)
          continue
        }
        alone.push(names)
        hookMs.push(...(hookTimes(new Set([run.profile!]))?.durations ?? []))
      }
      const [first, second] = alone as [Set<string>, Set<string>]
      truth.set(kind, first)
      const others = KINDS.filter((k) => k !== kind && first.has(k.marker)).map((k) => k.marker)
      const agree = diff(first, second).length === 0 && diff(second, first).length === 0
      console.log(
        `${kind.name.padEnd(7)} ${String(first.size).padStart(3)} syscalls, marker ${kind.marker} ${first.has(kind.marker) ? 'present' : 'MISSING'}` +
          `${others.length ? `, OTHER KINDS' MARKERS: ${others.join(' ')}` : ''}; second run ${agree ? 'identical' : `differs: only first ${diff(first, second).join(' ') || '-'}, only second ${diff(second, first).join(' ') || '-'}`}` +
          `${hookMs.length ? `; native poststop ${hookMs.map((x) => x.toFixed(0)).join(', ')} ms` : ''}`,
      )
    }

    console.log(`\n=== ${runtime}: ${N} concurrent containers, ${ROUNDS} rounds (variants alternate)`)
    const variants = VARIANTS
    const results: Record<Variant, {starts: number[]; walls: number[]; failed: number}> = {
      'hook recording': {starts: [], walls: [], failed: 0},
      'no annotation': {starts: [], walls: [], failed: 0},
      'no hook': {starts: [], walls: [], failed: 0},
    }
    const totals = {lost: 0, foreign: 0, goRuntime: 0, exact: 0, profiles: 0, missingProfiles: 0}
    const extraCounts = new Map<string, number>()
    const lostCounts = new Map<string, number>()
    for (let round = 0; round < ROUNDS; round++) {
      for (const variant of round % 2 === 0 ? variants : [...variants].reverse()) {
        const note = settle()
        const stopWatching = variant === 'hook recording' ? watchRecorder() : undefined
        const {runs, wall} = await batch(runtime, variant, N, (i) => KINDS[i % KINDS.length]!)
        const failed = runs.filter((r) => r.status !== 0)
        const starts = runs.flatMap((r) => (r.start === undefined ? [] : [r.start]))
        results[variant].starts.push(...starts)
        results[variant].walls.push(wall)
        results[variant].failed += failed.length
        console.log(
          `round ${round + 1} ${variant.padEnd(15)} wall ${(wall / 1000).toFixed(1).padStart(5)} s   start median ${ms(median(starts))}  p90 ${ms(quantile(starts, 0.9))}  max ${ms(Math.max(...starts))}` +
            `   podman failures ${failed.length}/${N}${note}`,
        )
        for (const r of failed.slice(0, 5))
          console.log(`  container ${r.index} (${r.kind.name}): podman exit ${r.status}: ${firstLine(r.stderr)}`)
        const noisy = runs.filter((r) => r.status === 0 && r.stderr.trim() !== '')
        for (const r of noisy.slice(0, 3))
          console.log(`  container ${r.index} (${r.kind.name}) stderr: ${firstLine(r.stderr)}`)
        if (noisy.length > 3) console.log(`  … ${noisy.length - 3} more containers wrote to stderr`)
        if (variant !== 'hook recording') continue

        // Every profile against its kind's ground truth.
        const {late, waitedMs} = await waitForProfiles(runs)
        const toFile = exitToFile(runs)
        exitToFileMs.push(...toFile)
        console.log(
          `  of: exit-to-file (profile written − podman exited) p50 ${ms(quantile(toFile, 0.5))}  p99 ${ms(quantile(toFile, 0.99))}  (${toFile.length} profiles)`,
        )
        const watched = stopWatching!()
        if (late)
          console.log(
            `  ${late} profiles were written after their podman exited (waited ${(waitedMs / 1000).toFixed(1)} s for them)`,
          )
        if (watched.progIdSets > 1)
          console.log(
            `  RECORDER RE-ATTACHED during the batch: ${watched.progIdSets} different program sets (${watched.samples} samples)`,
          )
        const hooks = hookResults()
        const finaliser = await finaliserLogCaughtUp(runs)
        const failedHooks = runs.filter((r) => (hooks.get(r.profile!)?.rc ?? 0) !== 0)
        const times = hookTimes(new Set(runs.map((r) => r.profile!)))
        if (HOOK_LOG) {
          const journaled = runs.filter((r) => hooks.get(r.profile!)?.journaled).length
          console.log(
            `  native poststop (hook-poststop): ${runs.filter((r) => hooks.has(r.profile!)).length}/${N} ran, ${journaled} took their marks into the journal, ${failedHooks.length} failed` +
              (times
                ? `; each took median ${ms(median(times.durations))}, max ${ms(Math.max(...times.durations))}; first start to last end ${(times.span / 1000).toFixed(1)} s`
                : ''),
          )
        }
        const written = new Set([...finaliser.values()].flatMap((entry) => entry.written))
        const finaliserSaid = runs.flatMap((r) => {
          const id = hooks.get(r.profile!)?.id
          return id === undefined ? [] : (finaliser.get(id)?.said ?? []).map((line) => `container ${r.index}: ${line}`)
        })
        console.log(
          `  finaliser: ${runs.filter((r) => written.has(r.profile!)).length}/${N} profiles written (its log)` +
            (HOOK_LOG ? `, ${finaliserSaid.length} other lines for this batch's containers (failures, warnings)` : ''),
        )
        for (const line of finaliserSaid.slice(0, 3)) console.log(`    finaliser: ${firstLine(line)}`)
        const hookSays = (r: Run) => {
          const h = hooks.get(r.profile!)
          if (h === undefined) return HOOK_LOG ? ' — native poststop never ran' : ''
          if (h.rc !== 0) return ` — native poststop exit ${h.rc}: ${firstLine(h.stderr)}`
          if (!h.journaled)
            return ' — native poststop journaled nothing (left it to the Node fallback or found no note)'
          const said = finaliser.get(h.id)?.said ?? []
          return written.has(r.profile!)
            ? ''
            : ` — journaled; finaliser ${said.length ? `said: ${firstLine(said.join(' | '))}` : 'wrote no profile'}`
        }
        for (const at of watched.detachedAt) {
          // A detach after every hook ended is the hook's own linger-then-detach; one while hooks run is worth a look.
          const running = times ? times.ends.filter((end) => end > at).length : Number.NaN
          if (running !== 0)
            console.log(
              `  RECORDER DETACHED while ${running} native poststops were still running (harmless only if they had taken their marks: see the hooks' failures and the profiles)`,
            )
        }
        let exact = 0
        let shown = 0
        const show = (line: string) => {
          if (++shown <= 15) console.log(line)
          else if (shown === 16) console.log('  … (more containers differ; totals below)')
        }
        for (const r of runs) {
          const names = profileNames(r.profile!)
          const expected = truth.get(r.kind)!
          if (!names) {
            totals.missingProfiles += 1
            totals.lost += expected.size
            show(
              `  container ${r.index} (${r.kind.name}): NO PROFILE (podman exit ${r.status})${hookSays(r)} ${firstLine(r.stderr)}`,
            )
            continue
          }
          totals.profiles += 1
          const lost = diff(expected, names)
          const extra = diff(names, expected)
          totals.lost += lost.length
          const goRuntime = runtime === 'runc' ? extra.filter((name) => GO_RUNTIME.has(name)) : []
          totals.foreign += extra.length - goRuntime.length
          totals.goRuntime += goRuntime.length
          for (const name of lost)
            lostCounts.set(`${r.kind.name}:${name}`, (lostCounts.get(`${r.kind.name}:${name}`) ?? 0) + 1)
          for (const name of extra)
            extraCounts.set(`${r.kind.name}:${name}`, (extraCounts.get(`${r.kind.name}:${name}`) ?? 0) + 1)
          if (lost.length === 0 && extra.length === 0) {
            exact += 1
            continue
          }
          const markers = extra.filter((name) => KINDS.some((k) => k.marker === name))
          show(
            `  container ${r.index} (${r.kind.name}): lost [${lost.join(' ')}] extra [${extra.join(' ')}]${markers.length ? ` — OTHER KINDS' MARKERS: ${markers.join(' ')}` : ''}${hookSays(r)}`,
          )
        }
        totals.exact += exact
        console.log(`  profiles: exact ${exact}/${N}`)
      }
    }

    const recorded = variants.includes('hook recording')
    if (recorded) console.log(`\n--- ${runtime}: correctness over ${ROUNDS} recorded batches of ${N}`)
    if (recorded)
      console.log(
        `lost: ${totals.lost}, foreign: ${totals.foreign}, exact: ${totals.exact}/${N * ROUNDS}${totals.missingProfiles ? `, missing profiles: ${totals.missingProfiles}` : ''}`,
      )
    if (recorded && runtime === 'runc')
      console.log(`runc Go runtime calls beyond the ground truth (not counted as foreign): ${totals.goRuntime}`)
    const byName = (counts: Map<string, number>) =>
      [...counts]
        .sort((a, b) => b[1] - a[1])
        .map(([key, count]) => `${key}×${count}`)
        .join(' ')
    if (lostCounts.size) console.log(`lost names (kind:name×containers): ${byName(lostCounts)}`)
    if (extraCounts.size) console.log(`extra names (kind:name×containers): ${byName(extraCounts)}`)

    console.log(`\n--- ${runtime}: latency (start: all containers of all rounds; wall: median of ${ROUNDS} rounds)`)
    for (const variant of variants) {
      const r = results[variant]
      console.log(
        `${N} containers, ${runtime}, ${variant.padEnd(15)} wall ${(median(r.walls) / 1000).toFixed(1).padStart(5)} s   start median ${ms(median(r.starts))}  p90 ${ms(quantile(r.starts, 0.9))}` +
          `${r.failed ? `   (${r.failed} podman failures)` : ''}`,
      )
    }
    const wallRatio = (a: Variant, b: Variant) => (median(results[a].walls) / median(results[b].walls)).toFixed(2)
    if (recorded && variants.includes('no annotation'))
      console.log(
        `batch wall with recording / annotation absent: ${wallRatio('hook recording', 'no annotation')}x; of: exit-to-file at ${N} containers p50 ${ms(quantile(exitToFileMs, 0.5))} p99 ${ms(quantile(exitToFileMs, 0.99))}`,
      )
    if (variants.includes('no annotation') && variants.includes('no hook'))
      console.log(
        `batch wall with the hook installed, annotation absent / no hook: ${wallRatio('no annotation', 'no hook')}x`,
      )
    exitToFileMs.length = 0
    const rec = results['hook recording'].starts
    for (const base of recorded ? variants.filter((v) => v !== 'hook recording') : []) {
      const other = results[base].starts
      console.log(
        `added start latency at this load, vs ${base.padEnd(13)}: median ${median(rec) - median(other) >= 0 ? '+' : ''}${(median(rec) - median(other)).toFixed(0)} ms (${(median(rec) / median(other)).toFixed(2)}x), ` +
          `p90 ${quantile(rec, 0.9) - quantile(other, 0.9) >= 0 ? '+' : ''}${(quantile(rec, 0.9) - quantile(other, 0.9)).toFixed(0)} ms (${(quantile(rec, 0.9) / quantile(other, 0.9)).toFixed(2)}x)`,
      )
    }
  }
} finally {
  cleanup()
  const list = JSON.parse(spawnSync(helper, ['list'], {encoding: 'utf8'}).stdout || '{}') as {attached?: boolean}
  console.log(
    `\ncleaned up: hook uninstalled, temporary directory removed, recorder ${list.attached ? 'STILL ATTACHED (someone else recording?)' : 'detached'}`,
  )
}
