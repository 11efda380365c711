/**
 * Container start with vs without the recording hook, measured side by side, interleaved (≥ 20 runs each):
 * `runc run` of busybox with config.json hooks, and `podman run` with hooks.d and the annotation.
 * start = from launching the runtime to the container's first output byte (what the prestart hook can delay);
 * total = until the runtime exits (includes the poststop stage, which runs after the container is gone);
 * exit-to-file = from the runtime's exit to the `of:` profile being there (the finaliser writes it off the
 * runtime's path), p50 and p99 over the recorded runs, one container at a time.
 * The hooks are installed twice, side by side: with the spool on a tmpfs (as a node's default, /run/seccomp-recorder
 * is; /run if it is one, else /dev/shm) and on disk (/tmp, else /var/tmp), each case labelled. `hooks /bin/true` is the
 * floor: what runc pays to run a prestart and a poststop hook at all.
 *   Usage: node dist/bench/hook-start.js [RUNS]   (root; installs the hook into a temporary directory)
 */
import {spawn, spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {
  busyboxRootfs,
  ociBundle,
  podmanRunArgs,
  prepareCgroupsForCrun,
  requireKernelPrerequisites,
} from '../test/e2e/harness.js'
import {PACKAGE_ROOT} from '../src/core/paths.js'

const runs = Number(process.argv[2] ?? 20)
requireKernelPrerequisites()
prepareCgroupsForCrun()

/** A node's default spool (/run/seccomp-recorder/spool) is on a tmpfs; a spool kept on disk pays its writes. */
const TMPFS_MAGIC = 0x01021994
const onTmpfs = (dir: string) => existsSync(dir) && statfsSync(dir).type === TMPFS_MAGIC
const tmpfsBase = ['/run', '/dev/shm'].find(onTmpfs)
const diskBase = [tmpdir(), '/var/tmp'].find((dir) => existsSync(dir) && !onTmpfs(dir))
if (!tmpfsBase || !diskBase)
  throw new Error('need a tmpfs (/run or /dev/shm) and a directory on disk (/tmp or /var/tmp)')

/** One installation of the hooks, its spool below base: its own config, libexec, hooks.d, output root, bundle. */
function installAt(base: string) {
  const work = mkdtempSync(join(base, 'scr-bench-hook-'))
  const env = {
    ...process.env,
    SECCOMP_RECORDER_LIBEXEC: join(work, 'libexec'),
    SECCOMP_RECORDER_INSTALL_MANIFEST: join(work, 'install.json'),
    SECCOMP_RECORDER_CONFIG: join(work, 'config.yaml'),
  }
  writeFileSync(
    env.SECCOMP_RECORDER_CONFIG,
    `outputRoots: [${join(work, 'out')}]\nstore: ${join(work, 'store')}\nspool: ${join(work, 'spool')}\n`,
  )
  const cli = (args: string[]) =>
    spawnSync(process.execPath, [join(PACKAGE_ROOT, 'bin', 'run.js'), ...args], {env, encoding: 'utf8'})
  const profile = join(work, 'out', 'bench.json')
  const annotations = {'io.containers.trace-syscall': `of:${profile}`}
  const bundle = ociBundle({args: ['/bin/busybox', 'echo', 'x'], annotations})
  const hooksDir = join(work, 'hooks.d')
  const installed = cli(['install', '--hooks-dir', hooksDir, '--oci-config', join(bundle, 'config.json')])
  if (installed.status !== 0) throw new Error(installed.stderr)
  return {work, cli, profile, annotations, bundle, hooksDir}
}
const tmpfsSpool = installAt(tmpfsBase)
const diskSpool = installAt(diskBase)
const tmpfsLabel = `spool on tmpfs (${tmpfsBase}, a node's /run)`
const diskLabel = `spool on disk (${diskBase})`

const plainBundle = ociBundle({args: ['/bin/busybox', 'echo', 'x']})
/** The floor: what runc pays to run a prestart and a poststop hook that do nothing. */
const trueHooksBundle = ociBundle({
  args: ['/bin/busybox', 'echo', 'x'],
  hooks: {prestart: [{path: '/bin/true'}], poststop: [{path: '/bin/true'}]},
})
const rootfs = busyboxRootfs(tmpfsSpool.work)

interface Timing {
  start: number
  total: number
  /** Hooked runs: from the runtime's exit to the of: file. */
  toFile?: number
}

/** Runs a hooked case with the of: file removed first, then waits for the finaliser to write it again. */
async function withExitToFile(profilePath: string, run: () => Promise<Timing>): Promise<Timing> {
  rmSync(profilePath, {force: true})
  const timing = await run()
  const exited = performance.now()
  for (const deadline = exited + 60_000; !existsSync(profilePath); await new Promise((r) => setTimeout(r, 1)))
    if (performance.now() > deadline) throw new Error('the of: profile was not written within 60 s')
  return {...timing, toFile: performance.now() - exited}
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!
}

function timed(command: string, args: string[], cwd?: string): Promise<Timing> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now()
    let start = 0
    const child = spawn(command, args, {cwd, stdio: ['ignore', 'pipe', 'pipe']})
    let stderr = ''
    child.stdout.on('data', () => (start ||= performance.now() - t0))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('close', (code) =>
      code === 0
        ? resolve({start, total: performance.now() - t0})
        : reject(new Error(`${command} ${args.join(' ')}: ${code} ${stderr}`)),
    )
  })
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

let counter = 0
type Install = ReturnType<typeof installAt>
const runcHooked = (install: Install) => () =>
  withExitToFile(install.profile, () => timed('runc', ['run', `bench-${process.pid}-${++counter}`], install.bundle))
const podmanHooked = (install: Install) => () =>
  withExitToFile(install.profile, () =>
    timed(
      'podman',
      podmanRunArgs({
        runtime: 'runc',
        rootfs,
        hooksDir: install.hooksDir,
        annotations: install.annotations,
        args: ['/bin/busybox', 'echo', 'x'],
      }),
    ),
  )
const cases: Record<string, () => Promise<Timing>> = {
  'runc run, no hook': () => timed('runc', ['run', `bench-${process.pid}-${++counter}`], plainBundle),
  'runc run, hooks /bin/true': () => timed('runc', ['run', `bench-${process.pid}-${++counter}`], trueHooksBundle),
  'runc run, hook, tmpfs': runcHooked(tmpfsSpool),
  'runc run, hook, disk': runcHooked(diskSpool),
  'podman run, no hook': () =>
    timed('podman', podmanRunArgs({runtime: 'runc', rootfs, args: ['/bin/busybox', 'echo', 'x']})),
  'podman run, hook, tmpfs': podmanHooked(tmpfsSpool),
  'podman run, hook, disk': podmanHooked(diskSpool),
}
const results: Record<string, Timing[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]))
for (let i = 0; i < runs; i++) {
  for (const [name, run] of Object.entries(cases)) results[name]!.push(await run())
}
const line = (name: string) => {
  const t = results[name]!
  return `${name.padEnd(26)} start ${median(t.map((x) => x.start))
    .toFixed(1)
    .padStart(6)} ms   total ${median(t.map((x) => x.total))
    .toFixed(1)
    .padStart(6)} ms   (median of ${t.length})`
}
console.log(`tmpfs: ${tmpfsLabel}; disk: ${diskLabel}`)
for (const name of Object.keys(cases)) console.log(line(name))
const ratio = (a: string, b: string, key: 'start' | 'total') =>
  (median(results[a]!.map((x) => x[key])) / median(results[b]!.map((x) => x[key]))).toFixed(2)
for (const runtime of ['runc run', 'podman run']) {
  for (const spool of ['tmpfs', 'disk']) {
    const hooked = `${runtime}, hook, ${spool}`
    const plain = `${runtime}, no hook`
    console.log(
      `${runtime}, spool on ${spool}: start with/without hook = ${ratio(hooked, plain, 'start')}x, total = ${ratio(hooked, plain, 'total')}x`,
    )
  }
}
console.log(
  `runc run, hooks /bin/true (the floor of any two hooks): start ${ratio('runc run, hooks /bin/true', 'runc run, no hook', 'start')}x, total ${ratio('runc run, hooks /bin/true', 'runc run, no hook', 'total')}x`,
)
for (const spool of ['tmpfs', 'disk']) {
  const toFile = Object.entries(results)
    .filter(([name]) => name.endsWith(`hook, ${spool}`))
    .flatMap(([, t]) => t.flatMap((x) => (x.toFile === undefined ? [] : [x.toFile])))
  console.log(
    `of: exit-to-file, spool on ${spool}, one container at a time: p50 ${percentile(toFile, 50).toFixed(1)} ms, p99 ${percentile(toFile, 99).toFixed(1)} ms (${toFile.length} runs)`,
  )
}
const recorded = JSON.parse(readFileSync(tmpfsSpool.profile, 'utf8')) as {
  syscalls: Array<{names: string[]}>
}
console.log(`last recorded profile: ${recorded.syscalls[0]?.names.length ?? 0} syscalls`)
for (const install of [tmpfsSpool, diskSpool]) {
  install.cli(['uninstall', '--all'])
  rmSync(install.work, {recursive: true, force: true})
}
