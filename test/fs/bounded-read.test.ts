import assert from 'node:assert/strict'
import {closeSync, openSync, symlinkSync, truncateSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, afterEach, before, describe, it} from 'node:test'
import {EXIT} from '../../src/core/exit-codes.js'
import {
  BoundedReadError,
  formatSize,
  readBoundedFile,
  readBoundedText,
  readBoundedTextIfExists,
} from '../../src/fs/bounded-read.js'
import {assertDevNullIntact, identity, makeSpecialFiles, type SpecialFiles} from './helpers.js'

function refusal(fn: () => unknown): BoundedReadError {
  try {
    fn()
  } catch (error) {
    assert.ok(error instanceof BoundedReadError, `not a BoundedReadError: ${(error as Error).stack}`)
    assert.equal(error.exit, EXIT.USAGE)
    assert.doesNotMatch(error.message, /\n/)
    return error
  }
  assert.fail('expected a refusal')
}

describe('readBoundedFile', () => {
  let files: SpecialFiles
  before(async () => {
    files = await makeSpecialFiles('bounded-read')
  })
  after(async () => {
    await files.close()
  })
  afterEach(() => assertDevNullIntact())

  it('reads a regular file whole, up to and including the cap', () => {
    const path = join(files.dir, 'ok.json')
    writeFileSync(path, 'x'.repeat(100))
    assert.equal(readBoundedText(path, {maxBytes: 100}), 'x'.repeat(100))
    writeFileSync(path, '')
    assert.equal(readBoundedFile(path, {maxBytes: 100}).length, 0)
  })

  it('refuses a file over the cap before reading it (a sparse 5 GiB file)', () => {
    const path = join(files.dir, 'huge.json')
    writeFileSync(path, '')
    truncateSync(path, 5 * 1024 ** 3)
    const error = refusal(() => readBoundedFile(path, {maxBytes: 4 * 1024 * 1024}))
    assert.equal(error.message, `cannot read ${path}: is larger than 4 MiB (5368709120 bytes)`)
    assert.equal(error.problem, 'too-large')
  })

  it('never reads more than the cap from a file whose size it did not know (/proc reports 0)', () => {
    // /proc/self/maps of a Node process is several KiB but stat says 0: the cap holds while reading.
    const error = refusal(() => readBoundedFile('/proc/self/maps', {maxBytes: 64}))
    assert.match(error.reason, /grew past 64 bytes while being read/)
    assert.ok(readBoundedText('/proc/self/maps', {maxBytes: 1024 * 1024}).length > 64)
  })

  for (const [name, what] of [
    ['fifo', 'a FIFO'],
    ['zero', 'a character device'],
    ['linkToZero', 'a character device'],
    ['null', 'a character device'],
    ['block', 'a block device'],
    ['socket', 'a socket'],
    ['directory', 'a directory'],
  ] as const) {
    it(`refuses ${name} (${what}) without blocking or growing, and leaves it as it was`, () => {
      const path = files[name]
      const before = identity(path)
      const started = Date.now()
      const error = refusal(() => readBoundedFile(path, {maxBytes: 1024}))
      assert.ok(Date.now() - started < 1000)
      assert.equal(error.message, `cannot read ${path}: is ${what}, not a regular file`)
      assert.equal(error.problem, 'not-a-file')
      assert.deepEqual(identity(path), before)
    })
  }

  it('does not block on a FIFO that has a writer but no data', () => {
    const writer = openSync(files.fifo, 'r+') // O_RDWR never blocks on Linux: the FIFO has a writer now
    try {
      refusal(() => readBoundedFile(files.fifo, {maxBytes: 1024}))
    } finally {
      closeSync(writer)
    }
  })

  it('with noFollow refuses a symlink even to a regular file', () => {
    const real = join(files.dir, 'real.json')
    const link = join(files.dir, 'link.json')
    writeFileSync(real, '{}')
    symlinkSync(real, link)
    assert.equal(readBoundedText(link, {maxBytes: 10}), '{}')
    assert.match(refusal(() => readBoundedFile(link, {maxBytes: 10, noFollow: true})).reason, /is a symlink/)
  })

  it('tells a missing file apart (readBoundedTextIfExists gives undefined)', () => {
    const path = join(files.dir, 'missing.json')
    assert.equal(refusal(() => readBoundedFile(path, {maxBytes: 10})).problem, 'missing')
    assert.equal(readBoundedTextIfExists(path, {maxBytes: 10}), undefined)
    assert.throws(() => readBoundedTextIfExists(files.fifo, {maxBytes: 10}), /is a FIFO/)
  })

  it('formats caps for messages', () => {
    assert.equal(formatSize(16 * 1024 * 1024), '16 MiB')
    assert.equal(formatSize(256 * 1024), '256 KiB')
    assert.equal(formatSize(1000), '1000 bytes')
  })
})
