import assert from 'node:assert/strict'
import {readdirSync, readFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {Ajv} from 'ajv'
import {OUTPUT_SCHEMAS} from '../../src/cli/output-schemas/index.js'
import {EXIT} from '../../src/core/exit-codes.js'
import {buildProfiles} from '../../src/aggregate/build.js'
import {RecordingStore} from '../../src/store/store.js'
import {publishedNameOf} from '../../src/publish/inputs.js'
import type {Recording} from '../../src/store/model.js'
import {runCli} from '../helpers/cli.js'
import {makeRecording, tempDir} from '../store/helpers/recordings.js'

const dirs: string[] = []
after(() => dirs.forEach((d) => rmSync(d, {recursive: true, force: true})))
const ajv = new Ajv({allErrors: true, strict: false})
function valid<T>(command: string, stdout: string): T {
  const output = JSON.parse(stdout) as T
  const validate = ajv.compile(OUTPUT_SCHEMAS[command]!)
  assert.ok(validate(output), `${command}: ${ajv.errorsText(validate.errors)}`)
  return output
}

const NAME = 'team/web'
const asCheck = (r: Recording): Recording => ({...r, check: {acceptedAt: null}})

/** A store with two ordinary runs of team/web (path A) and one pending check run that also made mkdir and symlink. */
async function storeWithCheckRun(options: {build?: boolean} = {}): Promise<{dir: string; check: Recording}> {
  const dir = tempDir('drift-')
  dirs.push(dir)
  const store = new RecordingStore(dir, {durable: false})
  await store.save(makeRecording({name: NAME, syscalls: ['read', 'write']}))
  await store.save(makeRecording({name: NAME, syscalls: ['exit_group', 'read']}))
  await store.save(makeRecording({name: 'team/db', syscalls: ['read']}))
  const check = asCheck(
    makeRecording({
      name: NAME,
      pod: 'web-5f7c9d-abcde',
      runtime: 'crun',
      syscalls: ['mkdir', 'read', 'symlink'],
      endedAt: '2026-05-02T10:00:00Z',
    }),
  )
  await store.save(check)
  if (options.build !== false) await buildProfiles(store, {mode: 'complain'})
  return {dir, check}
}

const profileFile = (dir: string, suffix = '') => join(dir, 'profiles', `team_2Fweb${suffix}.json`)
const allowedIn = (path: string) =>
  (JSON.parse(readFileSync(path, 'utf8')) as {syscalls: Array<{names: string[]}>}).syscalls.flatMap((r) => r.names)

describe('profiles build --mode complain', () => {
  it('writes the enforcing profile and its SCMP_ACT_LOG variant; pending check runs stay out of both', async () => {
    const {dir} = await storeWithCheckRun({build: false})
    const run = runCli(['profiles', 'build', NAME, '--store', dir, '--mode', 'complain', '--json'])
    assert.equal(run.status, EXIT.OK, run.stderr)
    const out = valid<{mode: string; profiles: Array<{checkRuns: number; written: {complain: string}}>}>(
      'profiles build',
      run.stdout,
    )
    assert.equal(out.mode, 'complain')
    assert.equal(out.profiles[0]!.checkRuns, 1)
    assert.equal(out.profiles[0]!.written.complain, profileFile(dir, '.complain'))
    const enforcing = JSON.parse(readFileSync(profileFile(dir), 'utf8')) as {defaultAction: string}
    const complain = JSON.parse(readFileSync(profileFile(dir, '.complain'), 'utf8')) as {defaultAction: string}
    assert.equal(enforcing.defaultAction, 'SCMP_ACT_ERRNO')
    assert.equal(complain.defaultAction, 'SCMP_ACT_LOG')
    assert.deepEqual(allowedIn(profileFile(dir)), ['exit_group', 'read', 'write'])
    assert.deepEqual(allowedIn(profileFile(dir, '.complain')), ['exit_group', 'read', 'write'])
    const text = runCli(['profiles', 'build', NAME, '--store', dir])
    assert.match(text.stdout, /1 check run left out \(complain mode\): `seccomp-recorder drift team\/web`/)
  })

  it('--output writes the complain profile; --format spo is refused with exit 2', async () => {
    const {dir} = await storeWithCheckRun({build: false})
    const out = runCli(['profiles', 'build', NAME, '--store', dir, '--mode', 'complain', '--output', '-'])
    assert.equal((JSON.parse(out.stdout) as {defaultAction: string}).defaultAction, 'SCMP_ACT_LOG')
    const spo = runCli(['profiles', 'build', NAME, '--store', dir, '--mode', 'complain', '--format', 'spo'])
    assert.equal(spo.status, EXIT.USAGE)
    assert.match(spo.stderr, /--mode complain writes flat OCI JSON only/)
  })

  it('publish puts the complain variant of a store profile beside the enforcing one: <prefix>/<name>.complain.json', async () => {
    const {dir} = await storeWithCheckRun()
    const kubelet = tempDir('kubelet-')
    dirs.push(kubelet)
    const run = runCli([
      'publish',
      '--json',
      '--kubelet-root-dir',
      kubelet,
      '--prefix',
      'p',
      profileFile(dir, '.complain'),
    ])
    assert.equal(run.status, EXIT.OK, run.stderr)
    const out = valid<{profiles: Array<{localhostProfile: string}>}>('publish', run.stdout)
    assert.equal(out.profiles[0]!.localhostProfile, 'p/team/web.complain.json')
  })

  it('a hashed (long) name keeps its .complain suffix when published', async () => {
    const dir = tempDir('drift-long-')
    dirs.push(dir)
    const long = ['a', 'b', 'c'].map((c) => c.repeat(63)).join('/')
    const store = new RecordingStore(dir, {durable: false})
    await store.save(makeRecording({name: long, syscalls: ['read']}))
    await buildProfiles(store, {mode: 'complain'})
    assert.match(store.profilePaths(long).complain, /_h[0-9a-f]{16}\.complain\.json$/)
    assert.equal(await publishedNameOf(store.profilePaths(long).complain), `${long}.complain`)
  })
})

interface DriftOut {
  findings: number
  accepted: Array<{name: string; runs: number}>
  names: Array<{
    name: string
    checkRuns: number
    findings: Array<{syscall: string; runs: Array<{id: string; runtime: string; container: {pod: string}}>}>
  }>
}

describe('drift', () => {
  it('lists what the enforcing profile would deny, with the run; exit 1; text, markdown and --json', async () => {
    const {dir, check} = await storeWithCheckRun()
    const json = runCli(['drift', '--store', dir, '--json'])
    assert.equal(json.status, EXIT.CHECK_FAILED, json.stderr)
    const out = valid<DriftOut>('drift', json.stdout)
    assert.equal(out.findings, 2)
    assert.deepEqual(
      out.names.map((n) => [n.name, n.checkRuns, n.findings.map((f) => f.syscall)]),
      [[NAME, 1, ['mkdir', 'symlink']]],
    )
    const run = out.names[0]!.findings[0]!.runs[0]!
    assert.deepEqual([run.id, run.runtime, run.container.pod], [check.id, 'crun', 'web-5f7c9d-abcde'])

    const text = runCli(['drift', NAME, '--store', dir])
    assert.equal(text.status, EXIT.CHECK_FAILED)
    assert.match(text.stdout, /team\/web {2}1 check run against .*team_2Fweb\.json: 2 would be denied/)
    assert.match(
      text.stdout,
      new RegExp(`mkdir\\n {4}run ${check.id}, ended 2026-05-02T10:00:00.000Z, default/web-5f7c9d-abcde, crun`),
    )

    const markdown = runCli(['drift', '--store', dir, '--format', 'markdown'])
    assert.equal(markdown.status, EXIT.CHECK_FAILED)
    assert.match(
      markdown.stdout,
      new RegExp(
        `\\| \`symlink\` \\| \`${check.id}\` \\| 2026-05-02T10:00:00.000Z \\| default/web-5f7c9d-abcde \\| crun \\|`,
      ),
    )
  })

  it('exit 0 when nothing would be denied, and for a name without check runs', async () => {
    const {dir} = await storeWithCheckRun()
    const clean = runCli(['drift', 'team/db', '--store', dir, '--json'])
    assert.equal(clean.status, EXIT.OK, clean.stderr)
    assert.equal(valid<DriftOut>('drift', clean.stdout).findings, 0)
    const empty = tempDir('drift-empty-')
    dirs.push(empty)
    const store = new RecordingStore(empty, {durable: false})
    await store.save(makeRecording({name: 'a', syscalls: ['read', 'write']}))
    await store.save(asCheck(makeRecording({name: 'a', syscalls: ['read']})))
    await buildProfiles(store)
    const none = runCli(['drift', '--store', empty])
    assert.equal(none.status, EXIT.OK, none.stderr)
    assert.match(none.stdout, /a {2}1 check run against .*: nothing the profile would deny/)
  })

  it('bad input: an unknown name, a hostile name, check runs without a built profile, markdown with --json (exit 2)', async () => {
    const {dir} = await storeWithCheckRun({build: false})
    for (const [args, message] of [
      [['drift', 'nope'], /no recordings of nope/],
      [['drift', 'a//b'], /empty segments/],
      [['drift'], /team\/web: check runs but no enforcing profile/],
      [['drift', '--format', 'markdown', '--json'], /exclude each other/],
    ] as const) {
      const run = runCli([...args, '--store', dir])
      assert.equal(run.status, EXIT.USAGE, `${args.join(' ')}: ${run.stderr}`)
      assert.match(run.stderr + run.stdout, message)
      assert.doesNotMatch(run.stderr, /\n\s+at .*\.js:\d+/)
    }
  })

  it('--accept folds the check runs into the profile (and its complain variant); again, it changes nothing', async () => {
    const {dir, check} = await storeWithCheckRun()
    const accepted = runCli(['drift', '--accept', '--store', dir, '--json'])
    assert.equal(accepted.status, EXIT.OK, accepted.stderr)
    const out = valid<DriftOut>('drift', accepted.stdout)
    assert.deepEqual(
      out.accepted.map((a) => [a.name, a.runs]),
      [[NAME, 1]],
    )
    assert.equal(out.findings, 0)
    assert.deepEqual(allowedIn(profileFile(dir)), ['exit_group', 'mkdir', 'read', 'symlink', 'write'])
    assert.deepEqual(allowedIn(profileFile(dir, '.complain')), ['exit_group', 'mkdir', 'read', 'symlink', 'write'])
    const recordingDir = join(dir, 'recordings', 'team_2Fweb')
    const stored = JSON.parse(readFileSync(join(recordingDir, `${check.id}.json`), 'utf8')) as Recording
    assert.match(stored.check?.acceptedAt ?? '', /^\d{4}-/)

    const snapshot = () =>
      [
        profileFile(dir),
        profileFile(dir, '.complain'),
        ...readdirSync(recordingDir).map((f) => join(recordingDir, f)),
      ].map((p) => readFileSync(p, 'utf8'))
    const before = snapshot()
    const again = runCli(['drift', '--accept', '--store', dir, '--json'])
    assert.equal(again.status, EXIT.OK, again.stderr)
    assert.deepEqual(valid<DriftOut>('drift', again.stdout).accepted, [])
    assert.deepEqual(snapshot(), before)
    assert.equal(runCli(['drift', NAME, '--store', dir]).status, EXIT.OK)
    // An accepted check run contributes like any run: a plain build keeps what --accept added.
    await buildProfiles(new RecordingStore(dir))
    assert.deepEqual(allowedIn(profileFile(dir)), ['exit_group', 'mkdir', 'read', 'symlink', 'write'])
  })
})
