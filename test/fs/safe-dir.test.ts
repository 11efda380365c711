import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {isUserError} from '../../src/core/errors.js'
import {EXIT} from '../../src/core/exit-codes.js'
import {leftoverTempPid} from '../../src/fs/atomic-write.js'
import {Dir} from '../../src/fs/safe-dir.js'
import {tempDir} from '../store/helpers/recordings.js'
import {assertDevNullIntact} from './helpers.js'

const base = tempDir('safe-dir-')
after(() => {
  rmSync(base, {recursive: true, force: true})
  assertDevNullIntact()
})
let n = 0
function fresh(): {path: string; dir: Dir} {
  const path = join(base, String(++n))
  mkdirSync(path)
  return {path, dir: Dir.openRoot(path, {create: false})!}
}

/** The pid of a process that has ended. */
function deadPid(): number {
  return Number(
    spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {encoding: 'utf8'}).stdout,
  )
}

describe('Dir.writeFileAtomic (the atomic-write protocol, relative to a checked directory)', () => {
  it("writes 0644 whatever the umask, with the protocol's temp names, leaving none", () => {
    const {path, dir} = fresh()
    const names: string[] = []
    const umask = process.umask(0o077)
    try {
      dir.writeFileAtomic('p.json', Buffer.from('{}'), {afterPartialWrite: () => names.push(...readdirSync(path))})
    } finally {
      process.umask(umask)
      dir.close()
    }
    assert.equal(names.length, 1)
    assert.equal(leftoverTempPid(names[0]!), process.pid)
    assert.match(names[0]!, /^\.p\.json\./)
    assert.equal(statSync(join(path, 'p.json')).mode & 0o777, 0o644)
    assert.deepEqual(readdirSync(path), ['p.json'])
  })

  it('refuses to replace a device, FIFO, socket or directory (exit 3) and leaves no temp file', () => {
    const {path, dir} = fresh()
    const made = spawnSync('sh', ['-c', `mknod "${path}/null" c 1 3 && mkfifo "${path}/fifo" && mkdir "${path}/dir"`])
    assert.equal(made.status, 0, `mknod/mkfifo failed: ${made.stderr}`)
    const sock = spawnSync('python3', [
      '-c',
      `import socket; s = socket.socket(socket.AF_UNIX); s.bind("${path}/sock")`,
    ])
    assert.equal(sock.status, 0, `cannot make a socket: ${sock.stderr}`)
    try {
      for (const [name, what] of [
        ['null', 'character device'],
        ['fifo', 'FIFO'],
        ['sock', 'socket'],
        ['dir', 'directory'],
      ] as const) {
        assert.throws(
          () => dir.writeFileAtomic(name, Buffer.from('x')),
          (e: unknown) =>
            isUserError(e) &&
            e.exit === EXIT.REFUSED &&
            e.message.includes(join(path, name)) &&
            e.message.toLowerCase().includes(what.toLowerCase()),
          name,
        )
      }
    } finally {
      dir.close()
    }
    assert.ok(lstatSync(join(path, 'null')).isCharacterDevice())
    assert.ok(lstatSync(join(path, 'fifo')).isFIFO())
    assert.deepEqual(readdirSync(path).sort(), ['dir', 'fifo', 'null', 'sock'])
  })

  it('replaces a symlink itself, never what it points to', () => {
    const {path, dir} = fresh()
    writeFileSync(join(path, 'target'), 'keep')
    symlinkSync(join(path, 'target'), join(path, 'p.json'))
    dir.writeFileAtomic('p.json', Buffer.from('new'))
    dir.close()
    assert.equal(readFileSync(join(path, 'target'), 'utf8'), 'keep')
    assert.equal(readFileSync(join(path, 'p.json'), 'utf8'), 'new')
    assert.ok(lstatSync(join(path, 'p.json')).isFile())
  })

  it('sweepTemps removes our marked temp names (current and legacy) of writers that are gone, and only those', () => {
    const {path, dir} = fresh()
    mkdirSync(join(path, 'team'))
    const dead = deadPid()
    const temps = [
      `.web.json.${dead}.0123abcd.seccomp-recorder.tmp`,
      `.seccomp-recorder-tmp.${dead}.0123456789ab`,
      `team/.x.json.${dead}.deadbeef.seccomp-recorder.tmp`,
    ]
    const live = [
      `.live.json.${process.pid}.0123abcd.seccomp-recorder.tmp`,
      `team/.seccomp-recorder-tmp.${process.pid}.0123456789ab`,
    ]
    // Other tools' temp files in a shared directory, even in the unmarked form older versions used.
    const others = [`.web.json.${dead}.0123abcd.tmp`, `team/c.lock.${dead}.0123abcd.tmp`]
    const keep = ['web.json', '.seccomp-recorder-tmp.notours', 'team/.other-tool', ...live, ...others]
    for (const f of [...temps, ...keep]) writeFileSync(join(path, f), '')
    const removed = dir.sweepTemps()
    dir.close()
    assert.deepEqual(removed.sort(), temps.map((t) => join(path, t)).sort())
    assert.deepEqual(readdirSync(path, {recursive: true}).map(String).sort(), [...keep, 'team'].sort())
  })
})
