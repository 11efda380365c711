import assert from 'node:assert/strict'
import {spawn, spawnSync} from 'node:child_process'
import {existsSync, readFileSync, readlinkSync, rmSync, utimesSync, writeFileSync} from 'node:fs'
import {hostname} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {fileURLToPath} from 'node:url'
import {isUserError} from '../../src/core/errors.js'
import {EXIT} from '../../src/core/exit-codes.js'
import {acquireLock, processStartTime, withLock} from '../../src/fs/lock.js'
import {tempDir} from '../store/helpers/recordings.js'

const counterScript = fileURLToPath(new URL('./helpers/lock-counter.js', import.meta.url))
const dir = tempDir('lock-')
after(() => rmSync(dir, {recursive: true, force: true}))

function run(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {stdio: ['ignore', 'ignore', 'inherit']})
    child.on('error', reject)
    child.on('exit', (code) => resolve(code ?? -1))
  })
}

function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {encoding: 'utf8'})
  return Number(child.stdout)
}


describe('lock', () => {
  it('excludes other processes: 6 processes × 40 locked increments lose nothing', async () => {
    const lock = join(dir, 'counter.lock')
    const counter = join(dir, 'counter')
    writeFileSync(counter, '0')
    const codes = await Promise.all(Array.from({length: 6}, () => run([counterScript, lock, counter, '40'])))
    assert.deepEqual(codes, [0, 0, 0, 0, 0, 0])
    assert.equal(readFileSync(counter, 'utf8'), '240')
    assert.equal(existsSync(lock), false, 'released')
  })

  it('breaks the lock of a process that died (kill -9 leaves one behind)', async () => {
    const lock = join(dir, 'dead.lock')
    writeFileSync(lock, JSON.stringify({pid: deadPid(), host: hostname(), start: '1', pidns: readlinkSync('/proc/self/ns/pid'), token: 'old', at: Date.now()}))
    // Taken at once: with a live holder this would end in a timeout error instead.
    await withLock(lock, async () => assert.match(readFileSync(lock, 'utf8'), new RegExp(`"pid":${process.pid}`)), {timeoutMs: 10_000})
  })

  it('breaks a lock whose pid now belongs to another process (pid reuse)', async () => {
    const lock = join(dir, 'reused.lock')
    writeFileSync(lock, JSON.stringify({pid: process.pid, host: hostname(), start: `${processStartTime(process.pid)}0`, pidns: readlinkSync('/proc/self/ns/pid'), token: 'old', at: Date.now()}))
    await withLock(lock, async () => undefined, {timeoutMs: 10_000})
  })

  it('waits for a live holder and gives up with exit CONFLICT', async () => {
    const lock = join(dir, 'held.lock')
    const held = await acquireLock(lock)
    const started = Date.now()
    await assert.rejects(withLock(lock, async () => undefined, {timeoutMs: 300, what: 'profile "x"'}), (e: unknown) => {
      assert.ok(isUserError(e))
      assert.equal(e.exit, EXIT.CONFLICT)
      assert.match(e.message, new RegExp(`could not lock profile "x" within 0 s: held by pid ${process.pid}`))
      assert.match(e.suggestions[0]!, /remove/)
      return true
    })
    assert.ok(Date.now() - started >= 300)
    await held.release()
    await withLock(lock, async () => undefined, {timeoutMs: 300})
  })

  it('breaks a foreign lock only after staleMs, and unreadable ones after 5 s', async () => {
    const foreign = join(dir, 'foreign.lock')
    writeFileSync(foreign, JSON.stringify({pid: 1, host: 'another-host', start: null, pidns: null, token: 't', at: Date.now() - 60_000}))
    await withLock(foreign, async () => undefined, {timeoutMs: 1000, staleMs: 30_000})
    writeFileSync(foreign, JSON.stringify({pid: 1, host: 'another-host', start: null, pidns: null, token: 't', at: Date.now()}))
    await assert.rejects(withLock(foreign, async () => undefined, {timeoutMs: 200, staleMs: 30_000}), /could not lock/)
    const garbage = join(dir, 'garbage.lock')
    writeFileSync(garbage, 'not ours')
    await assert.rejects(withLock(garbage, async () => undefined, {timeoutMs: 200}), /unknown process/)
    utimesSync(garbage, new Date(Date.now() - 10_000), new Date(Date.now() - 10_000))
    await withLock(garbage, async () => undefined, {timeoutMs: 1000})
  })

  it('releases on failure and does not remove a lock it no longer owns', async () => {
    const lock = join(dir, 'owned.lock')
    await assert.rejects(withLock(lock, async () => Promise.reject(new Error('boom'))), /boom/)
    assert.equal(existsSync(lock), false)
    const held = await acquireLock(lock)
    writeFileSync(lock, JSON.stringify({...held.owner, token: 'someone-else'}))
    await held.release()
    assert.equal(existsSync(lock), true)
  })
})
