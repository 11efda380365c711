import assert from 'node:assert/strict'
import {rmSync, writeFileSync} from 'node:fs'
import {after, describe, it} from 'node:test'
import {readSpoolNote, readSpoolNotes} from '../../src/spool/notes.js'
import {GcFixture} from '../gc/helpers/fixture.js'

const f = new GcFixture()
after(() => rmSync(f.dir, {recursive: true, force: true}))

describe('spool notes', () => {
  it('reads a note with its state kept as the runtime’s text', async () => {
    f.writeNote('n1', {mntns: 401, ns_id: 41})
    const note = (await readSpoolNote(f.config.spool, 'n1'))!
    assert.deepEqual([note.mntns, note.ns_id, note.runtime], [401, 41, 'runc'])
    assert.equal(JSON.parse(note.state).id, 'n1')
    assert.equal(await readSpoolNote(f.config.spool, 'absent'), undefined)
  })

  it('lists every note, a container named orphan-N included, and reports a damaged one', async () => {
    f.writeNote('orphan-5', {mntns: 402, ns_id: 42})
    f.writeOrphan({mntns: 403, ns_id: 43, syscalls: {x86_64: [0]}})
    writeFileSync(f.spoolPath('bad.json'), '{"mntns": "x"}')
    const damaged: string[] = []
    const notes = await readSpoolNotes(f.config.spool, (id, error) =>
      damaged.push(`${id}: ${(error as Error).message}`),
    )
    assert.deepEqual([...notes.keys()].sort(), ['n1', 'orphan-5'])
    assert.equal(damaged.length, 1)
    assert.match(damaged[0]!, /^bad: spool note .*bad\.json is damaged$/)
    await assert.rejects(
      readSpoolNote(f.config.spool, 'bad'),
      (error: Error & {code?: string}) => error.code === 'spool-damaged',
    )
  })
})
