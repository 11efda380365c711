/**
 * The long fuzz run (not part of the test suite): `node dist/test/hardening/fuzz-long.js [INPUTS] [SEED]`
 * (default 1 000 000 inputs, split evenly between the OCI state, annotation and profile parsers; see
 * fuzz-targets.ts). Prints progress on stderr and one summary line with the counts per outcome on stdout; crashes
 * (anything but an accepted input within the parser's promises, a documented refusal or a named known bug) are
 * written with their inputs to a JSON file, and the exit status is 1 when there was one.
 */
import {writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import fc from 'fast-check'
import {classify, inputs, seeds, type TargetName} from './fuzz-targets.js'

const total = Number(process.argv[2] ?? 1_000_000)
const seed = Number(process.argv[3] ?? Date.now() % 2 ** 31)
if (!Number.isInteger(total) || total < 3 || !Number.isInteger(seed)) {
  console.error('usage: node dist/test/hardening/fuzz-long.js [INPUTS >= 3] [SEED]')
  process.exit(2)
}

const TARGETS: TargetName[] = ['state', 'annotations', 'profile']
const BATCH = 10_000
const seedLists = seeds()
const counts: Record<TargetName, Map<string, number>> = {state: new Map(), annotations: new Map(), profile: new Map()}
const crashes: Array<{target: TargetName; outcome: string; message: string; stack?: string; input: string}> = []
const started = Date.now()
let done = 0
let nextReport = total / 20

for (const [index, target] of TARGETS.entries()) {
  const share = Math.floor(total / TARGETS.length) + (index < total % TARGETS.length ? 1 : 0)
  const arbitrary = inputs(target, seedLists[target])
  for (let offset = 0, batch = 0; offset < share; offset += BATCH, batch++) {
    const n = Math.min(BATCH, share - offset)
    for (const input of fc.sample(arbitrary, {numRuns: n, seed: seed + index * 1_000_003 + batch})) {
      const {outcome, error} = classify(target, input)
      counts[target].set(outcome, (counts[target].get(outcome) ?? 0) + 1)
      if (outcome.startsWith('CRASH') && crashes.filter((c) => c.outcome === outcome).length < 20) {
        crashes.push({
          target,
          outcome,
          message: (error as Error)?.message ?? String(error),
          stack: (error as Error)?.stack,
          input,
        })
      }
    }
    done += n
    if (done >= nextReport) {
      process.stderr.write(`fuzz-long: ${done}/${total} inputs, ${((Date.now() - started) / 1000).toFixed(1)} s\n`)
      nextReport += total / 20
    }
  }
}

const seconds = ((Date.now() - started) / 1000).toFixed(1)
const crashCount = TARGETS.reduce(
  (n, t) => n + [...counts[t]].filter(([k]) => k.startsWith('CRASH')).reduce((m, [, v]) => m + v, 0),
  0,
)
const knownCount = TARGETS.reduce(
  (n, t) => n + [...counts[t]].filter(([k]) => k.startsWith('known-bug')).reduce((m, [, v]) => m + v, 0),
  0,
)
const perTarget = TARGETS.map((t) => {
  const sum = [...counts[t].values()].reduce((a, b) => a + b, 0)
  return `${t} ${sum}: ${[...counts[t]]
    .sort()
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}`
})
let report = ''
if (crashes.length > 0) {
  report = join(tmpdir(), `seccomp-recorder-fuzz-crashes-${seed}.json`)
  writeFileSync(report, `${JSON.stringify(crashes, null, 2)}\n`)
}
console.log(
  `fuzz-long: ${done} inputs in ${seconds} s (seed ${seed}) | ${perTarget.join(' | ')} | crashes ${crashCount}${report ? ` (inputs in ${report})` : ''}, known bugs ${knownCount}`,
)
process.exitCode = crashCount > 0 ? 1 : 0
