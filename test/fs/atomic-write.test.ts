import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {fileURLToPath} from 'node:url'
import {
  AtomicWriteError,
  leftoverTempPid,
  tempFileName,
  TEMP_FILE,
  writeFileAtomic,
  writeFileAtomicSync,
} from '../../src/fs/atomic-write.js'
import {tempDir} from '../store/helpers/recordings.js'
import {assertDevNullIntact} from './helpers.js'

const crashWriter = fileURLToPath(new URL('./helpers/crash-writer.js', import.meta.url))
const base = tempDir('atomic-write-')
after(() => {
  rmSync(base, {recursive: true, force: true})
  assertDevNullIntact()
})
let n = 0
const fresh = () => {
  const dir = join(base, String(++n))
  mkdirSync(dir)
  return dir
}

describe('atomic write: one temp name, one recogniser', () => {
  it("names temp files `.<name>.<pid>.<8 hex>.seccomp-recorder.tmp` (marked as ours), recognised with the writer's pid", () => {
    const name = tempFileName('web.json')
    assert.match(name, /^\.web\.json\.[0-9]+\.[0-9a-f]{8}\.seccomp-recorder\.tmp$/)
    assert.match(name, TEMP_FILE)
    assert.equal(leftoverTempPid(name), process.pid)
    assert.equal(leftoverTempPid(name, {ownDirectory: true}), process.pid)
  })

  it('keeps a temp name within NAME_MAX for the longest file names', async () => {
    const dir = fresh()
    const long = `${'é'.repeat(100)}${'a'.repeat(50)}` // 250 bytes
    assert.ok(Buffer.byteLength(tempFileName(long)) <= 255)
    assert.equal(leftoverTempPid(tempFileName(long)), process.pid)
    await writeFileAtomic(join(dir, long), 'x')
    assert.equal(readFileSync(join(dir, long), 'utf8'), 'x')
  })

  it('still recognises the names older versions left (cleanup only): marked ones everywhere, unmarked ones only in our own directories', () => {
    assert.equal(leftoverTempPid('.seccomp-recorder-tmp.4242.0123456789ab'), 4242) // Dir.writeFileAtomic's
    assert.equal(leftoverTempPid('.seccomp-recorder-tmp.4242.0123456789ab', {ownDirectory: true}), 4242)
    const unmarked: Array<[string, number]> = [
      ['.web.json.4242.0123abcd.tmp', 4242],
      ['c.3f2a.lock.99.0123abcd.tmp', 99],
      ['ns.42.lock.break.7.0123abcd.tmp', 7],
    ]
    for (const [name, pid] of unmarked) {
      assert.equal(leftoverTempPid(name, {ownDirectory: true}), pid, name) // the first unified protocol's, the lock's
      assert.equal(leftoverTempPid(name), undefined, `${name}: another tool's temp file may look the same`)
      assert.equal(leftoverTempPid(name, {ownDirectory: false}), undefined, name)
    }
    const others = [
      '.seccomp-recorder-tmp.notours',
      'web.json',
      '.3f2a.1234.tmp',
      '.x.12.0123abcg.tmp',
      'x.12.0123abcd.tmp',
      '.seccomp-recorder-install.99.0',
      '.x.12.0123abcd.other.tmp',
      'x.12.0123abcd.seccomp-recorder.tmp',
    ]
    for (const other of others) {
      assert.equal(leftoverTempPid(other), undefined, other)
      assert.equal(leftoverTempPid(other, {ownDirectory: true}), undefined, other)
    }
  })
})

describe('atomic write: the protocol', () => {
  for (const how of ['async', 'sync'] as const) {
    const write = async (
      dir: string,
      name: string,
      text: string,
      options: {mode?: number; exactMode?: boolean} = {},
    ) =>
      how === 'async' ? writeFileAtomic(join(dir, name), text, options) : writeFileAtomicSync(dir, name, text, options)

    it(`${how}: replaces a file whole, leaves no temp file, creates with the mode`, async () => {
      const dir = fresh()
      writeFileSync(join(dir, 'doc'), 'old')
      await write(dir, 'doc', 'new', {mode: 0o600})
      assert.equal(readFileSync(join(dir, 'doc'), 'utf8'), 'new')
      assert.equal(statSync(join(dir, 'doc')).mode & 0o777, 0o600)
      assert.deepEqual(readdirSync(dir), ['doc'])
    })

    it(`${how}: replaces a symlink itself, never what it points to`, async () => {
      const dir = fresh()
      writeFileSync(join(dir, 'elsewhere'), 'keep')
      symlinkSync(join(dir, 'elsewhere'), join(dir, 'doc'))
      await write(dir, 'doc', 'new')
      assert.equal(readFileSync(join(dir, 'elsewhere'), 'utf8'), 'keep')
      assert.ok(lstatSync(join(dir, 'doc')).isFile())
    })

    it(`${how}: a failed rename (a directory at the target) removes the temp file`, async () => {
      const dir = fresh()
      mkdirSync(join(dir, 'doc'))
      writeFileSync(join(dir, 'doc', 'inside'), 'x')
      await assert.rejects(write(dir, 'doc', 'new'))
      assert.deepEqual(readdirSync(dir), ['doc'])
    })
  }

  it('sync: exactMode is not subject to the umask; errors name their step', () => {
    const dir = fresh()
    const umask = process.umask(0o077)
    try {
      writeFileAtomicSync(dir, 'doc', 'x', {mode: 0o644, exactMode: true})
    } finally {
      process.umask(umask)
    }
    assert.equal(statSync(join(dir, 'doc')).mode & 0o777, 0o644)
    assert.throws(
      () => writeFileAtomicSync(join(dir, 'missing'), 'doc', 'x'),
      (e: unknown) => e instanceof AtomicWriteError && e.step === 'create',
    )
  })

  it('sync: beforeRename refuses; the target is untouched and the temp file gone', () => {
    const dir = fresh()
    writeFileSync(join(dir, 'doc'), 'old')
    assert.throws(
      () =>
        writeFileAtomicSync(dir, 'doc', 'new', {
          beforeRename: () => {
            assert.equal(
              readdirSync(dir).filter((f) => TEMP_FILE.test(f)).length,
              1,
              'the temp file is complete by then',
            )
            throw new Error('refused')
          },
        }),
      /^Error: refused$/,
    )
    assert.equal(readFileSync(join(dir, 'doc'), 'utf8'), 'old')
    assert.deepEqual(readdirSync(dir), ['doc'])
  })

  for (const how of ['async', 'dir'] as const) {
    it(`${how}: a writer killed half-way leaves the old document and a leftover gc recognises (with its pid)`, () => {
      const dir = fresh()
      writeFileSync(join(dir, 'doc.json'), '{"old":true}')
      const child = spawnSync(
        process.execPath,
        [crashWriter, how, dir, 'doc.json', JSON.stringify({new: 'x'.repeat(4096)})],
        {encoding: 'utf8'},
      )
      assert.equal(child.signal, 'SIGKILL', child.stderr)
      assert.equal(readFileSync(join(dir, 'doc.json'), 'utf8'), '{"old":true}')
      const leftovers = readdirSync(dir).filter((f) => f !== 'doc.json')
      assert.equal(leftovers.length, 1)
      assert.match(leftovers[0]!, /^\.doc\.json\./)
      assert.equal(leftoverTempPid(leftovers[0]!), child.pid)
      assert.ok(existsSync(join(dir, leftovers[0]!)))
    })
  }
})
