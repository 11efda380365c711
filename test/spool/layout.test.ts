import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {
  classifySpoolFile,
  isNoteText,
  parseTarget,
  readJournal,
  targetAdds,
  unionTargets,
  writeJournal,
} from '../../src/spool/layout.js'
import {REPO_ROOT} from '../helpers/cli.js'
import type {KernelTarget} from '../../src/kernel/native-helper.js'

describe('spool layout', () => {
  it('tells every kind of spool file apart by its name', () => {
    const kinds = (files: string[]) => files.map((f) => classifySpoolFile(f))
    assert.deepEqual(
      kinds([
        '3f2a.json',
        'my.ctr-1.json',
        'orphan-42.json',
        '3f2a.taken',
        'c.3f2a.lock',
        'ns.42.lock',
        'c.3f2a.lock.break',
        'ns.42.record',
        'ns.m4026532001.record',
        'finaliser.log',
      ]),
      [
        {kind: 'note', file: '3f2a.json', id: '3f2a'},
        {kind: 'note', file: 'my.ctr-1.json', id: 'my.ctr-1'},
        {kind: 'orphan', file: 'orphan-42.json', nsId: 42},
        {kind: 'journal', file: '3f2a.taken', id: '3f2a'},
        {kind: 'lock', file: 'c.3f2a.lock'},
        {kind: 'lock', file: 'ns.42.lock'},
        {kind: 'lock', file: 'c.3f2a.lock.break'},
        {kind: 'record-marker', file: 'ns.42.record', ns: '42'},
        {kind: 'record-marker', file: 'ns.m4026532001.record', ns: 'm4026532001'},
        {kind: 'log', file: 'finaliser.log'},
      ],
    )
    // Temp files: the native helper's (.<name>.<pid>.tmp) and ours (<name>.<pid>.<8 hex>.tmp), with their writer.
    assert.deepEqual(
      kinds([
        '.3f2a.1234.tmp',
        '.orphan-42.77.tmp',
        'c.3f2a.lock.99.0123abcd.tmp',
        '.3f2a.taken.5.deadbeef.tmp',
        '.x.123.12345678.tmp',
      ]),
      [
        {kind: 'temp', file: '.3f2a.1234.tmp', pid: 1234},
        {kind: 'temp', file: '.orphan-42.77.tmp', pid: 77, orphanNsId: 42},
        {kind: 'temp', file: 'c.3f2a.lock.99.0123abcd.tmp', pid: 99},
        {kind: 'temp', file: '.3f2a.taken.5.deadbeef.tmp', pid: 5},
        {kind: 'temp', file: '.x.123.12345678.tmp', pid: 123},
      ],
    )
    assert.deepEqual(
      kinds(['README', '.hidden', 'a b.json']).map((k) => k.kind),
      ['other', 'other', 'other'],
    )
  })

  it('tells a note from an orphan target by its fields (a container may be called orphan-7)', () => {
    assert.equal(
      isNoteText('{"mntns":1,"ns_id":7,"runtime":"runc","registered_unix_ms":1,"state":{"id":"orphan-7"}}'),
      true,
    )
    assert.equal(isNoteText('{"mntns":1,"ns_id":7,"state":"recording","lost":0,"nested":[],"syscalls":{}}'), false)
    assert.equal(
      parseTarget('{"mntns":1,"ns_id":7,"runtime":"runc","registered_unix_ms":1,"state":{"id":"orphan-7"}}'),
      undefined,
    )
    assert.deepEqual(
      parseTarget('{"mntns":1,"ns_id":7,"state":"recording","lost":0,"nested":[],"syscalls":{"x86_64":[0,1]}}')
        ?.syscalls,
      {x86_64: [0, 1]},
    )
    assert.equal(parseTarget('{"mntns":1,"ns_id":7,"lost":0,"syscalls":{"x86_64":[-1]}}'), undefined)
    assert.equal(parseTarget('{"mntns":1,'), undefined)
  })

  it('unions two snapshots of a target; tells whether the second adds anything', () => {
    const t = (syscalls: KernelTarget['syscalls'], lost = 0): KernelTarget => ({
      mntns: 1,
      ns_id: 2,
      state: 'recording',
      exited: false,
      lost,
      interrupted: false,
      nested: [],
      syscalls,
    })
    const a = t({x86_64: [0, 3]})
    const b = t({x86_64: [1, 3], x86: [4]}, 1)
    assert.deepEqual(unionTargets(a, b).syscalls, {x86_64: [0, 1, 3], x86: [4]})
    assert.equal(unionTargets(a, b).lost, 1)
    assert.equal(targetAdds(a, b), true)
    assert.equal(targetAdds(unionTargets(a, b), a), false)
    // Quotas: the larger count of each wins; a snapshot that reached a quota adds something.
    const q = {...a, quota: {nested: 2, words: 0}}
    assert.deepEqual(unionTargets(q, {...a, quota: {nested: 1, words: 5}}).quota, {nested: 2, words: 5})
    assert.equal(unionTargets(a, a).quota, undefined)
    assert.equal(targetAdds(a, q), true)
    assert.equal(targetAdds(q, a), false)
    assert.equal(parseTarget('{"mntns":1,"lost":0,"quota":{"nested":-1,"words":0},"syscalls":{}}'), undefined)
    assert.deepEqual(parseTarget('{"mntns":1,"lost":0,"quota":{"nested":1,"words":0},"syscalls":{}}')?.quota, {
      nested: 1,
      words: 0,
    })
  })
})

describe('spool layout: argument values (issue 15)', () => {
  const fixture = (name: string) => readFileSync(join(REPO_ROOT, 'fixtures', 'arguments', name), 'utf8')

  it('orphan files and journals carry args; unionTargets unions them and targetAdds sees new ones', async () => {
    const read = parseTarget(fixture('helper-read.json'))!
    const later = parseTarget(fixture('helper-read-later.json'))!
    assert.ok(read.args && later.args)
    const union = unionTargets(read, later)
    assert.equal(union.args!.socket!.values.length, 4)
    assert.equal(union.args!.prctl!.overflow, true)
    assert.equal(targetAdds(read, later), true)
    assert.equal(targetAdds(union, later), false)
    const {args: _none, ...bare} = read
    assert.equal(unionTargets(bare, bare).args, undefined)
    assert.deepEqual(unionTargets(bare, read).args, read.args)

    const dir = mkdtempSync(join(tmpdir(), 'scr-args-journal-'))
    try {
      const journal = {
        version: 1 as const,
        id: 'c1',
        mntns: union.mntns,
        ns_id: union.ns_id!,
        endedAt: '2026-05-01T10:00:00.000Z',
        recordingId: 'r1',
        target: union,
      }
      await writeJournal(dir, journal)
      assert.deepEqual((await readJournal(dir, 'c1'))?.target.args, union.args)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('a target file with args that do not fit the model is not a target', () => {
    const hostile = JSON.parse(fixture('hostile-args.json')) as Record<string, unknown>
    const base = JSON.parse(fixture('helper-read.json')) as Record<string, unknown>
    for (const [name, args] of Object.entries(hostile))
      assert.equal(parseTarget(JSON.stringify({...base, args})), undefined, name)
  })
})
