import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {execa} from 'execa'
import {withRunSignals} from '../../../src/container-record/signals.js'

/**
 * A `record --podman` run as recordContainer drives it, with a fake long-running runtime (`sleep`) and a slow
 * clean-up (the one-time hook's removal): prints one JSON line per step for signals.test.ts, which sends the
 * signals. `dir` stands for the one-time hook's directory.
 */
const dir = mkdtempSync(join(tmpdir(), 'interrupted-run-'))
const say = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`)
await withRunSignals(
  async (signals) => {
    const child = execa('sleep', ['60'], {reject: false})
    signals.forwardTo(child)
    say({step: 'running', dir})
    const result = await child
    signals.forwardTo(undefined)
    say({step: 'exited', signal: result.signal ?? null})
  },
  async () => {
    say({step: 'cleaning'})
    await sleep(1500)
    rmSync(dir, {recursive: true, force: true})
  },
  (signal) => say({step: 'caught', signal}),
)
say({step: 'done'})
