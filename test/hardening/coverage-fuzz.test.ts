/**
 * A short coverage-guided fuzz run in CI (see coverage-fuzz.ts): each target a few thousand inputs with a fixed
 * seed, two at a time — about 20 s. The inputs of past findings (fixtures/fuzz/<target>/) are replayed first. Fails
 * — never skips — when the fuzzers cannot be built or run (no clang libFuzzer runtime, Jazzer.js missing or its
 * addon not loadable), when coverage feedback is missing (no edges counted), or on any finding.
 * The long run is `npm run fuzz:coverage` (a million inputs per target).
 */
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {buildNative, COVERAGE_TARGETS, runTarget, summary, type CoverageTarget} from './coverage-fuzz.js'

const RUNS: Record<CoverageTarget, number> = {
  state: 2500,
  annotations: 2500,
  profile: 2000,
  'strict-json': 2500,
  'oci-state-c': 20_000,
}
const SEED = Number(process.env.SCR_FUZZ_SEED ?? 1)

describe('coverage-guided fuzz (short run)', {concurrency: 2}, () => {
  let dir: string
  let failed = false
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'scr-coverage-fuzz-'))
    buildNative()
  })
  after(() => {
    if (!failed) rmSync(dir, {recursive: true, force: true})
  })

  for (const target of COVERAGE_TARGETS) {
    it(`${target}: ${RUNS[target]} inputs, coverage-guided, no finding`, async (t) => {
      const r = await runTarget(target, {runs: RUNS[target], dir: join(dir, target), seed: SEED, timeoutMs: 180_000})
      t.diagnostic(summary(r))
      try {
        const preview = r.findings
          .map((f) => `${f}: ${JSON.stringify(readFileSync(f).toString('latin1').slice(0, 400))}`)
          .join('\n')
        assert.equal(r.findings.length, 0, `${target}: finding(s)\n${preview}\n${r.log.slice(-6000)}`)
        assert.equal(
          r.exitCode,
          0,
          `${target}: the fuzzer exited with ${r.exitCode ?? r.signal}\n${r.log.slice(-6000)}`,
        )
        assert.ok(
          r.execs >= RUNS[target],
          `${target}: ${r.execs} inputs executed, ${RUNS[target]} asked\n${r.log.slice(-3000)}`,
        )
        assert.ok(
          r.cov > 0 && r.ft > 0,
          `${target}: no coverage feedback (cov ${r.cov}, ft ${r.ft}): is the instrumentation working?\n${r.log.slice(-3000)}`,
        )
        if (target !== 'oci-state-c') {
          const outcomes = r.outcomes ?? {}
          assert.ok(Object.keys(outcomes).length > 0, `${target}: the fuzz target recorded no outcome`)
          assert.ok(
            Object.keys(outcomes).some((k) => /accepted|valid/.test(k) && !k.startsWith('in')),
            `${target}: nothing was accepted: ${JSON.stringify(outcomes)}`,
          )
        }
      } catch (error) {
        failed = true
        throw new Error(`${(error as Error).message}\n(run directory kept: ${join(dir, target)})`)
      }
    })
  }
})
