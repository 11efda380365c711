/**
 * The output rules through the real CLI: `profiles merge --output`, `profiles build --output` and `record --output`
 * given a character device, a FIFO (with and without a reader), a socket, a block device, a directory or a symlink
 * to a device, all made in a temp dir. The node stays what it was (same inode, same type), content is written
 * through where that applies, refusals are one clear line with exit 2, and no temp file is left.
 */
import assert from 'node:assert/strict'
import {closeSync, constants, existsSync, openSync, readdirSync, readFileSync, readSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {after, afterEach, before, describe, it} from 'node:test'
import {EXIT} from '../../src/core/exit-codes.js'
import {fixture, runCli, type CliRun} from '../helpers/cli.js'
import {copyFixtureStore} from '../store/helpers/recordings.js'
import {
  assertDevNullIntact,
  identity,
  makeSpecialFiles,
  targetIdentity,
  tempFiles,
  type SpecialFiles,
} from './helpers.js'

const A = fixture('profiles', 'valid', 'minimal.json')
const B = fixture('profiles', 'valid', 'recorded-busybox.json')

function assertRefused(run: CliRun, message: RegExp): void {
  assert.equal(run.status, EXIT.USAGE, run.stderr)
  const first = run.stderr.split('\n')[0]!
  assert.match(first, /^Error: /)
  assert.match(first, message)
  assert.doesNotMatch(run.stderr, /\n\s+at .*\.js:\d+/, 'a stack trace')
}

describe('CLI outputs that are not regular files', () => {
  let files: SpecialFiles
  before(async () => {
    files = await makeSpecialFiles('output-cli')
  })
  after(async () => {
    await files.close()
  })
  afterEach(() => {
    assert.deepEqual(tempFiles(files.dir), [], 'a temp file was left behind')
    assertDevNullIntact()
  })

  it('profiles merge --output writes through a character device and a symlink to one', () => {
    for (const path of [files.null, files.linkToNull]) {
      const before = identity(path)
      const device = targetIdentity(path)
      const run = runCli(['profiles', 'merge', A, B, '--output', path])
      assert.equal(run.status, EXIT.OK, run.stderr)
      assert.deepEqual(identity(path), before)
      assert.deepEqual(targetIdentity(path), device)
    }
  })

  it('profiles merge --output writes through a FIFO that has a reader, and refuses one that has none', () => {
    const before = identity(files.fifo)
    const started = Date.now()
    assertRefused(
      runCli(['profiles', 'merge', A, B, '--output', files.fifo]),
      /refusing to write .*fifo: it is a FIFO that nobody reads/,
    )
    assert.ok(Date.now() - started < 60_000)

    const reader = openSync(files.fifo, constants.O_RDONLY | constants.O_NONBLOCK)
    try {
      const run = runCli(['profiles', 'merge', A, B, '--output', files.fifo])
      assert.equal(run.status, EXIT.OK, run.stderr)
      const buffer = Buffer.alloc(1024 * 1024)
      const n = readSync(reader, buffer, 0, buffer.length, null)
      const expected = runCli(['profiles', 'merge', A, B]).stdout
      assert.equal(buffer.subarray(0, n).toString('utf8'), expected)
    } finally {
      closeSync(reader)
    }
    assert.deepEqual(identity(files.fifo), before)
  })

  it('profiles merge --output reports a full device with exit 2', () => {
    assertRefused(
      runCli(['profiles', 'merge', A, B, '--output', files.full]),
      /cannot write .*full: no space left on the device/,
    )
    assert.equal(identity(files.full).type, constants.S_IFCHR)
  })

  for (const [name, what] of [
    ['socket', 'a socket'],
    ['block', 'a block device'],
    ['directory', 'a directory'],
  ] as const) {
    it(`profiles merge and record refuse ${what} as --output with exit 2, before doing the work`, () => {
      const path = files[name]
      const before = identity(path)
      assertRefused(
        runCli(['profiles', 'merge', A, B, '--output', path]),
        new RegExp(`refusing to write ${path}: it is ${what}`),
      )
      // record refuses before it builds the recorder or runs the command: no root or BPF needed for this.
      const marker = join(files.dir, `ran-${name}`)
      assertRefused(
        runCli(['record', '--output', path, '--', 'sh', '-c', `touch ${marker}`]),
        new RegExp(`refusing to write ${path}: it is ${what}`),
      )
      assert.equal(existsSync(marker), false, 'record ran the command although it could not write the output')
      assert.deepEqual(identity(path), before)
    })
  }

  it('profiles build --output writes through a device without a coverage sidecar beside it', () => {
    const store = copyFixtureStore()
    try {
      const before = identity(files.null)
      const entries = readdirSync(files.dir).sort()
      const run = runCli(['profiles', 'build', 'tools/busybox', '--store', store, '--output', files.null, '--json'])
      assert.equal(run.status, EXIT.OK, run.stderr)
      const output = JSON.parse(run.stdout) as {
        profiles: Array<{written: {profile: string | null; coverage: string | null}}>
      }
      assert.deepEqual(output.profiles[0]!.written, {profile: files.null, coverage: null, spo: null})
      assert.deepEqual(identity(files.null), before)
      assert.deepEqual(readdirSync(files.dir).sort(), entries, 'nothing created beside the device')
      assertRefused(
        runCli(['profiles', 'build', 'tools/busybox', '--store', store, '--output', files.socket]),
        /it is a socket/,
      )

      const file = join(files.dir, 'busybox.json')
      assert.equal(runCli(['profiles', 'build', 'tools/busybox', '--store', store, '--output', file]).status, EXIT.OK)
      assert.match(readFileSync(file, 'utf8'), /SCMP_ACT_ERRNO/)
      assert.ok(existsSync(join(files.dir, 'busybox.coverage.json')))
    } finally {
      rmSync(store, {recursive: true, force: true})
    }
  })
})
