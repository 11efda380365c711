/**
 * End to end on the real kernel: `record --output` given a character device or a FIFO (made in a temp dir, never the
 * machine's /dev) writes the profile through it and leaves the node as it was; a FIFO nobody reads is refused after
 * the recording instead of hanging, and the run is kept in the store when --name asked for it. Runs its own
 * recorder (SECCOMP_RECORDER_BPFFS) so no other test's recordings are at stake.
 */
import assert from 'node:assert/strict'
import {spawn, spawnSync} from 'node:child_process'
import {mkdtempSync, readdirSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {EXIT} from '../../src/core/exit-codes.js'
import {REPO_ROOT, runCli} from '../helpers/cli.js'
import {assertDevNullIntact, identity, makeSpecialFiles, tempFiles, type SpecialFiles} from '../fs/helpers.js'
import {BUSYBOX, nativeHelper, requireKernelPrerequisites} from './harness.js'

const work = mkdtempSync(join(tmpdir(), 'scr-e2e-record-output-'))
const env: NodeJS.ProcessEnv = {
  SECCOMP_RECORDER_BPFFS: `/sys/fs/bpf/scr-test-record-output-${process.pid}`,
  SECCOMP_RECORDER_STORE: join(work, 'store'),
}

describe('record --output on devices and FIFOs (real kernel)', () => {
  let files: SpecialFiles
  before(async () => {
    requireKernelPrerequisites()
    files = await makeSpecialFiles('e2e-record-output')
  })
  after(async () => {
    spawnSync(await nativeHelper(), ['detach'], {env: {...process.env, ...env}})
    await files.close()
    rmSync(work, {recursive: true, force: true})
    assertDevNullIntact()
  })

  it('writes the profile through a character device: same inode, still a device, no temp file', () => {
    const before = identity(files.null)
    const run = runCli(['record', '--output', files.null, '--', BUSYBOX, 'uname'], {env})
    assert.equal(run.status, EXIT.OK, run.stderr)
    assert.deepEqual(identity(files.null), before)
    assert.deepEqual(tempFiles(files.dir), [])
    assertDevNullIntact()
  })

  it('writes the profile through a FIFO to its reader', async () => {
    const before = identity(files.fifo)
    const reader = spawn('cat', [files.fifo], {stdio: ['ignore', 'pipe', 'inherit']})
    let text = ''
    reader.stdout.setEncoding('utf8').on('data', (chunk: string) => (text += chunk))
    const closed = new Promise((resolve) => reader.on('close', resolve))
    // cat opens the FIFO when it starts: record writes after its command ran, by then the reader is there.
    const run = spawnSync(
      process.execPath,
      [
        join(REPO_ROOT, 'bin', 'run.js'),
        'record',
        '--output',
        files.fifo,
        '--',
        BUSYBOX,
        'sh',
        '-c',
        'sleep 0.5; uname',
      ],
      {encoding: 'utf8', env: {...process.env, ...env, NO_COLOR: '1'}},
    )
    await closed
    assert.equal(run.status, EXIT.OK, run.stderr)
    assert.match(text, /"defaultAction": "SCMP_ACT_ERRNO"/)
    assert.match(text, /"uname"/)
    assert.deepEqual(identity(files.fifo), before)
  })

  it('refuses a FIFO nobody reads at once (exit 2) and keeps the --name run in the store', () => {
    const before = identity(files.fifo)
    const started = Date.now()
    const run = runCli(['record', '--name', 'fs-e2e/fifo', '--output', files.fifo, '--', BUSYBOX, 'uname'], {env})
    assert.ok(Date.now() - started < 60_000)
    assert.equal(run.status, EXIT.USAGE, run.stderr)
    assert.match(run.stderr.split('\n')[0]!, /^Error: refusing to write .*fifo: it is a FIFO that nobody reads$/)
    assert.deepEqual(identity(files.fifo), before)
    assert.equal(
      readdirSync(join(work, 'store', 'recordings', 'fs-e2e_2Ffifo')).filter((f) => f.endsWith('.json')).length,
      1,
    )
    assert.ok(statSync(files.fifo).isFIFO())
  })
})
