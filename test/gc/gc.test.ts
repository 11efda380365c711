import assert from 'node:assert/strict'
import {existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {Ajv} from 'ajv'
import {GC_OUTPUT} from '../../src/cli/output-schemas/gc.js'
import {runGc} from '../../src/gc/gc.js'
import type {GcResult} from '../../src/gc/report.js'
import {salvageName} from '../../src/gc/salvage.js'
import {finaliseContainer, withContainerLock} from '../../src/spool/finalise.js'
import {journalPath, writeJournal} from '../../src/spool/layout.js'
import {validateRecording, type Recording} from '../../src/store/model.js'
import {RecordingStore} from '../../src/store/store.js'
import {nameKernelSyscalls} from '../../src/syscalls/syscall-set.js'
import {runtimeTail, withRuntimeTail} from '../../src/runtime-tail/tails.js'
import {DEAD_PID, GcFixture} from './helpers/fixture.js'

const BOOT = '0123abcd-0000-0000-0000-000000000000'
const fixtures: GcFixture[] = []
after(() => fixtures.forEach((f) => rmSync(f.dir, {recursive: true, force: true})))
function fixture(...args: ConstructorParameters<typeof GcFixture>): GcFixture {
  const f = new GcFixture(...args)
  fixtures.push(f)
  return f
}

const validate = new Ajv({allErrors: true, strict: false}).compile(GC_OUTPUT)
async function gc(f: GcFixture, options: {dryRun?: boolean} = {}): Promise<GcResult> {
  const result = await runGc({
    config: f.config,
    helper: f.helper,
    probe: f.probe(),
    bootId: BOOT,
    dryRun: options.dryRun,
    now: () => new Date('2026-05-01T11:00:00Z'),
  })
  assert.ok(validate(JSON.parse(JSON.stringify(result))), JSON.stringify(validate.errors))
  return result
}

function recordings(f: GcFixture): Recording[] {
  return readdirRecursive(join(f.config.store, 'recordings')).map((p) => {
    const check = validateRecording(JSON.parse(readFileSync(p, 'utf8')))
    assert.ok(check.valid, `${p}: ${check.errors.join('; ')}`)
    return check.recording
  })
}

function readdirRecursive(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, {withFileTypes: true}).flatMap((e) =>
    e.isDirectory() ? readdirRecursive(join(dir, e.name)) : e.name.endsWith('.json') ? [join(dir, e.name)] : [],
  )
}

/** What the poststop writes for these kernel numbers recorded under runc (default config: both runtimes' tails). */
const hookNames = (syscalls: {x86_64?: number[]}) =>
  withRuntimeTail(nameKernelSyscalls({syscalls}), runtimeTail('both', 'runc')).names
const spoolFiles = (f: GcFixture) => readdirSync(f.config.spool).sort()

describe('gc: registered containers', () => {
  it('finalises a container whose namespace is gone exactly as the poststop would, and removes its target', async () => {
    const f = fixture([{mntns: 101, ns_id: 11, syscalls: {x86_64: [0, 1, 59, 231]}}])
    f.writeNote('c1', {mntns: 101, ns_id: 11})
    const result = await gc(f)
    assert.deepEqual(
      result.actions.map((a) => [a.action, a.subject, a.done]),
      [['finalise', 'container c1', true]],
    )
    assert.equal(result.failed, 0)
    const [recording, ...more] = recordings(f)
    assert.equal(more.length, 0)
    assert.equal(recording!.name, 'team/app')
    assert.equal(recording!.source, 'hook')
    assert.equal(recording!.container.id, 'c1')
    assert.deepEqual(recording!.syscalls, hookNames({x86_64: [0, 1, 59, 231]}))
    assert.deepEqual(result.actions[0]!.outputs, [
      {
        kind: 'store',
        path: join(f.config.store, 'recordings', 'team_2Fapp', `${recording!.id}.json`),
        name: 'team/app',
      },
    ])
    assert.deepEqual(f.kernel().targets, [])
    assert.deepEqual(spoolFiles(f), [])
    assert.equal(result.detached, true, 'nothing records any more: detached')
  })

  it('writes the io.containers.trace-syscall output too', async () => {
    const f = fixture([{mntns: 102, ns_id: 12, syscalls: {x86_64: [0, 1]}}])
    const out = join(f.config.outputRoots[0]!, 'p.json')
    f.writeNote('c2', {mntns: 102, ns_id: 12, annotations: {'io.containers.trace-syscall': `of:${out}`}})
    const result = await gc(f)
    assert.deepEqual(result.actions[0]!.outputs, [{kind: 'trace-syscall', path: out}])
    const profile = JSON.parse(readFileSync(out, 'utf8')) as {syscalls: Array<{names: string[]}>}
    assert.deepEqual(profile.syscalls[0]!.names, hookNames({x86_64: [0, 1]}).x86_64)
  })

  it('leaves a running container alone: note and target untouched', async () => {
    const f = fixture([{mntns: 103, ns_id: 13, syscalls: {x86_64: [0]}}])
    const note = f.writeNote('c3', {mntns: 103, ns_id: 13})
    f.live.add('103:13')
    const before = readFileSync(note, 'utf8')
    const result = await gc(f)
    assert.deepEqual(result.actions, [])
    assert.deepEqual(
      result.kept.map((k) => k.subject),
      ['container c3'],
    )
    assert.equal(readFileSync(note, 'utf8'), before)
    assert.equal(f.kernel().targets.length, 1)
    assert.equal(f.calls().filter((c) => c.startsWith('remove')).length, 0)
    assert.deepEqual(spoolFiles(f), ['c3.json'])
  })

  it('finalises from the orphan file when the number was reused by a running container, and leaves that one alone', async () => {
    // Namespace 11 died; a new container got inode 104 (ns 21) and its prestart moved 11's marks aside.
    const f = fixture([{mntns: 104, ns_id: 21, syscalls: {x86_64: [3]}}])
    f.writeNote('old', {mntns: 104, ns_id: 11})
    f.writeNote('new', {mntns: 104, ns_id: 21})
    f.writeOrphan({mntns: 104, ns_id: 11, syscalls: {x86_64: [0, 1]}})
    f.live.add('104:21')
    const result = await gc(f)
    assert.deepEqual(
      result.actions.map((a) => [a.action, a.subject]),
      [['finalise', 'container old']],
    )
    assert.deepEqual(
      result.kept.map((k) => k.subject),
      ['container new'],
    )
    assert.deepEqual(
      recordings(f).map((r) => r.syscalls),
      [hookNames({x86_64: [0, 1]})],
    )
    assert.deepEqual(
      f.kernel().targets.map((t) => t.ns_id),
      [21],
    )
    assert.deepEqual(spoolFiles(f), ['new.json'])
  })

  it('finishes an interrupted finalisation from its journal, with the same recording id: the run is stored once', async () => {
    // The poststop wrote the journal, removed the kernel target and saved the recording, then was killed.
    const f = fixture([])
    f.writeNote('c5', {mntns: 105, ns_id: 15})
    const target = {
      mntns: 105,
      ns_id: 15,
      state: 'recording' as const,
      exited: false,
      lost: 0,
      interrupted: false,
      nested: [],
      syscalls: {x86_64: [0, 1, 3]},
    }
    await writeJournal(f.config.spool, {
      version: 1,
      id: 'c5',
      mntns: 105,
      ns_id: 15,
      endedAt: '2026-05-01T10:05:00.000Z',
      recordingId: 'journalled-id',
      target,
    })
    const store = new RecordingStore(f.config.store)
    writeFileSync(join(f.dir, 'dummy'), '')
    const result = await gc(f)
    assert.equal(result.actions[0]!.action, 'finalise')
    assert.match(result.actions[0]!.reason, /interrupted/)
    const stored = recordings(f)
    assert.deepEqual(
      stored.map((r) => [r.id, r.endedAt]),
      [['journalled-id', '2026-05-01T10:05:00.000Z']],
    )
    assert.deepEqual(stored[0]!.syscalls, hookNames({x86_64: [0, 1, 3]}))
    // Again: nothing left to do, still one recording.
    assert.deepEqual((await gc(f)).actions, [])
    assert.equal((await store.list()).length, 1)
    assert.deepEqual(spoolFiles(f), [])
  })

  it('a note whose recording is gone everywhere fails loudly and is removed (it can never be finalised)', async () => {
    const f = fixture([{mntns: 106, ns_id: 99, syscalls: {x86_64: [0]}}])
    f.writeNote('c6', {mntns: 106, ns_id: 16})
    f.live.add('106:99')
    const result = await gc(f)
    assert.equal(result.failed, 1)
    assert.match(result.actions[0]!.error!, /gone/)
    assert.equal(existsSync(f.spoolPath('c6.json')), false)
    assert.equal(f.kernel().targets.length, 1, "the other namespace's target stays")
  })

  it('skips a container another process is finalising (its lock is held by a live process)', async () => {
    const f = fixture([{mntns: 107, ns_id: 17, syscalls: {x86_64: [0]}}])
    f.writeNote('c7', {mntns: 107, ns_id: 17})
    f.writeLock(f.spoolPath('c.c7.lock'), process.pid)
    const result = await gc(f)
    assert.deepEqual(result.actions, [])
    assert.match(result.kept[0]!.reason, /another process/)
    assert.equal(f.kernel().targets.length, 1)
  })

  it('breaks the lock of a killed finaliser and finalises', async () => {
    const f = fixture([{mntns: 108, ns_id: 18, syscalls: {x86_64: [0]}}])
    f.writeNote('c8', {mntns: 108, ns_id: 18})
    f.writeLock(f.spoolPath('c.c8.lock'))
    const result = await gc(f)
    assert.deepEqual(
      result.actions.map((a) => a.action),
      ['finalise'],
    )
    assert.deepEqual(spoolFiles(f), [])
  })

  it('the poststop after gc finds nothing to do; gc after the poststop neither', async () => {
    const f = fixture([
      {mntns: 109, ns_id: 19, syscalls: {x86_64: [0]}},
      {mntns: 110, ns_id: 20, syscalls: {x86_64: [1]}},
    ])
    f.writeNote('c9', {mntns: 109, ns_id: 19})
    f.writeNote('c10', {mntns: 110, ns_id: 20})
    f.live.add('110:20')
    await gc(f)
    const state = (id: string) => JSON.stringify({ociVersion: '1.0.2', id, status: 'stopped', pid: 0, bundle: f.dir})
    const late = await finaliseContainer({stateText: state('c9'), config: f.config, helper: f.helper})
    assert.equal(late.recorded, false)
    const normal = await finaliseContainer({stateText: state('c10'), config: f.config, helper: f.helper})
    assert.equal(normal.recorded, true)
    f.live.clear()
    assert.deepEqual((await gc(f)).actions, [])
    assert.equal(recordings(f).length, 2)
  })

  it('an output that cannot be written keeps note and journal (kernel target taken); gc finishes the run once it can', async () => {
    const f = fixture([{mntns: 131, ns_id: 31, syscalls: {x86_64: [0, 1, 59]}}])
    f.writeNote('c31', {mntns: 131, ns_id: 31})
    // The store is a regular file: saving fails (ENOTDIR), as on a broken or read-only disk.
    writeFileSync(f.config.store, 'not a directory')
    const state = JSON.stringify({ociVersion: '1.0.2', id: 'c31', status: 'stopped', pid: 0, bundle: f.dir})
    await assert.rejects(
      finaliseContainer({stateText: state, config: f.config, helper: f.helper}),
      (error: Error & {code?: string}) => {
        assert.equal(error.code, 'output-failed')
        assert.match(
          error.message,
          /cannot write .*: a parent is not a directory; the recording of container c31 is kept in /,
        )
        return true
      },
    )
    assert.deepEqual(f.kernel().targets, [], 'the kernel target was taken into the journal')
    assert.deepEqual(spoolFiles(f), ['c31.json', 'c31.taken'])

    rmSync(f.config.store)
    const result = await gc(f)
    assert.deepEqual(
      result.actions.map((a) => [a.action, a.subject, a.done]),
      [['finalise', 'container c31', true]],
    )
    const [recording, ...more] = recordings(f)
    assert.equal(more.length, 0)
    assert.deepEqual(recording!.syscalls, hookNames({x86_64: [0, 1, 59]}))
    assert.deepEqual(spoolFiles(f), [])
  })

  it('a kept run survives a restart of its container (same id, new note): the next finaliser writes both runs', async () => {
    const f = fixture([{mntns: 141, ns_id: 41, syscalls: {x86_64: [0, 1, 59]}}])
    f.writeNote('c41', {mntns: 141, ns_id: 41})
    const state = JSON.stringify({ociVersion: '1.0.2', id: 'c41', status: 'stopped', pid: 0, bundle: f.dir})
    writeFileSync(f.config.store, 'not a directory')
    await assert.rejects(finaliseContainer({stateText: state, config: f.config, helper: f.helper}), /kept in/)
    // podman restart: the prestart registers the new run under the same container id, replacing the note.
    f.setKernel({attached: true, targets: [{mntns: 142, ns_id: 42, syscalls: {x86_64: [0, 2]}}]})
    f.writeNote('c41', {mntns: 142, ns_id: 42})
    rmSync(f.config.store)
    const result = await finaliseContainer({stateText: state, config: f.config, helper: f.helper})
    assert.equal(result.recorded, true)
    const runs = recordings(f)
      .map((r) => r.syscalls)
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))
    const expected = [hookNames({x86_64: [0, 1, 59]}), hookNames({x86_64: [0, 2]})].sort((a, b) =>
      JSON.stringify(a).localeCompare(JSON.stringify(b)),
    )
    assert.deepEqual(runs, expected)
    assert.deepEqual(f.kernel().targets, [])
    assert.deepEqual(spoolFiles(f), [])
  })

  it('a refused output (path outside the output roots) is not kept: retrying could never write it', async () => {
    const f = fixture([{mntns: 132, ns_id: 32, syscalls: {x86_64: [0]}}])
    f.writeNote('c32', {
      mntns: 132,
      ns_id: 32,
      annotations: {'io.containers.trace-syscall': 'of:/etc/scr-refused.json'},
    })
    const state = JSON.stringify({ociVersion: '1.0.2', id: 'c32', status: 'stopped', pid: 0, bundle: f.dir})
    await assert.rejects(
      finaliseContainer({stateText: state, config: f.config, helper: f.helper}),
      (error: Error & {code?: string}) => error.code === 'outside-roots' || /outside/.test(error.message),
    )
    assert.deepEqual(spoolFiles(f), [])
    assert.ok(!existsSync('/etc/scr-refused.json'))
  })
})

describe('gc: recordings nobody will finalise', () => {
  it('saves an orphan file without its note as orphan/<boot>-<ns_id> (source gc) and removes it', async () => {
    const f = fixture([])
    f.writeOrphan({mntns: 201, ns_id: 31, syscalls: {x86_64: [0, 1, 60]}})
    const result = await gc(f)
    assert.deepEqual(
      result.actions.map((a) => [a.action, a.subject, a.done]),
      [['salvage', 'orphan-31.json', true]],
    )
    const [recording] = recordings(f)
    assert.equal(recording!.name, 'orphan/0123abcd-31')
    assert.equal(recording!.id, 'orphan-0123abcd-31')
    assert.equal(recording!.source, 'gc')
    assert.equal(recording!.runtime, 'unknown')
    assert.deepEqual(recording!.syscalls, nameKernelSyscalls({syscalls: {x86_64: [0, 1, 60]}}).names)
    assert.deepEqual(spoolFiles(f), [])
  })

  it('salvages a dead target without a note (a killed `record`), keeps a live one, detaches only when none is left', async () => {
    const f = fixture([
      {mntns: 202, ns_id: 32, syscalls: {x86_64: [0, 1], x86: [3]}},
      {mntns: 203, ns_id: 33, syscalls: {x86_64: [0]}},
    ])
    f.live.add('203:33')
    const result = await gc(f)
    assert.deepEqual(
      result.actions.map((a) => [a.action, a.subject]),
      [['salvage', 'mount namespace 202 (ns_id 32)']],
    )
    assert.deepEqual(
      result.kept.map((k) => k.subject),
      ['mount namespace 203 (ns_id 33)'],
    )
    assert.deepEqual(
      f.kernel().targets.map((t) => t.mntns),
      [203],
    )
    assert.equal(result.detached, false)
    const [recording] = recordings(f)
    assert.equal(recording!.name, salvageName({mntns: 202, ns_id: 32}, BOOT, new Date()).name)
    assert.deepEqual(recording!.syscalls, {x86_64: ['read', 'write'], x86: ['read']})
  })

  it('salvaging again after a kill between saving and removing replaces the recording, never adds one', async () => {
    const f = fixture([{mntns: 204, ns_id: 34, syscalls: {x86_64: [0]}}])
    const name = salvageName({mntns: 204, ns_id: 34}, BOOT, new Date())
    const store = new RecordingStore(f.config.store)
    const first = await gc(f)
    assert.equal(first.actions[0]!.action, 'salvage')
    // As if that gc had been killed after saving and before removing the target: the target is still there.
    f.setKernel({attached: true, targets: [{mntns: 204, ns_id: 34, syscalls: {x86_64: [0]}}]})
    await gc(f)
    assert.deepEqual(
      (await store.list()).map((r) => r.name),
      [name.name],
    )
  })

  it('only removes a target that recorded nothing (it never reached its start)', async () => {
    const f = fixture([{mntns: 205, ns_id: 35, state: 'armed', syscalls: {}}])
    const result = await gc(f)
    assert.deepEqual(
      result.actions.map((a) => a.action),
      ['discard'],
    )
    assert.deepEqual(recordings(f), [])
    assert.deepEqual(f.kernel().targets, [])
  })

  it('releases a target `record --name` had saved already (its marker names a valid recording)', async () => {
    const f = fixture([{mntns: 206, ns_id: 36, syscalls: {x86_64: [0]}}])
    const store = new RecordingStore(f.config.store)
    const {makeRecording} = await import('../store/helpers/recordings.js')
    const saved = await store.save(makeRecording({name: 'ci/tool', source: 'record'}))
    writeFileSync(f.spoolPath('ns.36.record'), JSON.stringify({recording: saved}))
    f.writeLock(f.spoolPath('ns.36.lock'))
    const result = await gc(f)
    assert.deepEqual(
      result.actions.filter((a) => a.action !== 'clean').map((a) => a.action),
      ['release'],
    )
    assert.deepEqual(
      (await store.list()).map((r) => r.name),
      ['ci/tool'],
    )
    assert.deepEqual(f.kernel().targets, [])
    assert.deepEqual(spoolFiles(f), [])
  })

  it('leaves a target a live `record` holds (its namespace lock) alone', async () => {
    const f = fixture([{mntns: 207, ns_id: 37, syscalls: {x86_64: [0]}}])
    f.writeLock(f.spoolPath('ns.37.lock'), process.pid)
    const result = await gc(f)
    assert.deepEqual(result.actions, [])
    assert.match(result.kept[0]!.reason, /record/)
    assert.equal(f.kernel().targets.length, 1)
  })
})

describe('gc: leftovers, dry run', () => {
  it('removes journals of finished finalisations, stale locks and temp files of dead processes; keeps live ones', async () => {
    const f = fixture([])
    writeFileSync(journalPath(f.config.spool, 'gone'), '{}')
    f.writeLock(f.spoolPath('c.x.lock'))
    f.writeLock(f.spoolPath('c.y.lock'), process.pid)
    writeFileSync(f.spoolPath(`.c1.${DEAD_PID}.tmp`), '{"mntns":')
    writeFileSync(f.spoolPath(`.c2.${process.pid}.tmp`), '{"mntns":')
    writeFileSync(f.spoolPath(`c.z.lock.${DEAD_PID}.0123abcd.tmp`), '')
    const storeTemp = join(f.config.store, 'recordings', 'a', `.r.json.${DEAD_PID}.89abcdef.tmp`)
    mkdirSync(join(f.config.store, 'recordings', 'a'), {recursive: true})
    writeFileSync(storeTemp, '{')
    const result = await gc(f)
    assert.deepEqual(result.actions.map((a) => [a.action, a.subject.replace(`${f.dir}/`, '')]).sort(), [
      ['clean', `spool/.c1.${DEAD_PID}.tmp`],
      ['clean', 'spool/c.x.lock'],
      ['clean', `spool/c.z.lock.${DEAD_PID}.0123abcd.tmp`],
      ['clean', 'spool/gone.taken'],
      ['clean', `store/recordings/a/.r.json.${DEAD_PID}.89abcdef.tmp`],
    ])
    assert.deepEqual(spoolFiles(f), [`.c2.${process.pid}.tmp`, 'c.y.lock'])
  })

  it('salvages the orphan a killed prestart left in its temp file (the only copy)', async () => {
    const f = fixture([])
    writeFileSync(
      f.spoolPath(`.orphan-41.${DEAD_PID}.tmp`),
      JSON.stringify({mntns: 301, ns_id: 41, state: 'recording', lost: 0, nested: [], syscalls: {x86_64: [0, 2]}}),
    )
    const result = await gc(f)
    assert.deepEqual(
      result.actions.map((a) => a.action),
      ['salvage', 'clean'],
    )
    assert.deepEqual(
      recordings(f).map((r) => r.name),
      ['orphan/0123abcd-41'],
    )
    assert.deepEqual(spoolFiles(f), [])
  })

  it('does not take (and so write into) a lock file that is not one of ours: it reports it and leaves it', async () => {
    const f = fixture([])
    writeFileSync(f.spoolPath('c.w.lock'), "somebody else's file")
    f.writeLock(f.spoolPath('elsewhere'))
    linkSync(f.spoolPath('elsewhere'), f.spoolPath('c.v.lock'))
    const before = readFileSync(f.spoolPath('c.v.lock'), 'utf8')
    const result = await gc(f)
    assert.deepEqual(result.actions, [])
    const kept = (name: string) => result.kept.find((k) => k.subject === f.spoolPath(name))?.reason ?? ''
    assert.match(kept('c.w.lock'), /not one of ours/)
    assert.match(kept('c.v.lock'), /not one of ours.*hard links/)
    assert.equal(readFileSync(f.spoolPath('c.w.lock'), 'utf8'), "somebody else's file")
    assert.equal(readFileSync(f.spoolPath('c.v.lock'), 'utf8'), before)
  })

  it("removes only our marked temp files of gone writers in the output roots (tenants' other tools' stay)", async () => {
    const f = fixture([])
    const root = f.config.outputRoots[0]!
    mkdirSync(join(root, 'team'), {recursive: true})
    const ours = [
      join(root, `.p.json.${DEAD_PID}.0123abcd.seccomp-recorder.tmp`),
      join(root, 'team', `.seccomp-recorder-tmp.${DEAD_PID}.0123456789ab`),
    ]
    const theirs = [
      join(root, `.p.json.${DEAD_PID}.0123abcd.tmp`),
      join(root, 'team', `x.lock.${DEAD_PID}.0123abcd.tmp`),
      join(root, `.q.json.${process.pid}.0123abcd.seccomp-recorder.tmp`),
    ]
    for (const file of [...ours, ...theirs]) writeFileSync(file, '{')
    const result = await gc(f)
    assert.deepEqual(result.actions.map((a) => [a.action, a.subject]).sort(), ours.map((o) => ['clean', o]).sort())
    for (const file of ours) assert.equal(existsSync(file), false, file)
    for (const file of theirs) assert.equal(existsSync(file), true, file)
  })

  it('--dry-run changes nothing and says what it would do', async () => {
    const f = fixture([
      {mntns: 401, ns_id: 51, syscalls: {x86_64: [0]}},
      {mntns: 402, ns_id: 52, syscalls: {x86_64: [1]}},
    ])
    f.writeNote('d1', {mntns: 401, ns_id: 51})
    f.writeOrphan({mntns: 403, ns_id: 53, syscalls: {x86_64: [2]}})
    f.writeLock(f.spoolPath('c.q.lock'))
    const before = {spool: spoolFiles(f), kernel: f.kernel()}
    const result = await gc(f, {dryRun: true})
    assert.equal(result.dryRun, true)
    assert.deepEqual(
      result.actions.map((a) => [a.action, a.done]),
      [
        ['finalise', false],
        ['salvage', false],
        ['salvage', false],
        ['clean', false],
      ],
    )
    assert.deepEqual({spool: spoolFiles(f), kernel: f.kernel()}, before)
    assert.equal(existsSync(f.config.store), false)
    assert.equal(
      f.calls().some((c) => c.startsWith('remove') || c.startsWith('detach')),
      false,
    )
  })

  it('holds the container lock while finalising (a poststop waiting on it sees the note gone)', async () => {
    const f = fixture([{mntns: 501, ns_id: 61, syscalls: {x86_64: [0]}}])
    f.writeNote('l1', {mntns: 501, ns_id: 61})
    let inside = false
    await withContainerLock(f.config.spool, 'l1', async () => {
      inside = true
      const result = await gc(f)
      assert.deepEqual(result.actions, [])
    })
    assert.ok(inside)
    assert.equal((await gc(f)).actions[0]!.action, 'finalise')
  })
})
