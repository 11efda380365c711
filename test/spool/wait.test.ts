import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, unlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {after, describe, it} from 'node:test'
import {waitForOutputs, waitTimedOut} from '../../src/spool/wait.js'
import {EXIT} from '../../src/core/exit-codes.js'

const dirs: string[] = []
after(() => dirs.forEach((d) => rmSync(d, {recursive: true, force: true})))
function temp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'scr-wait-'))
  dirs.push(dir)
  return dir
}

/** A prestart note as bpf/prestart.c writes it. */
function note(spool: string, id: string, annotations: Record<string, string>): void {
  const state = JSON.stringify({
    ociVersion: '1.0.2',
    id,
    status: 'created',
    pid: 42,
    bundle: '/nonexistent',
    annotations,
  })
  writeFileSync(
    join(spool, `${id}.json`),
    `{"mntns":4026532001,"ns_id":77,"runtime":"runc","registered_unix_ms":1,"state":${state}}\n`,
  )
}

describe('wait', () => {
  it('is done at once for a container the spool does not hold', async () => {
    const result = await waitForOutputs({spool: temp(), ids: ['never'], outputs: [], timeoutMs: 0})
    assert.deepEqual(result.pending, [])
    assert.equal(result.done, true)
  })

  it("waits while a container's note or journal is in the spool", async () => {
    const spool = temp()
    note(spool, 'ctr', {'seccomp-recorder.io/record': 'a/b'})
    const waiting = waitForOutputs({spool, ids: ['ctr'], outputs: [], timeoutMs: 5000, pollMs: 10})
    await sleep(100)
    writeFileSync(join(spool, 'ctr.taken'), '{}')
    unlinkSync(join(spool, 'ctr.json'))
    await sleep(100)
    unlinkSync(join(spool, 'ctr.taken'))
    const result = await waiting
    assert.equal(result.done, true)
    assert.ok(result.waitedMs >= 150)
  })

  it('waits for an of: path until no note asks for it and the file is there', async () => {
    const spool = temp()
    const out = join(temp(), 'app.json')
    note(spool, 'ctr', {'io.containers.trace-syscall': `of:${out}`})
    writeFileSync(out, '{"old": true}') // an earlier run's profile: not the one asked for yet
    const early = await waitForOutputs({spool, ids: [], outputs: [out], timeoutMs: 0})
    assert.equal(early.done, false)
    assert.deepEqual(early.pending, [{kind: 'output', subject: out, why: 'container ctr will write it'}])
    unlinkSync(join(spool, 'ctr.json'))
    assert.equal((await waitForOutputs({spool, ids: [], outputs: [out], timeoutMs: 0})).done, true)
  })

  it('--all: waits until the spool holds no journal', async () => {
    const spool = temp()
    note(spool, 'running', {'seccomp-recorder.io/record': 'a/b'})
    writeFileSync(join(spool, 'exited.taken'), '{}')
    const pending = await waitForOutputs({spool, ids: [], outputs: [], all: true, timeoutMs: 0})
    assert.deepEqual(
      pending.pending.map((p) => p.subject),
      ['exited'],
      'a running container is not waited for',
    )
    unlinkSync(join(spool, 'exited.taken'))
    assert.equal((await waitForOutputs({spool, ids: [], outputs: [], all: true, timeoutMs: 0})).done, true)
  })

  it('times out with the pending list, as exit 6 (CONFLICT, wait-timeout)', async () => {
    const spool = temp()
    note(spool, 'slow', {'seccomp-recorder.io/record': 'a/b'})
    const result = await waitForOutputs({spool, ids: ['slow'], outputs: [join(spool, 'missing.json')], timeoutMs: 60})
    assert.equal(result.done, false)
    assert.deepEqual(
      result.pending.map((p) => p.subject),
      ['slow', join(spool, 'missing.json')],
    )
    const error = waitTimedOut(result)
    assert.equal(error.exit, EXIT.CONFLICT)
    assert.equal(error.code, 'wait-timeout')
  })
})
