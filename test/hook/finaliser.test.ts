import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, unlinkSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {after, describe, it} from 'node:test'
import {acquireLock} from '../../src/fs/lock.js'
import {finaliserLockPath, finaliserLogPath, runFinaliser} from '../../src/hook/finaliser.js'
import {containerLockPath} from '../../src/spool/layout.js'
import {UserError} from '../../src/core/errors.js'
import {EXIT} from '../../src/core/exit-codes.js'
import {finaliseJournal} from '../../src/spool/finalise.js'
import {refusalLogPath} from '../../src/spool/refusals.js'

const dirs: string[] = []
function spool(): string {
  const dir = mkdtempSync(join(tmpdir(), 'scr-finaliser-'))
  dirs.push(dir)
  return dir
}
after(() => dirs.forEach((d) => rmSync(d, {recursive: true, force: true})))

const journal = (dir: string, id: string) => writeFileSync(join(dir, `${id}.taken`), '{}\n')

/** A finalise that records each call and removes the journal, as finaliseJournal does. */
function fakeFinalise(dir: string, calls: string[], options: {fail?: string[]} = {}) {
  return async (id: string) => {
    calls.push(id)
    assert.ok(existsSync(containerLockPath(dir, id)), 'the container lock is held while it finalises')
    if (options.fail?.includes(id)) throw new Error(`cannot write ${id}`)
    unlinkSync(join(dir, `${id}.taken`))
    return {id, recorded: true, syscalls: 3, outputs: [{kind: 'store' as const, path: `/store/${id}`}]}
  }
}

describe('finaliser', () => {
  it('finalises every journal in the spool exactly once, then exits and lets its lock go', async () => {
    const dir = spool()
    for (const id of ['a', 'b', 'c', 'd', 'e', 'f']) journal(dir, id)
    const calls: string[] = []
    const lines: string[] = []
    const run = await runFinaliser({
      spool: dir,
      finalise: fakeFinalise(dir, calls),
      idleMs: 0,
      log: (l) => lines.push(l),
    })
    assert.equal(run.ran, true)
    assert.deepEqual([...calls].sort(), ['a', 'b', 'c', 'd', 'e', 'f'])
    assert.deepEqual([...run.finalised].sort(), ['a', 'b', 'c', 'd', 'e', 'f'])
    assert.ok(lines.some((l) => l === 'a: 3 syscalls → /store/a'))
    assert.equal(existsSync(finaliserLockPath(dir)), false)
  })

  it('rotates finaliser.log past its bound before it lets its lock go, a log that is not a regular file never', async () => {
    const dir = spool()
    const old = 'x'.repeat(2000)
    writeFileSync(finaliserLogPath(dir), old)
    // Held by another finaliser: this one does nothing, the log included.
    const held = await acquireLock(finaliserLockPath(dir))
    assert.equal(
      (await runFinaliser({spool: dir, finalise: fakeFinalise(dir, []), idleMs: 0, logMaxBytes: 1000})).ran,
      false,
    )
    await held.release()
    assert.equal(readFileSync(finaliserLogPath(dir), 'utf8'), old)
    assert.equal(
      (await runFinaliser({spool: dir, finalise: fakeFinalise(dir, []), idleMs: 0, logMaxBytes: 1000})).ran,
      true,
    )
    assert.equal(existsSync(finaliserLogPath(dir)), false)
    assert.equal(readFileSync(`${finaliserLogPath(dir)}.1`, 'utf8'), old)
    // A symlink in its place is left as it is, and so is what it points to.
    const victim = join(spool(), 'victim')
    writeFileSync(victim, old)
    symlinkSync(victim, finaliserLogPath(dir))
    await runFinaliser({spool: dir, finalise: fakeFinalise(dir, []), idleMs: 0, logMaxBytes: 1000})
    assert.equal(readFileSync(finaliserLogPath(dir), 'utf8'), old)
    assert.equal(readFileSync(`${finaliserLogPath(dir)}.1`, 'utf8'), old)
  })

  it('coalesces: a journal written while it lingers is taken by the same run', async () => {
    const dir = spool()
    journal(dir, 'first')
    const calls: string[] = []
    const running = runFinaliser({spool: dir, finalise: fakeFinalise(dir, calls), idleMs: 1500})
    await sleep(300)
    journal(dir, 'later')
    const run = await running
    assert.deepEqual(calls, ['first', 'later'])
    assert.equal(run.ran, true)
  })

  it('runs once per spool: a second finaliser started meanwhile does nothing', async () => {
    const dir = spool()
    journal(dir, 'x')
    const calls: string[] = []
    const first = runFinaliser({spool: dir, finalise: fakeFinalise(dir, calls), idleMs: 500})
    await sleep(100)
    const second = await runFinaliser({spool: dir, finalise: fakeFinalise(dir, calls), idleMs: 0})
    assert.equal(second.ran, false)
    assert.equal((await first).ran, true)
    assert.deepEqual(calls, ['x'])
  })

  it('leaves a container whose lock another process holds until it lets go (never twice)', async () => {
    const dir = spool()
    journal(dir, 'held')
    const lock = await acquireLock(containerLockPath(dir, 'held'))
    const calls: string[] = []
    const running = runFinaliser({spool: dir, finalise: fakeFinalise(dir, calls), idleMs: 0})
    await sleep(300)
    assert.deepEqual(calls, [], 'not while gc (or a poststop) holds it')
    await lock.release()
    await running
    assert.deepEqual(calls, ['held'])
  })

  it('gives a failing journal up for this run (gc finishes it) and still finalises the others', async () => {
    const dir = spool()
    journal(dir, 'bad')
    journal(dir, 'good')
    const calls: string[] = []
    const lines: string[] = []
    const run = await runFinaliser({
      spool: dir,
      finalise: fakeFinalise(dir, calls, {fail: ['bad']}),
      idleMs: 0,
      log: (l) => lines.push(l),
    })
    assert.deepEqual(run.failed, ['bad'])
    assert.deepEqual(run.finalised, ['good'])
    assert.deepEqual(calls.filter((c) => c === 'bad').length, 1, 'tried once, not in a loop')
    assert.ok(lines.includes('bad: cannot write bad'))
    assert.ok(existsSync(join(dir, 'bad.taken')), 'its journal stays for gc')
  })
})

describe('finaliser: what it cannot write', () => {
  it('logs a refusal by policy in refused.log (runtimes show nothing after the poststop), a storage failure not', async () => {
    const dir = spool()
    journal(dir, 'refused')
    journal(dir, 'full')
    const run = await runFinaliser({
      spool: dir,
      idleMs: 0,
      finalise: async (id: string) => {
        if (id === 'refused')
          throw new UserError('of:/elsewhere/x.json is outside the output roots', {exit: EXIT.REFUSED})
        throw new UserError('the store is read-only', {exit: EXIT.RUNTIME})
      },
    })
    assert.deepEqual([...run.failed].sort(), ['full', 'refused'])
    const logged = readFileSync(refusalLogPath(dir), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as {id: string; reason: string})
    assert.deepEqual(
      logged.map((r) => [r.id, r.reason]),
      [['refused', 'of:/elsewhere/x.json is outside the output roots']],
    )
  })

  it('a journal that is there but unreadable fails once (left for gc) instead of being taken up again and again', async () => {
    const dir = spool()
    writeFileSync(join(dir, 'broken.taken'), 'not json\n')
    const config = {spool: dir} as Parameters<typeof finaliseJournal>[0]['config']
    await assert.rejects(finaliseJournal({id: 'broken', config, helper: '/nonexistent'}), /damaged/)
    const run = await runFinaliser({
      spool: dir,
      idleMs: 0,
      finalise: (id) => finaliseJournal({id, config, helper: '/nonexistent'}),
    })
    assert.deepEqual(run.failed, ['broken'])
    assert.ok(existsSync(join(dir, 'broken.taken')), 'the journal is kept for gc')
  })
})
