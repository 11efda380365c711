import assert from 'node:assert/strict'
import {existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {Ajv} from 'ajv'
import {EXIT} from '../../src/core/exit-codes.js'
import {PUBLISH_OUTPUT} from '../../src/cli/output-schemas/publish.js'
import {publishedNameOf, withoutCoverageSidecars} from '../../src/publish/inputs.js'
import {RecordingStore} from '../../src/store/store.js'
import {runCli} from '../helpers/cli.js'
import {copyFixtureStore, makeRecording, tempDir} from '../store/helpers/recordings.js'
import {safeNameSegment} from '../../src/store/names.js'

const ajv = new Ajv({allErrors: true, strict: false})
const dirs: string[] = []
after(() => dirs.forEach((d) => rmSync(d, {recursive: true, force: true})))
function scratch(make: () => string = () => tempDir('publish-inputs-')): string {
  const dir = make()
  dirs.push(dir)
  return dir
}

/** A store with its profiles built (profile + coverage sidecar per name), and the files `<store>/profiles/*.json` expands to. */
function builtStore(): {store: string; files: string[]} {
  const store = scratch(copyFixtureStore)
  const build = runCli(['profiles', 'build', '--store', store])
  assert.equal(build.status, EXIT.OK, build.stderr)
  const profiles = join(store, 'profiles')
  return {
    store,
    files: readdirSync(profiles)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => join(profiles, f)),
  }
}

describe('publish <store>/profiles/*.json', () => {
  it('skips the coverage sidecars, said once, and publishes each profile under its recorded name', () => {
    const {files} = builtStore()
    assert.equal(files.filter((f) => f.endsWith('.coverage.json')).length, 3)
    const root = scratch()
    const run = runCli(['publish', '--json', '--root', root, '--prefix', 'sr', ...files])
    assert.equal(run.status, EXIT.OK, run.stderr)
    const output = JSON.parse(run.stdout) as {
      profiles: Array<{name: string; localhostProfile: string}>
      skipped: Array<{path: string; reason: string}>
    }
    assert.ok(ajv.validate(PUBLISH_OUTPUT, output), ajv.errorsText())
    assert.deepEqual(output.profiles.map((p) => p.name).sort(), [
      'default/db/postgres',
      'default/web/nginx',
      'tools/busybox',
    ])
    assert.deepEqual(
      output.skipped.map((s) => s.path),
      files.filter((f) => f.endsWith('.coverage.json')),
    )
    assert.ok(existsSync(join(root, 'sr', 'default', 'web', 'nginx.json')))
    assert.ok(!readdirSync(join(root, 'sr')).some((f) => f.includes('_2F') || f.includes('coverage')))

    const human = runCli(['publish', '--root', scratch(), ...files])
    assert.equal(human.status, EXIT.OK, human.stderr)
    assert.equal(human.stdout.match(/skipped 3 coverage sidecars \(not profiles\)/g)?.length, 1, human.stdout)
  })

  it('--name still names the one profile', () => {
    const {files} = builtStore()
    const nginx = files.filter((f) => f.includes('nginx'))
    assert.equal(nginx.length, 2, 'the profile and its sidecar')
    const root = scratch()
    const run = runCli(['publish', '--root', root, '--name', 'team/web', ...nginx])
    assert.equal(run.status, EXIT.OK, run.stderr)
    assert.ok(existsSync(join(root, 'team', 'web.json')))
  })

  it('refuses to publish only sidecars', () => {
    const {files} = builtStore()
    const run = runCli(['publish', '--root', scratch(), ...files.filter((f) => f.endsWith('.coverage.json'))])
    assert.equal(run.status, EXIT.USAGE)
    assert.match(run.stderr, /nothing to publish: every file given is a coverage sidecar/)
  })
})

describe('publishedNameOf and withoutCoverageSidecars', () => {
  it('takes a hashed (long) name from the recordings that carry it', async () => {
    const store = scratch()
    const name = `team/${'a'.repeat(200)}/web`
    await new RecordingStore(store).save(makeRecording({name}))
    const encoded = safeNameSegment(name)
    assert.match(encoded, /_h[0-9a-f]{16}$/)
    mkdirSync(join(store, 'profiles'), {recursive: true})
    const path = join(store, 'profiles', `${encoded}.json`)
    writeFileSync(path, readFileSync('fixtures/profiles/valid/minimal.json'))
    assert.equal(await publishedNameOf(path), name)
    rmSync(join(store, 'recordings'), {recursive: true})
    mkdirSync(join(store, 'recordings'))
    await assert.rejects(publishedNameOf(path), /cannot tell the recorded name/)
  })

  it('keeps the file name outside a store, and a *.coverage.json that is a profile', async () => {
    const dir = scratch()
    assert.equal(await publishedNameOf(join(dir, 'default_2Fweb.json')), 'default_2Fweb')
    mkdirSync(join(dir, 'profiles'))
    assert.equal(
      await publishedNameOf(join(dir, 'profiles', 'default_2Fweb.json')),
      'default_2Fweb',
      'no recordings/ beside: not a store',
    )
    const profile = join(dir, 'odd.coverage.json')
    writeFileSync(profile, readFileSync('fixtures/profiles/valid/minimal.json'))
    assert.deepEqual(await withoutCoverageSidecars([profile]), {profiles: [profile], skipped: []})
  })
})
