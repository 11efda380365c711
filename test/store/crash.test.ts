import assert from 'node:assert/strict'
import {spawn, type ChildProcess} from 'node:child_process'
import {existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {after, describe, it} from 'node:test'
import {fileURLToPath} from 'node:url'
import {buildProfiles} from '../../src/aggregate/build.js'
import {validateRecording, type Recording} from '../../src/store/model.js'
import {RecordingStore} from '../../src/store/store.js'
import {makeRecording, tempDir} from './helpers/recordings.js'

const crashScript = fileURLToPath(new URL('./helpers/crash-writer.js', import.meta.url))
const dirs: string[] = []
after(() => dirs.forEach((d) => rmSync(d, {recursive: true, force: true})))
function newRoot(): string {
  const dir = tempDir('crash-')
  dirs.push(dir)
  return dir
}

function start(args: string[]): ChildProcess {
  return spawn(process.execPath, [crashScript, ...args], {stdio: ['ignore', 'pipe', 'inherit']})
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString()
      if (buffer.includes('\n')) resolve(buffer.slice(0, buffer.indexOf('\n')))
    })
    child.on('exit', (code) => reject(new Error(`child exited with ${code}`)))
  })
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.on('exit', () => resolve())
    child.kill('SIGKILL')
  })
}

describe('kill -9 in the middle of a write', () => {
  it('leaves the previous recording intact', {timeout: 20_000}, async () => {
    const root = newRoot()
    const store = new RecordingStore(root)
    const v1 = makeRecording({syscalls: ['read', 'write']})
    const path = await store.save(v1)
    const v2file = join(root, 'v2.json')
    writeFileSync(
      v2file,
      JSON.stringify({
        ...v1,
        syscalls: {x86_64: ['close', 'openat', 'read', 'write']},
        command: Array.from({length: 4}, () => 'x'.repeat(50_000)),
      }),
    )

    const child = start(['partial', root, v2file])
    const line = await firstLine(child)
    const temp = line.slice('partial '.length)
    // Half of the new document is on disk in the temp file when the writer dies.
    assert.ok(statSync(temp).size > 50_000)
    await killed(child)

    assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), v1)
    const scan = await store.scan()
    assert.deepEqual(scan.recordings, [v1])
    assert.deepEqual(scan.invalid, [], 'the leftover temp file is not taken for a recording')
    assert.ok(existsSync(temp))
  })

  it('at random moments: the document is always one complete version', {timeout: 20_000}, async () => {
    const root = newRoot()
    const store = new RecordingStore(root)
    const base = makeRecording({})
    const path = await store.save({...base, command: ['0']})
    const file = join(root, 'r.json')
    writeFileSync(file, JSON.stringify(base))
    const versions = new Set<string>()
    for (let round = 0; round < 6; round++) {
      const child = start(['loop', root, file])
      await firstLine(child)
      await sleep(20 + Math.random() * 120)
      await killed(child)
      const document = JSON.parse(readFileSync(path, 'utf8')) as Recording
      assert.ok(validateRecording(document).valid)
      assert.deepEqual({...document, command: undefined}, {...base, command: undefined})
      // One whole version: its number and all eight 60 000-character fillers, nothing cut.
      // (Each writer announces itself after its first save: the document is always a writer's version ≥ 1.)
      assert.match(document.command![0]!, /^[1-9][0-9]*$/)
      assert.deepEqual(
        document.command!.slice(1).map((s) => s.length),
        Array(8).fill(60_000),
      )
      versions.add(document.command![0]!)
    }
    assert.ok(versions.size >= 1)
    assert.deepEqual((await store.scan()).invalid, [])
  })

  it('while a profile is rebuilt: the previous profile stays, the lock is recovered', {timeout: 20_000}, async () => {
    const root = newRoot()
    const store = new RecordingStore(root)
    const name = 'default/web/nginx'
    await store.save(makeRecording({syscalls: ['read', 'write']}))
    await buildProfiles(store)
    const paths = store.profilePaths(name)
    const before = readFileSync(paths.profile, 'utf8')
    await store.save(makeRecording({syscalls: ['openat', 'read'], endedAt: '2026-05-01T10:02:00Z'}))

    const child = start(['build', root, name])
    await firstLine(child)
    assert.ok(existsSync(paths.lock), 'the builder holds the lock')
    await killed(child)
    assert.equal(readFileSync(paths.profile, 'utf8'), before)

    // The next build finds the dead holder's lock, breaks it and completes.
    const result = await buildProfiles(store)
    assert.deepEqual(result.built[0]!.profile.syscalls, [
      {names: ['openat', 'read', 'write'], action: 'SCMP_ACT_ALLOW'},
    ])
    assert.deepEqual(readdirSync(join(root, 'locks')), [])
  })
})
