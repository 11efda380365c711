import assert from 'node:assert/strict'
import {chmodSync, existsSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import type {KernelTarget} from '../../src/kernel/native-helper.js'
import {orphanPath} from '../../src/spool/layout.js'
import {kernelTarget, locateRecording, recordingGone, releaseTarget, type Release} from '../../src/spool/release.js'
import {GcFixture} from '../gc/helpers/fixture.js'
import type {FakeTarget} from '../gc/helpers/fake-helper.js'

const fixtures: GcFixture[] = []
after(() => fixtures.forEach((f) => rmSync(f.dir, {recursive: true, force: true})))
function fixture(targets: FakeTarget[] = []): GcFixture {
  const f = new GcFixture(targets)
  fixtures.push(f)
  return f
}

const target = (mntns: number, ns_id: number, x86_64: number[]): KernelTarget => ({
  mntns,
  ns_id,
  state: 'recording',
  exited: false,
  lost: 0,
  interrupted: false,
  nested: [],
  syscalls: {x86_64},
})
const syscalls = (t: KernelTarget | undefined) => t?.syscalls.x86_64

/** Runs the release protocol with a keep that records what it was asked to keep. */
async function release(
  f: GcFixture,
  options: Partial<Release> & Pick<Release, 'ns' | 'kept'>,
): Promise<{taken: KernelTarget; keeps: KernelTarget[]}> {
  const keeps: KernelTarget[] = []
  const taken = await releaseTarget({
    helper: f.helper,
    spool: f.config.spool,
    justRead: false,
    takeOrphan: true,
    keep: async (t) => void keeps.push(t),
    ...options,
  })
  return {taken, keeps}
}

describe('spool release: locating a recording', () => {
  it('finds the orphan file first, then the kernel target if it is still the namespace’s', async () => {
    const f = fixture([{mntns: 201, ns_id: 21, syscalls: {x86_64: [1]}}])
    assert.deepEqual(
      await locateRecording(f.helper, f.config.spool, {mntns: 201, ns_id: 21}).then((p) => [
        p.where,
        p.where !== 'gone' && syscalls(p.target),
      ]),
      ['kernel', [1]],
    )
    f.writeOrphan({mntns: 201, ns_id: 21, syscalls: {x86_64: [2]}})
    assert.deepEqual(
      await locateRecording(f.helper, f.config.spool, {mntns: 201, ns_id: 21}).then((p) => [
        p.where,
        p.where !== 'gone' && syscalls(p.target),
      ]),
      ['orphan', [2]],
    )
  })

  it('calls a recording gone when the number belongs to another namespace, or nothing is left', async () => {
    const f = fixture([{mntns: 202, ns_id: 99, syscalls: {x86_64: [1]}}])
    assert.deepEqual(await locateRecording(f.helper, f.config.spool, {mntns: 202, ns_id: 22}), {
      where: 'gone',
      reused: true,
    })
    assert.deepEqual(await locateRecording(f.helper, f.config.spool, {mntns: 203, ns_id: 23}), {
      where: 'gone',
      reused: false,
    })
    assert.match(
      recordingGone({mntns: 202, ns_id: 22}, true).message,
      /mount namespace 202 \(ns_id 22\) is gone: its number now belongs to another namespace/,
    )
    assert.equal(recordingGone({mntns: 203}, false).code, 'recording-gone')
    assert.equal(await kernelTarget(f.helper, 203), undefined, 'no target is not an error')
  })
})

describe('spool release: the protocol', () => {
  it('takes the orphan file (kept before it is removed), removes the kernel target and keeps the union', async () => {
    const f = fixture([{mntns: 301, ns_id: 31, syscalls: {x86_64: [0, 1, 2]}}])
    const orphan = f.writeOrphan({mntns: 301, ns_id: 31, syscalls: {x86_64: [7]}})
    const {taken, keeps} = await release(f, {ns: {mntns: 301, ns_id: 31}, kept: target(301, 31, [0])})
    assert.deepEqual(syscalls(taken), [0, 1, 2, 7])
    assert.deepEqual(
      keeps.map(syscalls),
      [
        [0, 7],
        [0, 1, 2, 7],
      ],
      'the orphan is kept first, then what the removal added',
    )
    assert.equal(existsSync(orphan), false)
    assert.deepEqual(f.kernel().targets, [])
    assert.ok(
      f.calls().includes('remove --mntns 301 --keep-attached'),
      'the recorder stays attached for the next container',
    )
  })

  it('keeps nothing again when neither the orphan nor the removal adds anything', async () => {
    const f = fixture([{mntns: 302, ns_id: 32, syscalls: {x86_64: [0, 1]}}])
    const {taken, keeps} = await release(f, {
      ns: {mntns: 302, ns_id: 32},
      kept: target(302, 32, [0, 1]),
      justRead: true,
    })
    assert.deepEqual(syscalls(taken), [0, 1])
    assert.deepEqual(keeps, [])
    assert.deepEqual(f.kernel().targets, [])
  })

  it('never removes a kernel target whose number now belongs to another namespace (not just read)', async () => {
    const f = fixture([{mntns: 303, ns_id: 77, syscalls: {x86_64: [5]}}])
    const {taken, keeps} = await release(f, {ns: {mntns: 303, ns_id: 33}, kept: target(303, 33, [0])})
    assert.deepEqual(syscalls(taken), [0])
    assert.deepEqual(keeps, [])
    assert.deepEqual(
      f.kernel().targets.map((t) => t.ns_id),
      [77],
      'the running container’s target stays',
    )
    assert.ok(!f.calls().some((c) => c.startsWith('remove')))
  })

  it('hands a target that changed hands between the read and the removal to its owner’s orphan file', async () => {
    // Read a moment ago as ns_id 34's; by the removal the number belongs to ns_id 88.
    const f = fixture([{mntns: 304, ns_id: 88, syscalls: {x86_64: [9]}}])
    const {taken, keeps} = await release(f, {ns: {mntns: 304, ns_id: 34}, kept: target(304, 34, [0]), justRead: true})
    assert.deepEqual(syscalls(taken), [0], 'none of the new owner’s syscalls is taken')
    assert.deepEqual(keeps, [])
    const handed = JSON.parse(readFileSync(orphanPath(f.config.spool, 88), 'utf8')) as KernelTarget
    assert.deepEqual([handed.mntns, handed.ns_id, syscalls(handed)], [304, 88, [9]])
  })

  it('takes the orphan a prestart wrote when the target vanished between the read and the removal', async () => {
    const f = fixture([{mntns: 305, ns_id: 35, syscalls: {x86_64: [0, 4]}}])
    // A helper whose `remove` finds the target gone: a prestart whose namespace got the number moved it aside
    // (orphan-35.json) just before.
    const moved = JSON.stringify({
      mntns: 305,
      ns_id: 35,
      state: 'recording',
      exited: false,
      lost: 0,
      interrupted: false,
      nested: [],
      syscalls: {x86_64: [0, 4]},
    })
    const racing = join(f.dir, 'racing-helper')
    writeFileSync(
      racing,
      `#!/bin/sh
if [ "$1" = remove ]; then printf '%s\\n' '${moved}' >'${orphanPath(f.config.spool, 35)}'; printf '{"attached":true,"targets":[]}' >'${f.stateFile}'; fi\nexec '${f.helper}' "$@"\n`,
    )
    chmodSync(racing, 0o755)
    const {taken, keeps} = await release(f, {
      helper: racing,
      ns: {mntns: 305, ns_id: 35},
      kept: target(305, 35, [0]),
      justRead: true,
    })
    assert.deepEqual(syscalls(taken), [0, 4])
    assert.deepEqual(keeps.map(syscalls), [[0, 4]])
    assert.equal(existsSync(orphanPath(f.config.spool, 35)), false, 'taken, or gc would store the run a second time')
  })

  it('leaves the orphan file alone when told not to take it (gc salvaging an unclaimed target)', async () => {
    const f = fixture([{mntns: 306, ns_id: 36, syscalls: {x86_64: [0, 3]}}])
    const orphan = f.writeOrphan({mntns: 306, ns_id: 36, syscalls: {x86_64: [8]}})
    const {taken, keeps} = await release(f, {
      ns: {mntns: 306, ns_id: 36},
      kept: target(306, 36, [0]),
      justRead: true,
      takeOrphan: false,
    })
    assert.deepEqual(syscalls(taken), [0, 3])
    assert.deepEqual(keeps.map(syscalls), [[0, 3]])
    assert.equal(existsSync(orphan), true)
    assert.deepEqual(f.kernel().targets, [])
  })

  it('does not remove the target when keeping fails: nothing is lost', async () => {
    const f = fixture([{mntns: 307, ns_id: 37, syscalls: {x86_64: [0]}}])
    const orphan = f.writeOrphan({mntns: 307, ns_id: 37, syscalls: {x86_64: [6]}})
    await assert.rejects(
      release(f, {
        ns: {mntns: 307, ns_id: 37},
        kept: target(307, 37, [0]),
        keep: async () => Promise.reject(new Error('disk full')),
      }),
      /disk full/,
    )
    assert.equal(existsSync(orphan), true, 'the orphan stays until what it holds is kept')
    assert.deepEqual(
      f.kernel().targets.map((t) => t.mntns),
      [307],
    )
  })
})
