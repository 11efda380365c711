/**
 * A short fuzz run in CI (about 21 000 inputs, a few seconds) of the three parsers that read hostile input:
 * profile text, annotation values, the OCI state. Every input ends accepted (and within the parser's promises)
 * or refused with the documented error class; known bugs are counted and named (KNOWN_BUGS), anything else fails.
 * The long run is `node dist/test/hardening/fuzz-long.js 1000000`.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import fc from 'fast-check'
import {classify, inputs, seeds, type TargetName} from './fuzz-targets.js'

const RUNS: Record<TargetName, number> = {state: 8000, annotations: 8000, profile: 5000}
const seedLists = seeds()

describe('fuzz (short run)', () => {
  for (const target of ['state', 'annotations', 'profile'] as const) {
    it(`${target}: ${RUNS[target]} inputs end accepted or refused with the documented error class`, (t) => {
      const counts = new Map<string, number>()
      fc.assert(
        fc.property(inputs(target, seedLists[target]), (input) => {
          const {outcome, error} = classify(target, input)
          counts.set(outcome, (counts.get(outcome) ?? 0) + 1)
          if (outcome.startsWith('CRASH'))
            assert.fail(
              `${outcome}: ${(error as Error)?.message}\n${(error as Error)?.stack}\ninput (JSON): ${JSON.stringify(input).slice(0, 2000)}`,
            )
        }),
        {numRuns: RUNS[target]},
      )
      t.diagnostic(
        [...counts]
          .sort()
          .map(([k, v]) => `${k} ${v}`)
          .join(', '),
      )
      // The inputs reach past the parsers' first checks: some are accepted, some refused.
      const accepted = [...counts]
        .filter(([k]) => /(^|,)(\w+:)?(accepted|valid)(,|$)/.test(k))
        .reduce((n, [, v]) => n + v, 0)
      assert.ok(accepted > 0, `nothing was accepted: ${JSON.stringify([...counts])}`)
    })
  }
})
