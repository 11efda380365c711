import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, statSync, symlinkSync, unlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {UserError} from '../../src/core/errors.js'
import {EXIT} from '../../src/core/exit-codes.js'
import {loadProfile} from '../../src/profile/load.js'
import {formatProfileJson, normaliseProfile} from '../../src/profile/normalise.js'
import {LOCK_FILE} from '../../src/publish/root.js'
import {MANIFEST_FILE, MANIFEST_FORMAT, sha256, type Manifest} from '../../src/publish/manifest.js'
import {locateProfile} from '../../src/publish/names.js'
import {prepareProfile, prepareProfiles, publishProfiles, type PreparedProfile} from '../../src/publish/publish.js'
import {listPublished, unpublishProfiles} from '../../src/publish/published.js'
import {fixture, REPO_ROOT} from '../helpers/cli.js'
import {deadPid, snapshot, tempDir, tempFiles} from './helpers.js'

const ALLOW = fixture('publish', 'busybox-allow.json')
const DENY = fixture('publish', 'busybox-deny-uname-mkdir.json')

async function prepared(path: string, name: string, prefix = ''): Promise<PreparedProfile> {
  const [profile] = await prepareProfiles([path], {name, prefix})
  return profile!
}

function rejects(promise: Promise<unknown>, exit: number, pattern: RegExp): Promise<void> {
  return assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof UserError, `not a UserError: ${String(error)}`)
    assert.equal(error.exit, exit, error.message)
    assert.match(error.message, pattern)
    return true
  })
}

function readManifest(root: string): Manifest {
  return JSON.parse(readFileSync(join(root, MANIFEST_FILE), 'utf8')) as Manifest
}

const options = (root: string, extra: Partial<{force: boolean; dryRun: boolean; prefix: string}> = {}) => ({
  root,
  prefix: extra.prefix ?? '',
  force: extra.force ?? false,
  dryRun: extra.dryRun ?? false,
})

describe('publish into a directory', () => {
  it('writes normalised flat OCI JSON, files 0644 and directories 0755 whatever the umask, and tracks it', async () => {
    const root = join(tempDir(), 'kubelet', 'seccomp')
    const old = process.umask(0o077)
    let result
    try {
      result = await publishProfiles([await prepared(ALLOW, 'team/app/web', 'sr')], options(root, {prefix: 'sr'}))
    } finally {
      process.umask(old)
    }
    const [p] = result.profiles
    assert.equal(p!.action, 'create')
    assert.equal(p!.localhostProfile, 'sr/team/app/web.json')
    assert.equal(p!.path, join(root, 'sr/team/app/web.json'))
    assert.deepEqual(
      p!.createdDirs,
      ['sr', 'sr/team', 'sr/team/app'].map((d) => join(root, d)),
    )
    const {profile} = await loadProfile(ALLOW)
    const expected = formatProfileJson(normaliseProfile(profile))
    assert.equal(readFileSync(p!.path, 'utf8'), expected)
    assert.equal(p!.sha256, sha256(Buffer.from(expected)))
    assert.equal(statSync(p!.path).mode & 0o777, 0o644)
    for (const d of ['sr', 'sr/team', 'sr/team/app']) assert.equal(statSync(join(root, d)).mode & 0o777, 0o755, d)
    const manifest = readManifest(root)
    assert.equal(manifest.format, MANIFEST_FORMAT)
    assert.deepEqual(Object.keys(manifest.profiles), ['sr/team/app/web.json'])
    assert.equal(manifest.profiles['sr/team/app/web.json']!.current!.sha256, p!.sha256)
    assert.equal(manifest.profiles['sr/team/app/web.json']!.intent, undefined)
    assert.deepEqual(tempFiles(root), [])
  })

  it('publishing the same content again is a no-op; new content of ours is an update', async () => {
    const root = tempDir()
    await publishProfiles([await prepared(ALLOW, 'web')], options(root))
    const before = snapshot(root)
    const again = await publishProfiles([await prepared(ALLOW, 'web')], options(root))
    assert.equal(again.profiles[0]!.action, 'unchanged')
    assert.deepEqual(snapshot(root), before, 'not even the manifest was rewritten')
    const update = await publishProfiles([await prepared(DENY, 'web')], options(root))
    assert.equal(update.profiles[0]!.action, 'update')
    assert.equal(update.profiles[0]!.backup, null)
    assert.equal(readManifest(root).profiles['web.json']!.current!.sha256, update.profiles[0]!.sha256)
  })

  it('refuses to replace a different file it did not publish; --force replaces it and keeps a backup', async () => {
    const root = tempDir()
    writeFileSync(join(root, 'web.json'), '{"defaultAction":"SCMP_ACT_ALLOW"}\n')
    const before = snapshot(root)
    await rejects(
      publishProfiles([await prepared(ALLOW, 'web')], options(root)),
      EXIT.CONFLICT,
      /not published by seccomp-recorder/,
    )
    assert.deepEqual(snapshot(root), before, 'nothing written, not even a lock file')

    const forced = await publishProfiles([await prepared(ALLOW, 'web')], {
      ...options(root, {force: true}),
      now: () => new Date('2026-01-02T03:04:05.678Z'),
    })
    const [p] = forced.profiles
    assert.equal(p!.action, 'replace')
    assert.equal(p!.backup, join(root, 'web.json.bak-20260102T030405Z'))
    assert.equal(readFileSync(p!.backup!, 'utf8'), '{"defaultAction":"SCMP_ACT_ALLOW"}\n')
    assert.equal(sha256(readFileSync(join(root, 'web.json'))), p!.sha256)
    assert.ok(readManifest(root).profiles['web.json'], 'replaced with --force: ours now')
  })

  it('treats a published file edited since as not ours', async () => {
    const root = tempDir()
    await publishProfiles([await prepared(ALLOW, 'web')], options(root))
    writeFileSync(join(root, 'web.json'), '{"defaultAction":"SCMP_ACT_LOG"}\n')
    await rejects(publishProfiles([await prepared(DENY, 'web')], options(root)), EXIT.CONFLICT, /changed since/)
  })

  it('leaves an identical foreign file alone and untracked, and adopts it with --force', async () => {
    const root = tempDir()
    const profile = await prepared(ALLOW, 'web')
    writeFileSync(join(root, 'web.json'), profile.bytes)
    const first = await publishProfiles([profile], options(root))
    assert.equal(first.profiles[0]!.action, 'unchanged')
    assert.equal(first.profiles[0]!.tracked, false)
    assert.equal(existsSync(join(root, MANIFEST_FILE)), false)
    const adopted = await publishProfiles([profile], options(root, {force: true}))
    assert.equal(adopted.profiles[0]!.tracked, true)
    assert.ok(readManifest(root).profiles['web.json'])
  })

  it('checks every profile before writing any: one conflict, nothing published', async () => {
    const root = tempDir()
    writeFileSync(join(root, 'b.json'), '{}\n')
    const before = snapshot(root)
    await rejects(
      publishProfiles([await prepared(ALLOW, 'a'), await prepared(ALLOW, 'b')], options(root)),
      EXIT.CONFLICT,
      /b\.json/,
    )
    assert.deepEqual(snapshot(root), before)
  })

  it('refuses symlinks anywhere below the root, writing nothing', async () => {
    const base = tempDir()
    const root = join(base, 'seccomp')
    const outside = join(base, 'outside')
    mkdirSync(join(root, 'real', 'deeper'), {recursive: true})
    mkdirSync(outside)
    symlinkSync(outside, join(root, 'linked-prefix'))
    symlinkSync(outside, join(root, 'real', 'linked'))
    symlinkSync(join(outside, 'x.json'), join(root, 'target.json'))
    writeFileSync(join(root, 'real', 'file'), 'not a directory')
    mkdirSync(join(root, 'dir.json'))
    const before = snapshot(base)
    await rejects(
      publishProfiles([await prepared(ALLOW, 'web', 'linked-prefix')], options(root, {prefix: 'linked-prefix'})),
      EXIT.REFUSED,
      /symlink .*linked-prefix/,
    )
    await rejects(
      publishProfiles([await prepared(ALLOW, 'real/linked/web')], options(root)),
      EXIT.REFUSED,
      /symlink .*real\/linked/,
    )
    await rejects(
      publishProfiles([await prepared(ALLOW, 'target')], options(root, {force: true})),
      EXIT.REFUSED,
      /symlink .*target\.json/,
    )
    await rejects(
      publishProfiles([await prepared(ALLOW, 'real/file/web')], options(root)),
      EXIT.REFUSED,
      /not a directory/,
    )
    await rejects(
      publishProfiles([await prepared(ALLOW, 'dir')], options(root, {force: true})),
      EXIT.REFUSED,
      /a directory, not a profile file/,
    )
    assert.deepEqual(snapshot(base), before)
    assert.deepEqual(snapshot(outside), {'.': 'dir 755'})
  })

  it('refuses docker-format profiles', async () => {
    const {profile} = await loadProfile(join(REPO_ROOT, 'profiles', 'runtime-default', 'moby-default.json'))
    assert.throws(
      () => prepareProfile(profile, locateProfile('moby', ''), '/x'),
      (e: unknown) => e instanceof UserError && e.exit === EXIT.REFUSED && /docker\/moby-format/.test(e.message),
    )
  })

  it('refuses two profiles with the same name and --name with several files', async () => {
    await rejects(
      prepareProfiles([ALLOW, join(REPO_ROOT, 'fixtures', 'publish', '..', 'publish', 'busybox-allow.json')], {
        prefix: '',
      }),
      EXIT.USAGE,
      /both be published as busybox-allow\.json/,
    )
    await rejects(prepareProfiles([ALLOW, DENY], {prefix: '', name: 'x'}), EXIT.USAGE, /--name names one profile/)
  })

  it('--dry-run says what would happen and writes nothing, not even the root', async () => {
    const base = tempDir()
    const root = join(base, 'seccomp')
    const result = await publishProfiles([await prepared(ALLOW, 'team/web')], options(root, {dryRun: true}))
    assert.equal(result.profiles[0]!.action, 'create')
    assert.equal(result.dryRun, true)
    assert.equal(existsSync(root), false)
  })

  it('sweeps temp files of interrupted publishes, and only those', async () => {
    const root = tempDir()
    await publishProfiles([await prepared(ALLOW, 'team/web')], options(root))
    const dead = deadPid()
    const orphans = [
      join(root, `.seccomp-recorder-tmp.${dead}.0123456789ab`),
      join(root, 'team', `.web.json.${dead}.abcdef01.seccomp-recorder.tmp`),
    ]
    for (const o of orphans) writeFileSync(o, '{"defaultAc')
    const kept = [
      join(root, '.seccomp-recorder-tmp.notours'),
      join(root, 'team', '.other-tool'),
      join(root, 'team', `.other.json.${dead}.abcdef01.tmp`), // another tool's, in the unmarked form
      join(root, `.seccomp-recorder-tmp.${process.pid}.0123456789ab`), // its writer is alive
    ]
    for (const k of kept) writeFileSync(k, 'keep')
    const result = await publishProfiles([await prepared(ALLOW, 'other')], options(root))
    assert.deepEqual(result.cleaned.sort(), orphans.sort())
    for (const o of orphans) assert.equal(existsSync(o), false)
    for (const k of kept) assert.ok(existsSync(k), k)
  })

  it('settles what a crash between manifest and rename left: the file decides', async () => {
    const root = tempDir()
    const a = await prepared(ALLOW, 'web')
    const b = await prepared(DENY, 'web')
    const fresh = await prepared(ALLOW, 'fresh')
    await publishProfiles([a], options(root))
    const at = '2026-01-01T00:00:00.000Z'
    const pub = (p: PreparedProfile) => ({sha256: p.sha256, bytes: p.bytes.length, publishedAt: at, source: p.source})
    // Killed after the intent was saved: once before the rename of web.json (it still holds a), once for a new file.
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      profiles: {'web.json': {current: pub(a), intent: pub(b)}, 'fresh.json': {current: null, intent: pub(fresh)}},
    }
    writeFileSync(join(root, MANIFEST_FILE), JSON.stringify(manifest))
    assert.deepEqual(
      listPublished(root).profiles.map((p) => [p.localhostProfile, p.status, p.sha256]),
      [['web.json', 'ok', a.sha256]],
    )
    // The interrupted write lands on the retry, as an update of ours.
    const retry = await publishProfiles([b], options(root))
    assert.equal(retry.profiles[0]!.action, 'update')
    assert.deepEqual(Object.keys(readManifest(root).profiles), ['web.json'])
    // Killed after the rename, before the manifest: the file matches the intent, so it is ours.
    writeFileSync(
      join(root, MANIFEST_FILE),
      JSON.stringify({format: MANIFEST_FORMAT, profiles: {'web.json': {current: pub(a), intent: pub(b)}}}),
    )
    assert.deepEqual(
      listPublished(root).profiles.map((p) => [p.status, p.sha256]),
      [['ok', b.sha256]],
    )
    assert.equal((await publishProfiles([a], options(root))).profiles[0]!.action, 'update')
    assert.equal(readManifest(root).profiles['web.json']!.current!.sha256, a.sha256)
  })

  it('refuses a corrupt or tampered manifest', async () => {
    const root = tempDir()
    writeFileSync(join(root, MANIFEST_FILE), '{"format":')
    await rejects(publishProfiles([await prepared(ALLOW, 'web')], options(root)), EXIT.REFUSED, /not valid JSON/)
    const evil = {
      format: MANIFEST_FORMAT,
      profiles: {'../../etc/passwd.json': {current: {sha256: '0'.repeat(64), bytes: 1, publishedAt: 'x', source: 'x'}}},
    }
    writeFileSync(join(root, MANIFEST_FILE), JSON.stringify(evil))
    await rejects(
      unpublishProfiles([locateProfile('web', '')], {root, forget: false, dryRun: false}),
      EXIT.REFUSED,
      /not a safe profile path/,
    )
  })

  it('times out with CONFLICT while another process holds the lock', async () => {
    const root = tempDir()
    writeFileSync(join(root, LOCK_FILE), '')
    const holder = spawn('flock', ['--exclusive', join(root, LOCK_FILE), 'sleep', '5'], {stdio: 'ignore'})
    try {
      await new Promise((r) => setTimeout(r, 300))
      const started = Date.now()
      await rejects(
        publishProfiles([await prepared(ALLOW, 'web')], {...options(root), lockTimeoutMs: 400}),
        EXIT.CONFLICT,
        /has held .* for more than 0.4 s/,
      )
      assert.ok(Date.now() - started < 3000)
      assert.equal(existsSync(join(root, 'web.json')), false)
    } finally {
      holder.kill()
    }
  })
})

describe('published list and unpublish', () => {
  it('lists what was published with its status; ignores foreign files', async () => {
    const root = tempDir()
    await publishProfiles(
      [await prepared(ALLOW, 'a'), await prepared(ALLOW, 'team/b'), await prepared(DENY, 'c')],
      options(root),
    )
    writeFileSync(join(root, 'foreign.json'), '{}')
    writeFileSync(join(root, 'team', 'b.json'), '{"defaultAction":"SCMP_ACT_ALLOW"}')
    const {profiles} = listPublished(root)
    assert.deepEqual(
      profiles.map((p) => [p.localhostProfile, p.status]),
      [
        ['a.json', 'ok'],
        ['c.json', 'ok'],
        ['team/b.json', 'modified'],
      ],
    )
    assert.deepEqual(listPublished(join(root, 'nope')).profiles, [])
  })

  it('removes only what it published, with the directories it leaves empty', async () => {
    const root = tempDir()
    await publishProfiles([await prepared(ALLOW, 'team/app/web'), await prepared(ALLOW, 'team/other')], options(root))
    writeFileSync(join(root, 'foreign.json'), '{}')
    await rejects(
      unpublishProfiles([locateProfile('foreign', '')], {root, forget: false, dryRun: false}),
      EXIT.REFUSED,
      /not published into .* by seccomp-recorder/,
    )
    assert.ok(existsSync(join(root, 'foreign.json')))

    const dry = await unpublishProfiles([locateProfile('team/app/web', '')], {root, forget: false, dryRun: true})
    assert.equal(dry.profiles[0]!.action, 'removed')
    assert.ok(existsSync(join(root, 'team/app/web.json')))

    const done = await unpublishProfiles([locateProfile('team/app/web.json', '')], {root, forget: false, dryRun: false})
    assert.deepEqual(done.profiles[0], {
      localhostProfile: 'team/app/web.json',
      path: join(root, 'team/app/web.json'),
      action: 'removed',
      removedDirs: [join(root, 'team/app')],
    })
    assert.equal(existsSync(join(root, 'team/app')), false)
    assert.ok(existsSync(join(root, 'team/other.json')), 'team/ still holds another profile')
    assert.deepEqual(Object.keys(readManifest(root).profiles), ['team/other.json'])
  })

  it('refuses to remove a file changed since; --forget drops it and keeps the file; a missing file is just dropped', async () => {
    const root = tempDir()
    await publishProfiles([await prepared(ALLOW, 'edited'), await prepared(ALLOW, 'gone')], options(root))
    writeFileSync(join(root, 'edited.json'), '{}')
    await rejects(
      unpublishProfiles([locateProfile('edited', '')], {root, forget: false, dryRun: false}),
      EXIT.CONFLICT,
      /changed since/,
    )
    const forgotten = await unpublishProfiles([locateProfile('edited', '')], {root, forget: true, dryRun: false})
    assert.equal(forgotten.profiles[0]!.action, 'forgotten')
    assert.equal(readFileSync(join(root, 'edited.json'), 'utf8'), '{}')
    unlinkSync(join(root, 'gone.json'))
    const gone = await unpublishProfiles([locateProfile('gone', '')], {root, forget: false, dryRun: false})
    assert.equal(gone.profiles[0]!.action, 'already-gone')
    assert.deepEqual(readManifest(root).profiles, {})
  })
})
