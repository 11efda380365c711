/**
 * Container start with vs without the recording hook, measured side by side, interleaved (≥ 20 runs each):
 * `runc run` of busybox with config.json hooks, and `podman run` with hooks.d and the annotation.
 * start = from launching the runtime to the container's first output byte (what the prestart hook can delay);
 * total = until the runtime exits (includes the poststop stage, which runs after the container is gone);
 * exit-to-file = from the runtime's exit to the `of:` profile being there (the finaliser writes it off the
 * runtime's path), p50 and p99 over the recorded runs, one container at a time.
 *   Usage: node dist/bench/hook-start.js [RUNS]   (root; installs the hook into a temporary directory)
 */
import {spawn, spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
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
const work = mkdtempSync(join(tmpdir(), 'scr-bench-hook-'))
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
const hooksDir = join(work, 'hooks.d')
const annotation = {'io.containers.trace-syscall': `of:${join(work, 'out', 'bench.json')}`}

const plainBundle = ociBundle({args: ['/bin/busybox', 'echo', 'x']})
const hookedBundle = ociBundle({args: ['/bin/busybox', 'echo', 'x'], annotations: annotation})
const installed = cli(['install', '--hooks-dir', hooksDir, '--oci-config', join(hookedBundle, 'config.json')])
if (installed.status !== 0) throw new Error(installed.stderr)
const rootfs = busyboxRootfs(work)

interface Timing {
  start: number
  total: number
  /** Hooked runs: from the runtime's exit to the of: file. */
  toFile?: number
}

const profilePath = join(work, 'out', 'bench.json')
/** Runs a hooked case with the of: file removed first, then waits for the finaliser to write it again. */
async function withExitToFile(run: () => Promise<Timing>): Promise<Timing> {
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
const cases: Record<string, () => Promise<Timing>> = {
  'runc run, no hook': () => timed('runc', ['run', `bench-${process.pid}-${++counter}`], plainBundle),
  'runc run, hook': () =>
    withExitToFile(() => timed('runc', ['run', `bench-${process.pid}-${++counter}`], hookedBundle)),
  'podman run, no hook': () =>
    timed('podman', podmanRunArgs({runtime: 'runc', rootfs, args: ['/bin/busybox', 'echo', 'x']})),
  'podman run, hook': () =>
    withExitToFile(() =>
      timed(
        'podman',
        podmanRunArgs({
          runtime: 'runc',
          rootfs,
          hooksDir,
          annotations: annotation,
          args: ['/bin/busybox', 'echo', 'x'],
        }),
      ),
    ),
}
const results: Record<string, Timing[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]))
for (let i = 0; i < runs; i++) {
  for (const [name, run] of Object.entries(cases)) results[name]!.push(await run())
}
const line = (name: string) => {
  const t = results[name]!
  return `${name.padEnd(20)} start ${median(t.map((x) => x.start))
    .toFixed(1)
    .padStart(6)} ms   total ${median(t.map((x) => x.total))
    .toFixed(1)
    .padStart(6)} ms   (median of ${t.length})`
}
for (const name of Object.keys(cases)) console.log(line(name))
for (const runtime of ['runc run', 'podman run']) {
  const a = results[`${runtime}, hook`]!
  const b = results[`${runtime}, no hook`]!
  console.log(
    `${runtime}: start with/without hook = ${(median(a.map((x) => x.start)) / median(b.map((x) => x.start))).toFixed(2)}x, total = ${(median(a.map((x) => x.total)) / median(b.map((x) => x.total))).toFixed(2)}x`,
  )
}
const toFile = Object.values(results).flatMap((t) => t.flatMap((x) => (x.toFile === undefined ? [] : [x.toFile])))
console.log(
  `of: exit-to-file, one container at a time: p50 ${percentile(toFile, 50).toFixed(1)} ms, p99 ${percentile(toFile, 99).toFixed(1)} ms (${toFile.length} runs)`,
)
const recorded = JSON.parse(readFileSync(join(work, 'out', 'bench.json'), 'utf8')) as {
  syscalls: Array<{names: string[]}>
}
console.log(`last recorded profile: ${recorded.syscalls[0]?.names.length ?? 0} syscalls`)
cli(['uninstall', '--all'])
rmSync(work, {recursive: true, force: true})
