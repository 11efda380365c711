import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import {join} from 'node:path'
import {createInterface} from 'node:readline'
import {describe, it} from 'node:test'
import {REPO_ROOT} from '../helpers/cli.js'

interface Step {
  step: string
  dir?: string
  signal?: string | null
}

/** Starts the fake run (helpers/interrupted-run.ts) and yields its steps as they come. */
function startRun() {
  const child = spawn(
    process.execPath,
    [join(REPO_ROOT, 'dist', 'test', 'container-record', 'helpers', 'interrupted-run.js')],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const steps: Step[] = []
  const waiters: Array<() => void> = []
  createInterface({input: child.stdout}).on('line', (line) => {
    steps.push(JSON.parse(line) as Step)
    waiters.splice(0).forEach((wake) => wake())
  })
  const until = async (name: string): Promise<Step> => {
    for (;;) {
      const found = steps.find((s) => s.step === name)
      if (found) return found
      await new Promise<void>((wake) => waiters.push(wake))
    }
  }
  const exited = new Promise<{code: number | null; signal: string | null}>((done) =>
    child.on('exit', (code, signal) => done({code, signal})),
  )
  return {child, steps, until, exited, stderr: () => stderr}
}

describe('record --podman / --bundle: signals (withRunSignals, with a fake runtime)', () => {
  it('forwards the first Ctrl-C to the runtime; a second one during clean-up neither kills it nor leaves the hook', async () => {
    const run = startRun()
    const {dir} = await run.until('running')
    run.child.kill('SIGINT')
    assert.deepEqual(await run.until('exited'), {step: 'exited', signal: 'SIGINT'})
    await run.until('cleaning')
    run.child.kill('SIGINT')
    run.child.kill('SIGTERM')
    assert.deepEqual(await run.exited, {code: 0, signal: null})
    assert.equal(existsSync(dir!), false, 'the one-time hook directory is removed')
    // Both were caught; two signals sent back to back may be handled in either order.
    assert.deepEqual(
      run.steps
        .filter((s) => s.step === 'caught')
        .map((s) => s.signal)
        .sort(),
      ['SIGINT', 'SIGTERM'],
    )
    assert.equal(run.steps.at(-1)?.step, 'done')
    assert.equal(run.stderr(), '', 'no stack trace')
  })
})
