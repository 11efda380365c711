import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {rotateLog} from '../../src/fs/log-rotation.js'

const work = mkdtempSync(join(tmpdir(), 'scr-log-rotation-'))
after(() => rmSync(work, {recursive: true, force: true}))
let n = 0
const dir = () => mkdtempSync(join(work, `d${n++}-`))

describe('rotateLog', () => {
  it('keeps a log within its bound, and an absent one', async () => {
    const log = join(dir(), 'x.log')
    assert.equal(await rotateLog(log, 10), 'kept')
    writeFileSync(log, '0123456789')
    assert.equal(await rotateLog(log, 10), 'kept')
    assert.equal(existsSync(`${log}.1`), false)
  })

  it('moves a log past its bound to .1, dropping the one before', async () => {
    const log = join(dir(), 'x.log')
    writeFileSync(`${log}.1`, 'older\n')
    writeFileSync(log, 'new lines past the bound\n')
    assert.equal(await rotateLog(log, 10), 'rotated')
    assert.equal(existsSync(log), false)
    assert.equal(readFileSync(`${log}.1`, 'utf8'), 'new lines past the bound\n')
  })

  it('never rotates a symlink, FIFO or directory, nor onto one', async () => {
    const d = dir()
    const victim = join(d, 'victim')
    writeFileSync(victim, 'x'.repeat(100))
    const linked = join(d, 'linked.log')
    symlinkSync(victim, linked)
    assert.equal(await rotateLog(linked, 10), 'not-a-file')
    assert.ok(lstatSync(linked).isSymbolicLink())
    const fifo = join(d, 'fifo.log')
    execFileSync('mkfifo', [fifo])
    assert.equal(await rotateLog(fifo, 10), 'not-a-file')
    assert.ok(lstatSync(fifo).isFIFO())
    // A regular log whose .1 is someone else's (a FIFO, a symlink): left to grow rather than replace it.
    for (const make of [(p: string) => execFileSync('mkfifo', [p]), (p: string) => symlinkSync(victim, p)]) {
      const log = join(dir(), 'x.log')
      writeFileSync(log, 'x'.repeat(100))
      make(`${log}.1`)
      assert.equal(await rotateLog(log, 10), 'kept')
      assert.equal(readFileSync(log, 'utf8').length, 100)
    }
    assert.equal(readFileSync(victim, 'utf8').length, 100)
  })
})
