import assert from 'node:assert/strict'
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {isUserError} from '../../src/core/errors.js'
import {EXIT} from '../../src/core/exit-codes.js'
import {parseTimeBound} from '../../src/store/filter.js'
import {MAX_RECORDING_BYTES} from '../../src/store/model.js'
import {coveragePathFor} from '../../src/store/coverage.js'
import {InvalidRecordingError, RecordingStore} from '../../src/store/store.js'
import {makeRecording, tempDir} from './helpers/recordings.js'
import {defaultStoreRoot} from '../../src/core/paths.js'

const dirs: string[] = []
after(() => dirs.forEach((d) => rmSync(d, {recursive: true, force: true})))
function newStore(): RecordingStore {
  const dir = tempDir('store-')
  dirs.push(dir)
  return new RecordingStore(dir)
}

describe('RecordingStore', () => {
  it('saves one document per run under the name and reads it back', async () => {
    const store = newStore()
    const r = makeRecording({syscalls: ['close', 'read']})
    const path = await store.save(r)
    assert.equal(path, join(store.root, 'recordings', 'default_2Fweb_2Fnginx', `${r.id}.json`))
    assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), r)
    assert.deepEqual(await store.list(), [r])
    assert.deepEqual(await store.names(), ['default/web/nginx'])
    // Nothing but the document is left in the directory (no temp files).
    assert.deepEqual(readdirSync(join(store.root, 'recordings', 'default_2Fweb_2Fnginx')), [`${r.id}.json`])
  })

  it('validates before writing', async () => {
    const store = newStore()
    const bad = {...makeRecording({}), syscalls: {x86_64: ['b', 'a']}}
    await assert.rejects(
      store.save(bad),
      (e: unknown) => e instanceof InvalidRecordingError && e.exit === EXIT.USAGE && /sorted/.test(e.message),
    )
    assert.equal(existsSync(join(store.root, 'recordings')), false)
  })

  it('filters by name pattern, namespace, workload, container, source and time', async () => {
    const store = newStore()
    const web = makeRecording({
      namespace: 'shop',
      pod: 'web-7d4b9c8f6d-x2k4q',
      container: 'nginx',
      endedAt: '2026-05-01T10:01:00Z',
    })
    const db = makeRecording({
      namespace: 'shop',
      pod: 'db-0',
      container: 'postgres',
      endedAt: '2026-05-03T10:01:00Z',
      startedAt: '2026-05-03T10:00:00Z',
    })
    const other = makeRecording({
      namespace: 'ops',
      pod: 'agent-x2k4q',
      container: 'agent',
      source: 'record',
      endedAt: '2026-05-02T10:01:00Z',
    })
    for (const r of [web, db, other]) await store.save(r)
    const ids = async (filter: Parameters<RecordingStore['list']>[0]) => (await store.list(filter)).map((r) => r.name)
    assert.deepEqual(await ids({}), ['ops/agent/agent', 'shop/db/postgres', 'shop/web/nginx'])
    assert.deepEqual(await ids({names: ['shop/*/nginx']}), ['shop/web/nginx'])
    assert.deepEqual(await ids({names: ['shop/**']}), ['shop/db/postgres', 'shop/web/nginx'])
    assert.deepEqual(await ids({names: ['shop/db/postgres']}), ['shop/db/postgres'])
    assert.deepEqual(await ids({namespaces: ['ops']}), ['ops/agent/agent'])
    assert.deepEqual(await ids({workloads: ['web', 'db']}), ['shop/db/postgres', 'shop/web/nginx'])
    assert.deepEqual(await ids({containers: ['postgres']}), ['shop/db/postgres'])
    assert.deepEqual(await ids({sources: ['record']}), ['ops/agent/agent'])
    assert.deepEqual(await ids({since: new Date('2026-05-02T00:00:00Z')}), ['ops/agent/agent', 'shop/db/postgres'])
    assert.deepEqual(await ids({until: new Date('2026-05-02T00:00:00Z')}), ['shop/web/nginx'])
  })

  it('reports corrupt and misplaced files without failing the others', async () => {
    const store = newStore()
    const good = makeRecording({})
    const path = await store.save(good)
    const dir = join(store.root, 'recordings', 'default_2Fweb_2Fnginx')
    writeFileSync(join(dir, 'truncated.json'), readFileSync(path, 'utf8').slice(0, 100))
    writeFileSync(join(dir, 'schema.json'), JSON.stringify({...good, id: 'schema', lost: 'many'}))
    writeFileSync(join(dir, 'renamed.json'), JSON.stringify(good))
    writeFileSync(join(dir, 'huge.json'), ' '.repeat(MAX_RECORDING_BYTES + 1))
    mkdirSync(join(store.root, 'recordings', 'elsewhere'))
    writeFileSync(join(store.root, 'recordings', 'elsewhere', `${good.id}.json`), JSON.stringify(good))
    // Not recordings at all: a leftover temp file, a symlink (never followed), notes.
    writeFileSync(join(dir, `.${good.id}.json.123.0badc0de.tmp`), '{')
    symlinkSync('/etc/passwd', join(dir, 'link.json'))
    writeFileSync(join(dir, 'README.txt'), 'notes')

    const scan = await store.scan()
    assert.deepEqual(scan.recordings, [good])
    const reasons = Object.fromEntries(scan.invalid.map((f) => [f.path.slice(store.root.length + 1), f.reason]))
    assert.match(reasons['recordings/default_2Fweb_2Fnginx/truncated.json']!, /not valid JSON/)
    assert.match(reasons['recordings/default_2Fweb_2Fnginx/schema.json']!, /\/lost/)
    assert.match(reasons['recordings/default_2Fweb_2Fnginx/renamed.json']!, /does not match its id/)
    assert.match(reasons['recordings/default_2Fweb_2Fnginx/huge.json']!, /refused/)
    assert.match(reasons[`recordings/elsewhere/${good.id}.json`]!, /another name's directory/)
    assert.equal(scan.invalid.length, 5)
  })

  it('keeps its locks directory 0700 (a lock file anyone can open, anyone can hold), tightening an own wider one', async () => {
    const root = tempDir('store-locks-')
    after(() => rmSync(root, {recursive: true, force: true}))
    const store = new RecordingStore(root)
    await store.withNameLock('web', async () => assert.equal(statSync(store.locksDir).mode & 0o777, 0o700))
    chmodSync(store.locksDir, 0o755)
    await store.withNameLock('web', async () => undefined)
    assert.equal(statSync(store.locksDir).mode & 0o777, 0o700)
  })

  it('handles names too long for one file name', async () => {
    const store = newStore()
    const name = `ns/${'w'.repeat(300)}/c`
    const r = makeRecording({name})
    await store.save(r)
    assert.deepEqual(await store.names(), [name])
    assert.deepEqual(await store.list({names: [name]}), [r])
    assert.deepEqual((await store.scanName(name)).recordings, [r])
  })

  it('an empty or missing store has no names and no recordings', async () => {
    const parent = tempDir()
    dirs.push(parent)
    const store = new RecordingStore(join(parent, 'does-not-exist'))
    assert.deepEqual(await store.names(), [])
    assert.deepEqual(await store.scan(), {recordings: [], invalid: []})
  })

  it('reports an unwritable store as a user error', async () => {
    const parent = tempDir()
    dirs.push(parent)
    writeFileSync(join(parent, 'a-file'), '')
    const store = new RecordingStore(join(parent, 'a-file', 'store'))
    await assert.rejects(
      store.save(makeRecording({})),
      (e: unknown) => isUserError(e) && /cannot write/.test(e.message),
    )
  })

  it('knows its default root and the sidecar paths', () => {
    assert.equal(defaultStoreRoot({}), '/var/lib/seccomp-recorder')
    assert.equal(defaultStoreRoot({SECCOMP_RECORDER_STORE: '/srv/rec'}), '/srv/rec')
    assert.equal(coveragePathFor('/x/web.json'), '/x/web.coverage.json')
    assert.equal(coveragePathFor('/x/web.yaml'), '/x/web.coverage.json')
    assert.equal(coveragePathFor('/x/web'), '/x/web.coverage.json')
    const store = new RecordingStore('/s')
    assert.deepEqual(store.profilePaths('default/web/nginx'), {
      profile: '/s/profiles/default_2Fweb_2Fnginx.json',
      complain: '/s/profiles/default_2Fweb_2Fnginx.complain.json',
      coverage: '/s/profiles/default_2Fweb_2Fnginx.coverage.json',
      spo: '/s/profiles/default_2Fweb_2Fnginx.spo.yaml',
      lock: '/s/locks/default_2Fweb_2Fnginx.lock',
    })
  })
})

describe('parseTimeBound', () => {
  const now = new Date('2026-05-10T00:00:00Z')
  it('takes ISO 8601 and durations', () => {
    assert.equal(parseTimeBound('2026-05-01', 'since', now).toISOString(), '2026-05-01T00:00:00.000Z')
    assert.equal(parseTimeBound('2026-05-01T12:30:00+02:00', 'since', now).toISOString(), '2026-05-01T10:30:00.000Z')
    assert.equal(parseTimeBound('24h', 'since', now).toISOString(), '2026-05-09T00:00:00.000Z')
    assert.equal(parseTimeBound('7d', 'since', now).toISOString(), '2026-05-03T00:00:00.000Z')
    assert.equal(parseTimeBound('30m', 'since', now).toISOString(), '2026-05-09T23:30:00.000Z')
  })
  it('refuses anything else with a suggestion', () => {
    for (const bad of ['yesterday', '7', '2026-13-01', '1y', '']) {
      assert.throws(
        () => parseTimeBound(bad, 'since', now),
        (e: unknown) => isUserError(e) && e.exit === EXIT.USAGE && e.suggestions.length > 0,
        bad,
      )
    }
  })
})
