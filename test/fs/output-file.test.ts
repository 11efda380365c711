import assert from 'node:assert/strict'
import {
  chmodSync,
  closeSync,
  constants,
  lstatSync,
  openSync,
  readFileSync,
  readSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {after, afterEach, before, describe, it} from 'node:test'
import {UserError} from '../../src/core/errors.js'
import {EXIT} from '../../src/core/exit-codes.js'
import {outputTarget, writeOutputFile} from '../../src/fs/output-file.js'
import {
  assertDevNullIntact,
  identity,
  makeSpecialFiles,
  targetIdentity,
  tempFiles,
  type SpecialFiles,
} from './helpers.js'

const PROFILE = `${JSON.stringify({defaultAction: 'SCMP_ACT_ERRNO', syscalls: []}, null, 2)}\n`

async function refusal(promise: Promise<unknown>): Promise<UserError> {
  try {
    await promise
  } catch (error) {
    assert.ok(error instanceof UserError, `not a UserError: ${(error as Error).stack}`)
    assert.doesNotMatch(error.message, /\n/, 'a one-line message')
    return error
  }
  assert.fail('expected a refusal')
}

describe('writeOutputFile', () => {
  let files: SpecialFiles
  before(async () => {
    files = await makeSpecialFiles('output-file')
  })
  after(async () => {
    await files.close()
  })
  afterEach(() => {
    assert.deepEqual(tempFiles(files.dir), [], 'a temp file was left behind')
    assertDevNullIntact()
  })

  it('creates an absent file and replaces a regular one atomically, keeping its permission bits', async () => {
    const path = join(files.dir, 'new.json')
    assert.deepEqual(await writeOutputFile(path, PROFILE), {kind: 'file', path, exists: false})
    assert.equal(readFileSync(path, 'utf8'), PROFILE)
    assert.equal(statSync(path).mode & 0o777, 0o644)
    chmodSync(path, 0o600)
    const before = identity(path)
    await writeOutputFile(path, 'second\n')
    assert.equal(readFileSync(path, 'utf8'), 'second\n')
    assert.notEqual(identity(path).ino, before.ino, 'replaced by rename, not rewritten in place')
    assert.equal(statSync(path).mode & 0o777, 0o600)
  })

  it('follows a symlink to a regular file: the file is replaced, the link stays', async () => {
    const real = join(files.dir, 'real.json')
    const link = join(files.dir, 'link.json')
    writeFileSync(real, 'old\n')
    symlinkSync(real, link)
    await writeOutputFile(link, PROFILE)
    assert.ok(lstatSync(link).isSymbolicLink())
    assert.equal(readFileSync(real, 'utf8'), PROFILE)
  })

  it('writes through a character device (a null device made with mknod): same inode, still a device', async () => {
    const before = identity(files.null)
    const target = await writeOutputFile(files.null, PROFILE)
    assert.equal(target.kind, 'device')
    assert.deepEqual(identity(files.null), before)
  })

  it('writes through a symlink to a device: the link and the device stay what they were', async () => {
    const link = identity(files.linkToNull)
    const device = targetIdentity(files.linkToNull)
    await writeOutputFile(files.linkToNull, PROFILE)
    assert.deepEqual(identity(files.linkToNull), link)
    assert.deepEqual(targetIdentity(files.linkToNull), device)
  })

  it('reports a device that refuses the write (full: ENOSPC) with exit 2, and leaves it as it was', async () => {
    const before = identity(files.full)
    const error = await refusal(writeOutputFile(files.full, PROFILE))
    assert.equal(error.exit, EXIT.USAGE)
    assert.match(error.message, new RegExp(`cannot write ${files.full}: no space left on the device`))
    assert.deepEqual(identity(files.full), before)
  })

  it('refuses a FIFO nobody reads at once, instead of hanging', async () => {
    const before = identity(files.fifo)
    const started = Date.now()
    const error = await refusal(writeOutputFile(files.fifo, PROFILE))
    assert.ok(Date.now() - started < 2000)
    assert.equal(error.exit, EXIT.USAGE)
    assert.match(error.message, /refusing to write .*fifo: it is a FIFO that nobody reads/)
    assert.deepEqual(identity(files.fifo), before)
  })

  it('writes through a FIFO with a reader, waiting for it when the pipe is full (256 KiB > the pipe buffer)', async () => {
    const before = identity(files.fifo)
    const reader = openSync(files.fifo, constants.O_RDONLY | constants.O_NONBLOCK)
    const data = Buffer.alloc(256 * 1024, 'x')
    const received: Buffer[] = []
    let done = false
    const writing = writeOutputFile(files.fifo, data).finally(() => (done = true))
    try {
      const chunk = Buffer.alloc(64 * 1024)
      for (let total = 0; total < data.length;) {
        let n = 0
        try {
          n = readSync(reader, chunk, 0, chunk.length, null)
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error
        }
        if (n > 0) received.push(Buffer.from(chunk.subarray(0, n)))
        total += n
        if (n === 0) await sleep(2)
      }
      assert.equal((await writing).kind, 'device')
      assert.ok(done)
    } finally {
      closeSync(reader)
    }
    assert.ok(Buffer.concat(received).equals(data), 'the reader got every byte, in order')
    assert.deepEqual(identity(files.fifo), before)
  })

  for (const [name, what] of [
    ['socket', 'a socket'],
    ['block', 'a block device'],
    ['directory', 'a directory'],
  ] as const) {
    it(`refuses ${what} with exit 2 and leaves it as it was`, async () => {
      const path = files[name]
      const before = identity(path)
      const error = await refusal(writeOutputFile(path, PROFILE))
      assert.equal(error.exit, EXIT.USAGE)
      assert.equal(
        error.message,
        `refusing to write ${path}: it is ${what}; an output must be a regular file, a FIFO or a character device`,
      )
      assert.deepEqual(identity(path), before)
      assert.throws(() => outputTarget(path), /refusing to write/)
    })
  }

  it('refuses a symlink to nothing (it would replace the link)', async () => {
    const link = join(files.dir, 'dangling.json')
    symlinkSync(join(files.dir, 'nowhere', 'x.json'), link)
    const error = await refusal(writeOutputFile(link, PROFILE))
    assert.match(error.message, /is a symlink to nothing/)
    assert.ok(lstatSync(link).isSymbolicLink())
  })

  it("writes /dev/fd/N to this process's descriptor N, where it stands", async () => {
    const path = join(files.dir, 'fd.txt')
    writeFileSync(path, '')
    const fd = openSync(path, constants.O_WRONLY | constants.O_APPEND)
    try {
      assert.deepEqual(await writeOutputFile(`/dev/fd/${fd}`, 'one\n'), {kind: 'descriptor', fd})
      assert.deepEqual(await writeOutputFile(`/proc/self/fd/${fd}`, 'two\n'), {kind: 'descriptor', fd})
    } finally {
      closeSync(fd)
    }
    assert.equal(readFileSync(path, 'utf8'), 'one\ntwo\n')
    await refusal(writeOutputFile('/dev/fd/987', 'x'))
  })

  it('reports a missing directory as exit 2 without a stack', async () => {
    const error = await refusal(writeOutputFile(join(files.dir, 'no', 'such', 'dir.json'), PROFILE))
    assert.equal(error.exit, EXIT.USAGE)
    assert.match(error.message, /cannot write .*dir\.json: no such file or directory/)
  })
})
