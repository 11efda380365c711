import assert from 'node:assert/strict'
import {existsSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import fc from 'fast-check'
import {aggregate, withBase} from '../../src/aggregate/aggregate.js'
import {buildProfiles, readBuiltProfile} from '../../src/aggregate/build.js'
import {parseCoverage} from '../../src/store/coverage.js'
import {listProfiles} from '../../src/aggregate/list.js'
import {isUserError} from '../../src/core/errors.js'
import {EXIT} from '../../src/core/exit-codes.js'
import {checkProfileText} from '../../src/profile/load.js'
import type {Recording} from '../../src/store/model.js'
import {RecordingStore} from '../../src/store/store.js'
import {fixture} from '../helpers/cli.js'
import {copyFixtureStore, makeRecording, tempDir} from '../store/helpers/recordings.js'

const dirs: string[] = []
after(() => dirs.forEach((d) => rmSync(d, {recursive: true, force: true})))
function fixtureStore(): RecordingStore {
  const dir = copyFixtureStore()
  dirs.push(dir)
  return new RecordingStore(dir)
}

/** The fixture's recordings of one name, read straight from the JSON files (not through the store). */
function fixtureRecordings(dir: string): Recording[] {
  const path = fixture('recordings', 'store', 'recordings', dir)
  return readdirSync(path).map((f) => JSON.parse(readFileSync(join(path, f), 'utf8')) as Recording)
}

describe('three replicas of one Deployment plus two more runs', () => {
  it('yield one profile with exactly the union and coverage counts 5/5, 4/5, 3/5, 2/5, 1/5', async () => {
    const runs = fixtureRecordings('default_2Fweb_2Fnginx')
    // The fixture: pods web-7d4b9c8f6d-{x2k4q,bq8zt,m5n7p}, a restart of x2k4q, and web-5f6b9c7d8-hj2lw of a later rollout.
    assert.equal(runs.length, 5)
    assert.deepEqual([...new Set(runs.map((r) => r.container.pod))].sort(), [
      'web-5f6b9c7d8-hj2lw',
      'web-7d4b9c8f6d-bq8zt',
      'web-7d4b9c8f6d-m5n7p',
      'web-7d4b9c8f6d-x2k4q',
    ])
    assert.ok(runs.every((r) => r.container.workload === 'web' && r.name === 'default/web/nginx'))
    const union = [...new Set(runs.flatMap((r) => r.syscalls.x86_64!))].sort()

    const store = fixtureStore()
    const result = await buildProfiles(store)
    assert.deepEqual(
      result.built.map((b) => b.name),
      ['default/db/postgres', 'default/web/nginx', 'tools/busybox'],
    )
    const web = result.built.find((b) => b.name === 'default/web/nginx')!
    assert.deepEqual(web.profile, {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1,
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [{names: union, action: 'SCMP_ACT_ALLOW'}],
    })
    const always = [
      'accept4',
      'brk',
      'close',
      'epoll_wait',
      'execve',
      'exit_group',
      'fstat',
      'mmap',
      'openat',
      'read',
      'write',
    ]
    assert.deepEqual(web.coverage, {
      recordings: 5,
      syscalls: {
        ...Object.fromEntries(always.map((n) => [n, 5])),
        futex: 4,
        sendfile: 3,
        rt_sigreturn: 2,
        getrandom: 1,
      },
    })
    assert.deepEqual(web.unknown, [{abi: 'x86_64', nr: 1000, recordings: 1}])

    // On disk: the profile (valid, no warnings) and its sidecar, in the store's profiles directory.
    const paths = store.profilePaths('default/web/nginx')
    assert.deepEqual(web.written, {profile: paths.profile, coverage: paths.coverage, spo: null})
    const check = checkProfileText(readFileSync(paths.profile, 'utf8'))
    assert.ok(check.valid)
    assert.deepEqual(check.warnings, [])
    assert.deepEqual(check.profile, web.profile)
    // The sidecar: the counts, and the provenance of every run (issue 17).
    const withProvenance = {...web.coverage, provenance: web.provenance}
    assert.deepEqual(parseCoverage(readFileSync(paths.coverage, 'utf8')), withProvenance)
    assert.equal(web.provenance.runs.length, 5)
    assert.deepEqual(web.provenance.syscalls.getrandom?.length, 1)
    const built = await readBuiltProfile(store, 'default/web/nginx')
    assert.deepEqual(built?.coverage, withProvenance)
    assert.equal(await readBuiltProfile(store, 'no/such/name'), null)
  })
})

describe('aggregate', () => {
  const recording = fc
    .record({
      x86_64: fc.uniqueArray(fc.constantFrom('read', 'write', 'close', 'futex', 'mmap', 'openat'), {maxLength: 6}),
      x86: fc.option(fc.uniqueArray(fc.constantFrom('read', 'socketcall', '_llseek'), {minLength: 1}), {
        nil: undefined,
      }),
      lost: fc.nat(2),
    })
    .map(({x86_64, x86, lost}) => makeRecording({syscalls: x86_64, x86, lost}))

  it('allows exactly the union and counts each syscall once per recording', () => {
    fc.assert(
      fc.property(fc.array(recording, {minLength: 1, maxLength: 12}), (recordings) => {
        const result = aggregate(recordings)
        const seenIn = (r: Recording) => new Set(Object.values(r.syscalls).flat())
        const union = [...new Set(recordings.flatMap((r) => [...seenIn(r)]))].sort()
        assert.deepEqual(result.profile.syscalls, union.length > 0 ? [{names: union, action: 'SCMP_ACT_ALLOW'}] : [])
        assert.equal(result.coverage.recordings, recordings.length)
        for (const name of union)
          assert.equal(result.coverage.syscalls[name], recordings.filter((r) => seenIn(r).has(name)).length)
        assert.deepEqual(Object.keys(result.coverage.syscalls), union)
        assert.equal(result.incomplete, recordings.filter((r) => r.lost > 0).length)
        assert.ok(checkProfileText(JSON.stringify(result.profile)).valid)
      }),
      {numRuns: 200},
    )
  })

  it('lists the architectures of every ABI seen', () => {
    const result = aggregate([
      makeRecording({syscalls: ['read']}),
      makeRecording({syscalls: ['read'], x86: ['socketcall']}),
    ])
    assert.deepEqual(result.profile.architectures, ['SCMP_ARCH_X86', 'SCMP_ARCH_X86_64'])
    assert.deepEqual(result.coverage.syscalls, {read: 2, socketcall: 1})
  })

  it('unions a base profile in and says what came from it', () => {
    const base = {
      defaultAction: 'SCMP_ACT_ERRNO' as const,
      syscalls: [{names: ['futex', 'read'], action: 'SCMP_ACT_ALLOW' as const}],
    }
    const result = withBase(aggregate([makeRecording({syscalls: ['read', 'write']})]), base)
    assert.deepEqual(result.profile.syscalls, [{names: ['futex', 'read', 'write'], action: 'SCMP_ACT_ALLOW'}])
    assert.deepEqual(result.fromBase, ['futex'])
    assert.deepEqual(result.coverage, {recordings: 1, syscalls: {read: 1, write: 1}})
  })
})

describe('buildProfiles', () => {
  it('filters by namespace and time, and builds only what matches', async () => {
    const store = fixtureStore()
    const since = await buildProfiles(store, {filter: {since: new Date('2026-05-02T00:00:00Z')}, dryRun: true})
    assert.deepEqual(
      since.built.map((b) => [b.name, b.coverage.recordings]),
      [
        ['default/db/postgres', 1],
        ['default/web/nginx', 1],
        ['tools/busybox', 1],
      ],
    )
    const busybox = await buildProfiles(store, {filter: {sources: ['record']}, dryRun: true})
    assert.deepEqual(
      busybox.built.map((b) => b.name),
      ['tools/busybox'],
    )
    assert.equal(existsSync(store.profilesDir), false, 'dry run writes nothing')
    await assert.rejects(
      buildProfiles(store, {filter: {namespaces: ['nope']}}),
      (e: unknown) => isUserError(e) && e.exit === EXIT.USAGE && /match the filters/.test(e.message),
    )
  })

  it('writes one profile to --output with the coverage beside it, and refuses several', async () => {
    const store = fixtureStore()
    const out = join(tempDir(), 'web.json')
    dirs.push(join(out, '..'))
    const result = await buildProfiles(store, {filter: {names: ['default/web/*']}, output: out})
    assert.deepEqual(result.built[0]!.written, {
      profile: out,
      coverage: join(out, '..', 'web.coverage.json'),
      spo: null,
    })
    assert.equal(parseCoverage(readFileSync(join(out, '..', 'web.coverage.json'), 'utf8'))?.recordings, 5)
    await assert.rejects(
      buildProfiles(store, {output: out}),
      (e: unknown) => isUserError(e) && /--output writes one profile, but 3 names match/.test(e.message),
    )
  })

  it('reports an empty store', async () => {
    const dir = tempDir()
    dirs.push(dir)
    const store = new RecordingStore(join(dir, 'empty'))
    await assert.rejects(
      buildProfiles(store),
      (e: unknown) => isUserError(e) && /no recordings in the store/.test(e.message) && e.suggestions.length > 0,
    )
  })

  it('runs concurrent builds of one name one after another', async () => {
    const store = fixtureStore()
    const results = await Promise.all(
      Array.from({length: 8}, () => buildProfiles(store, {filter: {names: ['default/web/nginx']}})),
    )
    for (const r of results) assert.equal(r.built[0]!.coverage.recordings, 5)
    assert.deepEqual(readdirSync(join(store.root, 'locks')), [])
  })
})

describe('listProfiles', () => {
  it('lists names with their recordings and whether the built profile is up to date', async () => {
    const store = fixtureStore()
    let listing = await listProfiles(store)
    assert.deepEqual(
      listing.profiles.map((p) => [p.name, p.recordings, p.built]),
      [
        ['default/db/postgres', 2, null],
        ['default/web/nginx', 5, null],
        ['tools/busybox', 1, null],
      ],
    )
    const web = listing.profiles[1]!
    assert.deepEqual(
      [web.namespaces, web.workloads, web.containers, web.runtimes, web.sources],
      [['default'], ['web'], ['nginx'], ['runc'], ['hook']],
    )
    assert.equal(web.firstStartedAt, '2026-05-01T10:00:00.000Z')
    assert.equal(web.lastEndedAt, '2026-05-02T09:01:00.000Z')

    await buildProfiles(store, {filter: {names: ['default/web/nginx']}})
    listing = await listProfiles(store)
    assert.equal(listing.profiles[1]!.built?.upToDate, true)
    assert.equal(listing.profiles[1]!.built?.recordings, 5)
    await store.save(
      makeRecording({endedAt: new Date(Date.now() + 60_000).toISOString(), startedAt: new Date().toISOString()}),
    )
    listing = await listProfiles(store)
    assert.equal(listing.profiles[1]!.recordings, 6)
    assert.equal(listing.profiles[1]!.built?.upToDate, false)
  })
})
