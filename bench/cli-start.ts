/**
 * CLI start-up, measured side by side in one run: each round runs every case once, in turn, so a busy machine
 * slows them alike. Prints the median wall time of each case over RUNS rounds and its ratio to `node -e 0`
 * (issue 16 asks ≤ 2x for --version and validate, ≤ 3x for diff --against runtime-default).
 *   Usage: node dist/bench/cli-start.js [RUNS]   (npm run bench:cli; RUNS defaults to 20)
 */
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {PACKAGE_ROOT} from '../src/core/paths.js'

const runs = Number(process.argv[2] ?? 20)
const cli = join(PACKAGE_ROOT, 'bin', 'run.js')
const smallProfile = join(PACKAGE_ROOT, 'fixtures', 'profiles', 'valid', 'minimal.json')
const recordedProfile = join(PACKAGE_ROOT, 'fixtures', 'profiles', 'valid', 'recorded-busybox.json')
const work = mkdtempSync(join(tmpdir(), 'scr-bench-cli-'))

interface Case {
  name: string
  args: string[]
  /** the exit statuses the case may end with (a case that fails measures nothing) */
  status: number[]
  /** targets from issue 16, as a multiple of `node -e 0` */
  target?: number
}

const CASES: Case[] = [
  {name: 'node -e 0', args: ['-e', '0'], status: [0]},
  {name: 'seccomp-recorder --version', args: [cli, '--version'], status: [0], target: 2},
  {name: 'validate <small profile>', args: [cli, 'validate', smallProfile], status: [0], target: 2},
  {
    name: 'diff <profile> --against runtime-default',
    args: [cli, 'diff', recordedProfile, '--against', 'runtime-default'],
    // 1 when the host's RuntimeDefault denies a syscall the profile needs: a verdict, not a failure
    status: [0, 1],
    target: 3,
  },
  {
    name: 'publish <profile> --root <temp>',
    args: [cli, 'publish', recordedProfile, '--root', join(work, 'seccomp'), '--name', 'bench'],
    status: [0],
  },
]

function timeOnce(c: Case): number {
  const t0 = performance.now()
  const result = spawnSync(process.execPath, c.args, {encoding: 'utf8', env: {...process.env, NO_COLOR: '1'}})
  const elapsed = performance.now() - t0
  if (!c.status.includes(result.status ?? -1))
    throw new Error(
      `${c.name}: exit ${result.status} (expected ${c.status.join(' or ')})\n${result.stderr}${result.stdout}`,
    )
  return elapsed
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

try {
  const samples = new Map<Case, number[]>(CASES.map((c) => [c, []]))
  for (const c of CASES) timeOnce(c) // warm the page cache
  for (let round = 0; round < runs; round++) for (const c of CASES) samples.get(c)!.push(timeOnce(c))
  const baseline = median(samples.get(CASES[0]!)!)
  console.log(`CLI start-up, median of ${runs} runs each, interleaved (ratio to node -e 0)`)
  for (const c of CASES) {
    const ms = median(samples.get(c)!)
    const ratio = ms / baseline
    const verdict =
      c.target === undefined ? '' : ratio <= c.target ? `  (target ≤ ${c.target}x)` : `  ABOVE TARGET ${c.target}x`
    console.log(`  ${c.name.padEnd(42)} ${ms.toFixed(1).padStart(7)} ms  ${ratio.toFixed(2)}x${verdict}`)
  }
} finally {
  rmSync(work, {recursive: true, force: true})
}
