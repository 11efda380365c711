/**
 * Issue 15, profile side, through the CLI: argument-aware profiles from the recordings in fixtures/args/store
 * (two runs of demo/web with socket, clone, ioctl and prctl values), name-only with --args off, the coverage
 * sidecar per value, profiles show, diff (text, markdown, JSON), merge, the SPO YAML and validate.
 */
import assert from 'node:assert/strict'
import {cpSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {Ajv} from 'ajv'
import {parse} from 'yaml'
import {PROFILES_BUILD_OUTPUT} from '../../src/cli/output-schemas/profiles-build.js'
import {PROFILES_SHOW_OUTPUT} from '../../src/cli/output-schemas/profiles-show.js'
import {DIFF_OUTPUT} from '../../src/cli/output-schemas/diff.js'
import {parseCoverage} from '../../src/store/coverage.js'
import {checkProfileText} from '../../src/profile/load.js'
import {mergeProfiles} from '../../src/aggregate/merge.js'
import {syscallVerdict} from '../../src/profile/semantics.js'
import {fixture, runCli} from '../helpers/cli.js'
import {tempDir} from '../store/helpers/recordings.js'

const ajv = new Ajv({allErrors: true, strict: false})
const dirs: string[] = []
after(() => dirs.forEach((d) => rmSync(d, {recursive: true, force: true})))
function scratch(): string {
  const dir = tempDir('args-cli-')
  dirs.push(dir)
  cpSync(fixture('args', 'store'), join(dir, 'store'), {recursive: true})
  return dir
}
function ok(args: string[]): string {
  const run = runCli(args)
  assert.equal(run.status, 0, `${args.join(' ')}: ${run.stderr}`)
  return run.stdout
}
function valid(schema: object, stdout: string): any {
  const value = JSON.parse(stdout)
  const validate = ajv.compile(schema)
  assert.ok(validate(value), JSON.stringify(validate.errors))
  return value
}

describe('profiles build with argument values', () => {
  const dir = scratch()
  const store = join(dir, 'store')
  const argsProfile = join(dir, 'args.json')
  const nameOnly = join(dir, 'names.json')
  ok(['profiles', 'build', 'demo/web', '--store', store, '--output', argsProfile])
  ok(['profiles', 'build', 'demo/web', '--store', store, '--output', nameOnly, '--args', 'off'])

  it('restricts the curated syscalls to the values seen and says so in the summary (text and --json)', () => {
    const text = ok(['profiles', 'build', '--store', store, '--dry-run'])
    assert.match(text, /socket only for AF_UNIX \(SOCK_STREAM\), AF_INET \(SOCK_STREAM\), AF_INET6 \(SOCK_STREAM\)/)
    assert.match(text, /clone only for no namespace flags/)
    assert.match(text, /clone3 → ENOSYS/)
    const json = valid(PROFILES_BUILD_OUTPUT, ok(['profiles', 'build', '--store', store, '--dry-run', '--json']))
    const args = json.profiles[0].arguments
    assert.equal(args.mode, 'on')
    assert.deepEqual(
      args.restricted.map((r: {name: string}) => r.name),
      ['clone', 'ioctl', 'prctl', 'socket'],
    )
    assert.equal(args.clone3Enosys, true)
    const profile = checkProfileText(readFileSync(argsProfile, 'utf8'))
    assert.ok(profile.valid)
    assert.equal(syscallVerdict(profile.profile, 'socket').allowance, 'conditional')
    assert.equal(syscallVerdict(profile.profile, 'read').allowance, 'allowed')
  })

  it('writes per-value coverage into the sidecar', () => {
    const coverage = parseCoverage(readFileSync(join(dir, 'args.coverage.json'), 'utf8'))!
    assert.deepEqual(coverage.arguments!.socket!.values, [
      {value: ['1', '1'], recordings: 1},
      {value: ['2', '1'], recordings: 2},
      {value: ['10', '1'], recordings: 1},
    ])
    assert.equal(coverage.arguments!.ioctl!.values.find((v) => v.value[0] === '21505')!.recordings, 2)
  })

  it('builds name-only profiles with --args off, and says so', () => {
    const profile = checkProfileText(readFileSync(nameOnly, 'utf8'))
    assert.ok(profile.valid)
    for (const name of ['socket', 'clone', 'ioctl', 'prctl'])
      assert.equal(syscallVerdict(profile.profile, name).allowance, 'allowed')
    assert.match(ok(['profiles', 'build', '--store', store, '--dry-run', '--args', 'off']), /argument rules off/)
  })

  it('says loudly when a value set overflowed: the syscall is allowed by name', () => {
    const path = join(store, 'recordings', 'demo_2Fweb', 'args-web-2.json')
    const recording = JSON.parse(readFileSync(path, 'utf8'))
    recording.arguments.ioctl.overflow = true
    const store2 = join(dir, 'store2')
    cpSync(store, store2, {recursive: true})
    writeFileSync(join(store2, 'recordings', 'demo_2Fweb', 'args-web-2.json'), JSON.stringify(recording))
    assert.match(
      ok(['profiles', 'build', '--store', store2, '--dry-run']),
      /WARNING: ioctl allowed by name, with any arguments: the kernel saw more distinct values than it keeps \(1 recording\)/,
    )
    const json = valid(PROFILES_BUILD_OUTPUT, ok(['profiles', 'build', '--store', store2, '--dry-run', '--json']))
    assert.deepEqual(json.profiles[0].arguments.byName[0], {
      name: 'ioctl',
      reason: 'overflow',
      why: 'the kernel saw more distinct values than it keeps',
      recordings: 1,
    })
  })

  it('profiles show lists the values by name', () => {
    const text = ok(['profiles', 'show', argsProfile])
    assert.match(text, /socket: AF_UNIX \(SOCK_STREAM\), AF_INET \(SOCK_STREAM\), AF_INET6 \(SOCK_STREAM\)/)
    assert.match(text, /prctl: PR_SET_NAME, PR_SET_NO_NEW_PRIVS/)
    assert.match(text, /ioctl: TCGETS, TIOCGWINSZ/)
    const json = valid(PROFILES_SHOW_OUTPUT, ok(['profiles', 'show', argsProfile, '--json']))
    assert.deepEqual(json.summary.allowedValues.find((v: {name: string}) => v.name === 'clone').values, [
      'no namespace flags',
    ])
  })

  it('diff says what name-only allows more, by name, in text, markdown and JSON', () => {
    const run = runCli(['diff', argsProfile, nameOnly])
    assert.match(run.stdout, /socket/)
    assert.match(
      run.stdout,
      /SCMP_ACT_ALLOW for AF_UNIX \(SOCK_STREAM\), AF_INET \(SOCK_STREAM\), AF_INET6 \(SOCK_STREAM\)/,
    )
    const md = runCli(['diff', argsProfile, nameOnly, '--format', 'markdown']).stdout
    assert.match(md, /\| changed \(wider\) \| `socket` \| SCMP_ACT_ALLOW for AF_UNIX/)
    const json = valid(DIFF_OUTPUT, runCli(['diff', argsProfile, nameOnly, '--json']).stdout)
    const socket = json.syscalls.changed.find((c: {name: string}) => c.name === 'socket')
    assert.equal(socket.widens, true)
    assert.deepEqual(socket.from.values, ['AF_UNIX (SOCK_STREAM)', 'AF_INET (SOCK_STREAM)', 'AF_INET6 (SOCK_STREAM)'])
  })

  it('diff says when both allow a syscall with different values', () => {
    const profile = JSON.parse(readFileSync(argsProfile, 'utf8'))
    profile.syscalls.push({names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{index: 0, value: 17, op: 'SCMP_CMP_EQ'}, {index: 1, value: 4294440959, valueTwo: 3, op: 'SCMP_CMP_MASKED_EQ'}]}) // prettier-ignore
    const wider = join(dir, 'wider.json')
    writeFileSync(wider, JSON.stringify(profile))
    const text = runCli(['diff', argsProfile, wider]).stdout
    assert.match(text, /allowed in both, with other argument values: added AF_PACKET \(SOCK_RAW\)/)
    const json = valid(DIFF_OUTPUT, runCli(['diff', argsProfile, wider, '--json']).stdout)
    assert.deepEqual(json.syscalls.changed[0].values, {added: ['AF_PACKET (SOCK_RAW)'], removed: []})
  })

  it('merge: a name-only allow in either input wins over conditions', () => {
    const a = checkProfileText(readFileSync(argsProfile, 'utf8'))
    const b = checkProfileText(readFileSync(nameOnly, 'utf8'))
    assert.ok(a.valid && b.valid)
    const merged = mergeProfiles([a.profile, b.profile])
    assert.equal(syscallVerdict(merged, 'socket').allowance, 'allowed')
    assert.equal(syscallVerdict(merged, 'socket').conditional.length, 0)
    const self = mergeProfiles([a.profile, a.profile])
    assert.deepEqual(syscallVerdict(self, 'socket').values, syscallVerdict(a.profile, 'socket').values)
  })

  it('the SPO YAML carries the conditions with exact values', () => {
    const yaml = ok(['profiles', 'build', 'demo/web', '--store', store, '--format', 'spo', '--output', '-'])
    const spo = parse(yaml, {intAsBigInt: true})
    const socketRules = spo.spec.syscalls.filter((r: {names: string[]}) => r.names.includes('socket'))
    assert.equal(socketRules.length, 3)
    assert.deepEqual(socketRules[0].args[1], {index: 1n, value: 4294440959n, valueTwo: 1n, op: 'SCMP_CMP_MASKED_EQ'})
  })

  it('validate warns about a condition on an argument the syscall does not have', () => {
    const bad = join(dir, 'bad-index.json')
    writeFileSync(bad, JSON.stringify({defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{index: 3, value: 8, op: 'SCMP_CMP_EQ'}]}]})) // prettier-ignore
    const run = runCli(['validate', bad])
    assert.match(run.stdout + run.stderr, /"personality" takes 1 argument \(index 0\): a condition on index 3/)
    assert.doesNotMatch(runCli(['validate', argsProfile]).stdout, /lint.argument-index|takes/)
  })
})
