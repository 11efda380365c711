import assert from 'node:assert/strict'
import {spawn, spawnSync} from 'node:child_process'
import {
  chmodSync,
  chownSync,
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import {hostname} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {fileURLToPath} from 'node:url'
import {isUserError} from '../../src/core/errors.js'
import {EXIT} from '../../src/core/exit-codes.js'
import {
  acquireLock,
  FLOCK_LOCATIONS,
  flockCommand,
  lockHeld,
  processStartTime,
  readLockOwner,
  systemFlock,
  withLock,
} from '../../src/fs/lock.js'
import {tempDir} from '../store/helpers/recordings.js'

const counterScript = fileURLToPath(new URL('./helpers/lock-counter.js', import.meta.url))
const holderScript = fileURLToPath(new URL('./helpers/lock-holder.js', import.meta.url))
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
    writeFileSync(
      lock,
      JSON.stringify({
        pid: deadPid(),
        host: hostname(),
        start: '1',
        pidns: readlinkSync('/proc/self/ns/pid'),
        token: 'old',
        at: Date.now(),
      }),
    )
    // Taken at once: with a live holder this would end in a timeout error instead.
    await withLock(lock, async () => assert.match(readFileSync(lock, 'utf8'), new RegExp(`"pid":${process.pid}`)), {
      timeoutMs: 10_000,
    })
  })

  it('breaks a lock whose pid now belongs to another process (pid reuse)', async () => {
    const lock = join(dir, 'reused.lock')
    writeFileSync(
      lock,
      JSON.stringify({
        pid: process.pid,
        host: hostname(),
        start: `${processStartTime(process.pid)}0`,
        pidns: readlinkSync('/proc/self/ns/pid'),
        token: 'old',
        at: Date.now(),
      }),
    )
    await withLock(lock, async () => undefined, {timeoutMs: 10_000})
  })

  it('waits for a live holder and gives up with exit CONFLICT', async () => {
    const lock = join(dir, 'held.lock')
    const held = await acquireLock(lock)
    const started = Date.now()
    await assert.rejects(
      withLock(lock, async () => undefined, {timeoutMs: 300, what: 'profile "x"'}),
      (e: unknown) => {
        assert.ok(isUserError(e))
        assert.equal(e.exit, EXIT.CONFLICT)
        assert.match(e.message, new RegExp(`could not lock profile "x" within 0 s: held by pid ${process.pid}`))
        assert.match(e.suggestions[0]!, /remove/)
        return true
      },
    )
    assert.ok(Date.now() - started >= 300)
    await held.release()
    await withLock(lock, async () => undefined, {timeoutMs: 300})
  })

  it('only a held flock counts: a left-over file is free at once whatever it says (another host, garbage)', async () => {
    const foreign = join(dir, 'foreign.lock')
    writeFileSync(
      foreign,
      JSON.stringify({pid: 1, host: 'another-host', start: null, pidns: null, token: 't', at: Date.now()}),
    )
    await withLock(foreign, async () => undefined, {timeoutMs: 0})
    const garbage = join(dir, 'garbage.lock')
    writeFileSync(garbage, 'not ours')
    assert.equal(readLockOwner(garbage), null)
    await withLock(garbage, async () => undefined, {timeoutMs: 0})
    assert.equal(existsSync(garbage), false, 'removed on release')
  })

  it('frees the lock of a holder killed with SIGKILL at once, also in another PID namespace', async () => {
    for (const prefix of [[], ['unshare', '--pid', '--fork', '--kill-child']]) {
      const lock = join(dir, `killed-${prefix.length}.lock`)
      const holder = spawn(
        prefix[0] ?? process.execPath,
        [...prefix.slice(1), ...(prefix.length ? [process.execPath] : []), holderScript, lock],
        {stdio: ['ignore', 'pipe', 'inherit']},
      )
      await new Promise((resolve) => holder.stdout!.once('data', resolve)) // "held"
      assert.equal(await lockHeld(lock), true)
      await assert.rejects(
        withLock(lock, async () => undefined, {timeoutMs: 200}),
        /could not lock .* held by pid/,
      )
      holder.kill('SIGKILL')
      await new Promise((resolve) => holder.once('exit', resolve))
      const started = Date.now()
      await withLock(lock, async () => undefined, {timeoutMs: 5000})
      assert.ok(Date.now() - started < 1000, `taken in ${Date.now() - started} ms`)
    }
  })

  it('a lock file is whole whenever it exists, however its holder is killed', async () => {
    const lock = join(dir, 'whole.lock')
    for (let i = 0; i < 12; i++) {
      const holder = spawn(process.execPath, [holderScript, lock], {stdio: 'ignore'})
      await new Promise((r) => setTimeout(r, 30 + ((i * 17) % 90)))
      holder.kill('SIGKILL')
      await new Promise((resolve) => holder.once('exit', resolve))
      if (existsSync(lock))
        assert.notEqual(readLockOwner(lock), null, `try ${i}: ${JSON.stringify(readFileSync(lock, 'utf8'))}`)
    }
    await withLock(lock, async () => assert.equal(readFileSync(lock).length, 512), {timeoutMs: 0})
  })

  it('lockHeld and readLockOwner look without taking or writing', async () => {
    const lock = join(dir, 'looked.lock')
    assert.equal(await lockHeld(lock), false)
    assert.equal(readLockOwner(lock), undefined)
    assert.equal(existsSync(lock), false)
    const held = await acquireLock(lock)
    assert.equal(await lockHeld(lock), true)
    assert.deepEqual(readLockOwner(lock), held.owner)
    await held.release()
    assert.equal(await lockHeld(lock), false)
  })

  it('refuses a symlink or a non-file as the lock file', async () => {
    writeFileSync(join(dir, 'target'), '')
    symlinkSync(join(dir, 'target'), join(dir, 'link.lock'))
    await assert.rejects(
      acquireLock(join(dir, 'link.lock'), {timeoutMs: 0}),
      (e: unknown) => isUserError(e) && e.exit === EXIT.REFUSED && e.code === 'symlink',
    )
    mkdirSync(join(dir, 'dir.lock'))
    await assert.rejects(
      acquireLock(join(dir, 'dir.lock'), {timeoutMs: 0}),
      (e: unknown) => isUserError(e) && e.exit === EXIT.REFUSED,
    )
  })

  it('creates lock files 0600 and takes group/other bits off an own lock file it opens', async () => {
    const lock = join(dir, 'private.lock')
    await withLock(lock, async () => assert.equal(statSync(lock).mode & 0o777, 0o600), {timeoutMs: 0})
    writeFileSync(lock, '', {mode: 0o644})
    chmodSync(lock, 0o644)
    await withLock(lock, async () => assert.equal(statSync(lock).mode & 0o777, 0o600), {timeoutMs: 0})
  })

  it('refuses (lock-foreign, exit 3) a lock file linked elsewhere or owned by another user, writing nothing into it', async () => {
    const isForeign = (e: unknown) => isUserError(e) && e.exit === EXIT.REFUSED && e.code === 'lock-foreign'
    const precious = join(dir, 'precious')
    writeFileSync(precious, 'do not overwrite', {mode: 0o644})
    linkSync(precious, join(dir, 'linked.lock'))
    await assert.rejects(
      acquireLock(join(dir, 'linked.lock'), {timeoutMs: 0}),
      (e: unknown) => isForeign(e) && /2 hard links/.test((e as Error).message),
    )
    assert.equal(readFileSync(precious, 'utf8'), 'do not overwrite')
    assert.equal(statSync(precious).mode & 0o777, 0o644)
    assert.equal(process.geteuid?.(), 0, 'this test chowns a file: run the unit tests as root')
    const foreign = join(dir, 'foreign.lock')
    writeFileSync(foreign, 'theirs')
    chownSync(foreign, 65534, 65534)
    await assert.rejects(
      acquireLock(foreign, {timeoutMs: 0}),
      (e: unknown) => isForeign(e) && /uid 65534/.test((e as Error).message),
    )
    assert.equal(readFileSync(foreign, 'utf8'), 'theirs')
  })

  it('takes a lock file whose creator was killed between link(2) and unlink(2): its temp name goes, the lock works', async () => {
    const lock = join(dir, 'half-created.lock')
    writeFileSync(lock, '')
    const temp = join(dir, `.half-created.lock.${deadPid()}.0123abcd.seccomp-recorder.tmp`)
    linkSync(lock, temp)
    const held = await acquireLock(lock, {timeoutMs: 0})
    assert.equal(existsSync(temp), false)
    assert.equal(statSync(lock).nlink, 1)
    assert.deepEqual(readLockOwner(lock), held.owner)
    await held.release()
  })

  it('releases on failure and does not remove a lock file that is no longer its own', async () => {
    const lock = join(dir, 'owned.lock')
    await assert.rejects(
      withLock(lock, async () => Promise.reject(new Error('boom'))),
      /boom/,
    )
    assert.equal(existsSync(lock), false)
    const held = await acquireLock(lock)
    rmSync(lock)
    writeFileSync(lock, JSON.stringify({...held.owner, token: 'someone-else'}))
    await held.release()
    assert.equal(existsSync(lock), true)
  })

  it('a waiter whose lock file was removed by the releasing holder takes the new one: never two holders', async () => {
    const lock = join(dir, 'handover.lock')
    const first = await acquireLock(lock)
    let inside = 0
    let most = 0
    const waiters = Array.from({length: 4}, () =>
      withLock(
        lock,
        async () => {
          most = Math.max(most, ++inside)
          await new Promise((r) => setTimeout(r, 20))
          inside--
        },
        {timeoutMs: 10_000},
      ),
    )
    await new Promise((r) => setTimeout(r, 100)) // all waiting on the first file
    await first.release()
    await Promise.all(waiters)
    assert.equal(most, 1)
    assert.equal(existsSync(lock), false)
  })

  it('finds flock(1) only in FLOCK_LOCATIONS as root; $PATH only for others; missing as root is a PREREQUISITE error', () => {
    assert.ok(FLOCK_LOCATIONS.every((path) => path.startsWith('/')))
    const present = join(dir, 'flock-here')
    writeFileSync(present, '')
    const absent = [join(dir, 'no-flock')]
    assert.equal(systemFlock([...absent, present]), present)
    assert.equal(systemFlock(absent), undefined)
    assert.equal(flockCommand([...absent, present], 0), present)
    assert.equal(flockCommand(absent, 1000), 'flock')
    assert.throws(
      () => flockCommand(absent, 0),
      (error: unknown) =>
        isUserError(error) && error.exit === EXIT.PREREQUISITE && /\$PATH is not searched/.test(error.message),
    )
  })
})
