/**
 * The long coverage-guided fuzz run (not part of the test suite): `npm run fuzz:coverage`, or
 * `node dist/test/hardening/coverage-fuzz-long.js [INPUTS_PER_TARGET] [TARGET…]` (default 1 000 000 inputs for each
 * of state, annotations, profile, strict-json and oci-state-c; two targets at a time). Each target's corpus is kept
 * in build/fuzz/long/<target>/corpus, so a later run starts where this one stopped; findings go to
 * build/fuzz/long/<target>/findings. Progress on stderr; at the end one line per target (inputs executed, edges and
 * features covered, corpus, crashes, the classification's outcome counts) and a total. Exit status 1 on a finding.
 */
import {join} from 'node:path'
import {
  BUILD,
  buildNative,
  COVERAGE_TARGETS,
  runTarget,
  summary,
  type CoverageResult,
  type CoverageTarget,
} from './coverage-fuzz.js'

const runs = Number(process.argv[2] ?? 1_000_000)
const targets = (process.argv.length > 3 ? process.argv.slice(3) : COVERAGE_TARGETS) as CoverageTarget[]
if (!Number.isInteger(runs) || runs < 1 || targets.some((t) => !COVERAGE_TARGETS.includes(t))) {
  console.error(
    `usage: node dist/test/hardening/coverage-fuzz-long.js [INPUTS_PER_TARGET] [${COVERAGE_TARGETS.join('|')}…]`,
  )
  process.exit(2)
}

buildNative()
const started = Date.now()
const results: CoverageResult[] = []
// Slowest first; two at a time (CI machines have two cores).
const queue = [...targets].sort((a, b) => order(a) - order(b))
function order(t: CoverageTarget): number {
  return ['profile', 'strict-json', 'state', 'annotations', 'oci-state-c'].indexOf(t)
}

async function worker(): Promise<void> {
  for (let target = queue.shift(); target !== undefined; target = queue.shift()) {
    const name = target
    let last = 0
    process.stderr.write(`coverage-fuzz: ${name}: started (${runs} inputs)\n`)
    const result = await runTarget(name, {
      runs,
      dir: join(BUILD, 'long', name),
      onOutput: (chunk) => {
        // libFuzzer's own "pulse" lines come at powers of two; a line every minute is enough here.
        const line = chunk
          .split('\n')
          .filter((l) => /^#\d+\s/.test(l))
          .at(-1)
        if (line && Date.now() - last > 60_000) {
          last = Date.now()
          process.stderr.write(`coverage-fuzz: ${name}: ${line.replace(/\s+MS:.*$/, '')}\n`)
        }
      },
    })
    results.push(result)
    process.stderr.write(`coverage-fuzz: ${summary(result)}\n`)
  }
}

await Promise.all([worker(), worker()])

const failing = results.filter((r) => r.findings.length > 0 || r.exitCode !== 0).length
const crashes = results.reduce((n, r) => n + r.findings.length, 0)
for (const target of targets) {
  const r = results.find((x) => x.target === target)
  if (r) console.log(`coverage-fuzz: ${summary(r)}`)
}
const execs = results.reduce((n, r) => n + r.execs, 0)
console.log(
  `coverage-fuzz: ${results.length} targets, ${execs} inputs in ${((Date.now() - started) / 1000).toFixed(0)} s, crashes ${crashes}${failing === 0 ? '' : `, ${failing} failing target(s): see build/fuzz/long/<target>/findings and log`}`,
)
process.exitCode = failing === 0 ? 0 : 1
