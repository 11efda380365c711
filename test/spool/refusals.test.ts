import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {MAX_REFUSAL_LOG_BYTES, noteRefusal, readRefusals, refusalLogPath} from '../../src/spool/refusals.js'

const work = mkdtempSync(join(tmpdir(), 'scr-refusals-'))
after(() => rmSync(work, {recursive: true, force: true}))
let n = 0
const spool = () => mkdtempSync(join(work, `s${n++}-`))
const refusal = (id: string) => ({time: '2026-12-03T15:00:00.000Z', id, reason: `refused ${id}\n\u001b[31m`})

describe('the poststop refusal log', () => {
  it('appends one JSON line per refusal and reads them back, oldest first', async () => {
    const dir = spool()
    await noteRefusal(dir, refusal('a'))
    await noteRefusal(dir, refusal('b'))
    assert.deepEqual(
      (await readRefusals(dir)).map((r) => r.id),
      ['a', 'b'],
    )
    assert.equal(
      readFileSync(refusalLogPath(dir), 'utf8').trim().split('\n').length,
      2,
      'a reason with a newline stays one line',
    )
  })

  it('is bounded: past the cap the log moves to refused.log.1', async () => {
    const dir = spool()
    writeFileSync(refusalLogPath(dir), `${'x'.repeat(MAX_REFUSAL_LOG_BYTES + 1)}\n`)
    await noteRefusal(dir, refusal('c'))
    assert.ok(existsSync(`${refusalLogPath(dir)}.1`))
    assert.deepEqual(
      (await readRefusals(dir)).map((r) => r.id),
      ['c'],
    )
  })

  it('never writes through a symlink or into a FIFO, and an absent spool is no error', async () => {
    const dir = spool()
    const target = join(dir, 'elsewhere')
    writeFileSync(target, '')
    symlinkSync(target, refusalLogPath(dir))
    await noteRefusal(dir, refusal('d'))
    assert.equal(readFileSync(target, 'utf8'), '')
    assert.deepEqual(await readRefusals(dir), [])
    const fifoDir = spool()
    execFileSync('mkfifo', [refusalLogPath(fifoDir)])
    await noteRefusal(fifoDir, refusal('e'))
    assert.deepEqual(await readRefusals(fifoDir), [], 'a FIFO is not read (nor waited on)')
    await noteRefusal(join(work, 'absent'), refusal('f'))
    assert.equal(existsSync(join(work, 'absent')), false)
  })
})
