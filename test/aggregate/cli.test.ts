import assert from 'node:assert/strict'
import {existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {Ajv} from 'ajv'
import {parse} from 'yaml'
import {EXIT} from '../../src/core/exit-codes.js'
import {ERROR_OUTPUT_SCHEMA} from '../../src/cli/output-schemas/common.js'
import {PROFILES_BUILD_OUTPUT} from '../../src/cli/output-schemas/profiles-build.js'
import {PROFILES_LIST_OUTPUT} from '../../src/cli/output-schemas/profiles-list.js'
import {PROFILES_MERGE_OUTPUT} from '../../src/cli/output-schemas/profiles-merge.js'
import {checkProfileText} from '../../src/profile/load.js'
import {runCli} from '../helpers/cli.js'
import {copyFixtureStore, makeRecording, tempDir} from '../store/helpers/recordings.js'

const ajv = new Ajv({allErrors: true, strict: false})
const dirs: string[] = []
after(() => dirs.forEach((d) => rmSync(d, {recursive: true, force: true})))
function store(): string {
  const dir = copyFixtureStore()
  dirs.push(dir)
  return dir
}
function scratch(): string {
  const dir = tempDir('cli-')
  dirs.push(dir)
  return dir
}
function validJson(schema: object, stdout: string): unknown {
  const output = JSON.parse(stdout) as unknown
  const validate = ajv.compile(schema)
  assert.ok(validate(output), ajv.errorsText(validate.errors))
  return output
}
function assertCleanError(run: {status: number; stderr: string}, exit: number, message: RegExp): void {
  assert.equal(run.status, exit, run.stderr)
  assert.match(run.stderr, message)
  assert.match(run.stderr, /try:/)
  assert.doesNotMatch(run.stderr, /\n\s+at .*\.js:\d+/)
}

describe('profiles build (CLI)', () => {
  it('builds every name into the store, --json matching its schema', () => {
    const dir = store()
    const run = runCli(['profiles', 'build', '--store', dir, '--json'])
    assert.equal(run.status, EXIT.OK, run.stderr)
    const output = validJson(PROFILES_BUILD_OUTPUT, run.stdout) as {
      profiles: Array<{name: string; recordings: number; coverage: {syscalls: Record<string, number>}}>
    }
    assert.deepEqual(
      output.profiles.map((p) => [p.name, p.recordings]),
      [
        ['default/db/postgres', 2],
        ['default/web/nginx', 5],
        ['tools/busybox', 1],
      ],
    )
    assert.equal(output.profiles[1]!.coverage.syscalls.getrandom, 1)
    assert.deepEqual(readdirSync(join(dir, 'profiles')).sort(), [
      'default_2Fdb_2Fpostgres.coverage.json',
      'default_2Fdb_2Fpostgres.json',
      'default_2Fweb_2Fnginx.coverage.json',
      'default_2Fweb_2Fnginx.json',
      'tools_2Fbusybox.coverage.json',
      'tools_2Fbusybox.json',
    ])
    assert.ok(checkProfileText(readFileSync(join(dir, 'profiles', 'default_2Fweb_2Fnginx.json'), 'utf8')).valid)
  })

  it('shows what it built and the rarely seen syscalls', () => {
    const run = runCli(['profiles', 'build', 'default/web/nginx', '--store', store(), '--dry-run'])
    assert.equal(run.status, EXIT.OK, run.stderr)
    assert.match(run.stdout, /would build 1 profile from 5 recordings/)
    assert.match(run.stdout, /default\/web\/nginx {2}5 recordings, 15 syscalls/)
    assert.match(run.stdout, /11 seen in every recording; 4 in only some/)
    assert.match(run.stdout, /1\/5 #+\.+ getrandom/)
    assert.match(run.stdout, /unknown syscall number 1000 on x86_64/)
    assert.doesNotMatch(run.stdout, /\u001b\[/)
  })

  it('prints one profile with --output -, as OCI JSON or SPO YAML, and --format json like --json', () => {
    const dir = store()
    const oci = runCli(['profiles', 'build', 'default/db/postgres', '--store', dir, '--output', '-'])
    assert.equal(oci.status, EXIT.OK, oci.stderr)
    assert.deepEqual(JSON.parse(oci.stdout).syscalls[0].names, [
      'close',
      'execve',
      'exit_group',
      'fsync',
      'lseek',
      'openat',
      'pread64',
      'pwrite64',
      'read',
      'write',
    ])
    assert.match(oci.stderr, /built 1 profile/)
    const spo = runCli(['profiles', 'build', 'default/web/*', '--store', dir, '--output', '-', '--format', 'spo'])
    assert.equal(spo.status, EXIT.OK, spo.stderr)
    assert.equal((parse(spo.stdout) as {kind: string}).kind, 'SeccompProfile')
    const asFormat = runCli(['profiles', 'build', '--store', dir, '--dry-run', '--format', 'json'])
    const asFlag = runCli(['profiles', 'build', '--store', dir, '--dry-run', '--json'])
    assert.deepEqual(JSON.parse(asFormat.stdout), JSON.parse(asFlag.stdout))
  })

  it('writes the SPO YAML beside the OCI profile with --format spo', () => {
    const dir = store()
    const run = runCli(['profiles', 'build', 'tools/busybox', '--store', dir, '--format', 'spo'])
    assert.equal(run.status, EXIT.OK, run.stderr)
    assert.ok(existsSync(join(dir, 'profiles', 'tools_2Fbusybox.spo.yaml')))
    assert.ok(existsSync(join(dir, 'profiles', 'tools_2Fbusybox.json')))
  })

  it('fails cleanly: empty store, bad time, two stdout outputs, --output with several names', () => {
    const empty = scratch()
    assertCleanError(runCli(['profiles', 'build', '--store', empty]), EXIT.USAGE, /no recordings in the store/)
    assertCleanError(
      runCli(['profiles', 'build', '--store', store(), '--since', 'last tuesday']),
      EXIT.USAGE,
      /--since "last tuesday"/,
    )
    const twice = runCli(['profiles', 'build', '--store', store(), '--output', '-', '--json'])
    assert.equal(twice.status, EXIT.USAGE)
    assert.match((JSON.parse(twice.stdout) as {error: {message: string}}).error.message, /choose one/)
    assertCleanError(
      runCli(['profiles', 'build', '--store', store(), '--output', join(empty, 'x.json')]),
      EXIT.USAGE,
      /3 names match/,
    )
    const json = runCli(['profiles', 'build', '--store', empty, '--json'])
    assert.equal(json.status, EXIT.USAGE)
    assert.ok(ajv.validate(ERROR_OUTPUT_SCHEMA, JSON.parse(json.stdout)), ajv.errorsText())
  })

  it('refuses names that end like a sidecar; a planted recording of one never writes over a sidecar', () => {
    const dir = store()
    for (const name of ['tools/busybox.coverage', 'tools/busybox.complain']) {
      const run = runCli(['profiles', 'build', '--store', dir, name])
      assert.equal(run.status, EXIT.USAGE, run.stderr)
      assert.match(run.stderr, /ends in "\.(coverage|complain)", kept for the file beside a profile/)
      assert.doesNotMatch(run.stderr, /\n\s+at .*\.js:\d+/)
    }
    // A recording named tools/busybox.coverage, put into the store by a writer that skips the checks: its
    // profile would be profiles/tools_2Fbusybox.coverage.json, tools/busybox's sidecar.
    const planted = {
      ...makeRecording({name: 'tools/busybox', syscalls: ['read']}),
      id: 'planted',
      name: 'tools/busybox.coverage',
    }
    mkdirSync(join(dir, 'recordings', 'tools_2Fbusybox.coverage'))
    writeFileSync(join(dir, 'recordings', 'tools_2Fbusybox.coverage', 'planted.json'), JSON.stringify(planted))
    const run = runCli(['profiles', 'build', '--store', dir, '--json'])
    assert.equal(run.status, EXIT.OK, run.stderr)
    const output = JSON.parse(run.stdout) as {profiles: Array<{name: string}>; invalid: Array<{path: string}>}
    assert.deepEqual(
      output.profiles.map((p) => p.name),
      ['default/db/postgres', 'default/web/nginx', 'tools/busybox'],
    )
    assert.match(JSON.stringify(output.invalid), /planted\.json/)
    const sidecar = JSON.parse(readFileSync(join(dir, 'profiles', 'tools_2Fbusybox.coverage.json'), 'utf8')) as {
      recordings: number
    }
    assert.equal(sidecar.recordings, 1)
  })

  it('reads the store from SECCOMP_RECORDER_STORE', () => {
    const run = runCli(['profiles', 'list', '--json'], {env: {SECCOMP_RECORDER_STORE: store()}})
    assert.equal((JSON.parse(run.stdout) as {profiles: unknown[]}).profiles.length, 3)
  })
})

describe('profiles list (CLI)', () => {
  it('lists names with their recordings, --json matching its schema', () => {
    const dir = store()
    writeFileSync(join(dir, 'recordings', 'default_2Fweb_2Fnginx', 'broken.json'), '{"version": 1,')
    const human = runCli(['profiles', 'list', '--store', dir])
    assert.equal(human.status, EXIT.OK, human.stderr)
    assert.match(human.stdout, /^NAME +RECORDINGS +LAST RUN ENDED +RUNTIMES +PROFILE$/m)
    assert.match(human.stdout, /^default\/web\/nginx +5 +2026-05-02 09:01:00 UTC +runc +not built$/m)
    assert.match(human.stdout, /3 names, 8 recordings/)
    assert.match(human.stdout, /broken\.json: not valid JSON/)
    const json = runCli(['profiles', 'list', '--store', dir, '--json', 'default/*/*'])
    const output = validJson(PROFILES_LIST_OUTPUT, json.stdout) as {profiles: Array<{name: string}>; invalid: unknown[]}
    assert.deepEqual(
      output.profiles.map((p) => p.name),
      ['default/db/postgres', 'default/web/nginx'],
    )
    assert.equal(output.invalid.length, 1)
    const empty = runCli(['profiles', 'list', '--store', scratch()])
    assert.equal(empty.status, EXIT.OK)
    assert.match(empty.stdout, /no recordings in/)
  })
})

describe('profiles merge (CLI)', () => {
  function profiles(): {a: string; b: string; bad: string; dir: string} {
    const dir = scratch()
    const a = join(dir, 'a.json')
    const b = join(dir, 'b.json')
    const bad = join(dir, 'bad.json')
    writeFileSync(
      a,
      JSON.stringify({
        defaultAction: 'SCMP_ACT_ERRNO',
        syscalls: [{names: ['read', 'write', 'close'], action: 'SCMP_ACT_ALLOW'}],
      }),
    )
    writeFileSync(
      b,
      JSON.stringify({
        defaultAction: 'SCMP_ACT_ERRNO',
        architectures: ['SCMP_ARCH_X86_64'],
        syscalls: [{names: ['read', 'openat'], action: 'SCMP_ACT_ALLOW'}],
      }),
    )
    writeFileSync(bad, '{"defaultAction": "SCMP_ACT_NOPE"}')
    return {a, b, bad, dir}
  }

  it('prints the union on stdout', () => {
    const {a, b} = profiles()
    const run = runCli(['profiles', 'merge', a, b])
    assert.equal(run.status, EXIT.OK, run.stderr)
    assert.deepEqual(JSON.parse(run.stdout), {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1,
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [{names: ['close', 'openat', 'read', 'write'], action: 'SCMP_ACT_ALLOW'}],
    })
    assert.match(run.stderr, /merged 2 profiles/)
  })

  it('--check: exit 0 for a superset, 1 otherwise, with the differences; --json matching its schema', () => {
    const {a, b, dir} = profiles()
    const union = join(dir, 'union.json')
    assert.equal(runCli(['profiles', 'merge', a, b, '--output', union]).status, EXIT.OK)
    const ok = runCli(['profiles', 'merge', '--check', union, a, b])
    assert.equal(ok.status, EXIT.OK, ok.stderr)
    assert.match(ok.stdout, /allows everything the other 2 profiles allow/)
    const notOk = runCli(['profiles', 'merge', '--check', a, b])
    assert.equal(notOk.status, EXIT.CHECK_FAILED)
    assert.match(notOk.stdout, /not a superset/)
    assert.match(notOk.stdout, /openat: SCMP_ACT_ERRNO\(1\) in .*a\.json, SCMP_ACT_ALLOW in .*b\.json/)
    assert.match(notOk.stdout, /architecture SCMP_ARCH_X86_64: only in .*b\.json/)
    const json = runCli(['profiles', 'merge', '--check', '--json', a, b])
    assert.equal(json.status, EXIT.CHECK_FAILED)
    const output = validJson(PROFILES_MERGE_OUTPUT, json.stdout) as {superset: boolean; findings: unknown[]}
    assert.equal(output.superset, false)
    assert.equal(output.findings.length, 2)
    validJson(PROFILES_MERGE_OUTPUT, runCli(['profiles', 'merge', '--json', a, b]).stdout)
  })

  it('writes SPO YAML and refuses bad input cleanly', () => {
    const {a, b, bad, dir} = profiles()
    const out = join(dir, 'web.yaml')
    const run = runCli(['profiles', 'merge', a, b, '--format', 'spo', '--name', 'default/web/nginx', '--output', out])
    assert.equal(run.status, EXIT.OK, run.stderr)
    assert.deepEqual((parse(readFileSync(out, 'utf8')) as {metadata: object}).metadata, {
      name: 'web.nginx',
      namespace: 'default',
      annotations: {'seccomp-recorder/profile-name': 'default/web/nginx'},
    })
    assertCleanError(runCli(['profiles', 'merge', a]), EXIT.USAGE, /at least two profiles/)
    assertCleanError(runCli(['profiles', 'merge', a, bad]), EXIT.USAGE, /bad\.json is not a valid seccomp profile/)
    assertCleanError(runCli(['profiles', 'merge', a, join(dir, 'missing.json')]), EXIT.USAGE, /no such file/)
  })
})
