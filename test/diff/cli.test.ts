/**
 * `seccomp-recorder diff` as users run it (bin/run.js): exit codes for CI gating, --json checked against the
 * schema in src/cli/output-schemas/diff.ts, --format markdown against golden files, the host's runtime default.
 * Set UPDATE_GOLDEN=1 to rewrite the golden files, then read the diff of them before committing.
 */
import assert from 'node:assert/strict'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {describe, it} from 'node:test'
import {Ajv} from 'ajv'
import {EXIT} from '../../src/core/exit-codes.js'
import {DIFF_OUTPUT} from '../../src/cli/output-schemas/diff.js'
import type {ProfilesDiffJson, RuntimeDefaultDiffJson} from '../../src/cli/formatters/diff-report.js'
import {fixture, runCli} from '../helpers/cli.js'

const V1 = 'fixtures/diff/app-v1.json'
const V2 = 'fixtures/diff/app-v2.json'
const BUSYBOX = 'fixtures/profiles/valid/recorded-busybox.json'
const MINIMAL = 'fixtures/profiles/valid/minimal.json'
/** A fixed target so that output does not depend on the machine. */
const TARGET = ['--arch', 'x86_64', '--kernel', '6.1.0']

const ajv = new Ajv({allErrors: true, strict: false})
const validate = ajv.compile(DIFF_OUTPUT)

function json<T>(args: string[], status: number): T {
  const run = runCli(['diff', '--json', ...args])
  assert.equal(run.status, status, `diff --json ${args.join(' ')}: ${run.stderr}`)
  const output = JSON.parse(run.stdout) as unknown
  assert.ok(validate(output), `diff --json ${args.join(' ')}: ${ajv.errorsText(validate.errors)}`)
  return output as T
}

describe('diff: exit codes', () => {
  it('0 when nothing differs: diff A A', () => {
    const run = runCli(['diff', V1, V1, '--fail-on', 'any'])
    assert.equal(run.status, EXIT.OK)
    assert.match(run.stdout, /no differences; passes --fail-on any/)
  })

  it('1 when a difference matches --fail-on, 0 when none does', () => {
    // v1 → v2 adds syscalls and removes some.
    assert.equal(runCli(['diff', V1, V2]).status, EXIT.CHECK_FAILED) // default --fail-on added
    assert.equal(runCli(['diff', V1, V2, '--fail-on', 'removed']).status, EXIT.CHECK_FAILED)
    assert.equal(runCli(['diff', V1, V2, '--fail-on', 'none']).status, EXIT.OK)
    // v1 → minimal only removes: passes the default gate, fails --fail-on removed and any.
    assert.equal(runCli(['diff', V1, MINIMAL]).status, EXIT.OK)
    assert.equal(runCli(['diff', V1, MINIMAL, '--fail-on', 'removed']).status, EXIT.CHECK_FAILED)
    assert.equal(runCli(['diff', V1, MINIMAL, '--fail-on', 'any']).status, EXIT.CHECK_FAILED)
    // Mirror: minimal → v1 only adds.
    assert.equal(runCli(['diff', MINIMAL, V1]).status, EXIT.CHECK_FAILED)
    assert.equal(runCli(['diff', MINIMAL, V1, '--fail-on', 'removed']).status, EXIT.OK)
  })

  it('against a runtime default: 1 when the workload would (maybe) fail, 0 when it only removes attack surface', () => {
    assert.equal(runCli(['diff', BUSYBOX, '--against', 'runtime-default:moby', ...TARGET]).status, EXIT.OK)
    assert.equal(runCli(['diff', V2, '--against', 'runtime-default:moby', ...TARGET]).status, EXIT.CHECK_FAILED)
    assert.equal(
      runCli(['diff', BUSYBOX, '--against', 'runtime-default:moby', ...TARGET, '--fail-on', 'removed']).status,
      EXIT.CHECK_FAILED,
    )
  })

  it('2 for usage and input errors, with a message and a suggestion but no stack trace', () => {
    const cases: Array<[string[], RegExp]> = [
      [[V1], /needs a second profile or --against/],
      [[V1, V2, '--against', 'runtime-default'], /either a second profile or --against/],
      [[V1, '--against', 'runtime-default:podman'], /not a runtime default/],
      [[V1, '--against', 'runtime-default', '--arch', 'sparc'], /unknown architecture/],
      [[V1, '--against', 'runtime-default', '--kernel', 'latest'], /not a kernel version/],
      [
        [V1, '--against', 'runtime-default', '--cap-add', 'SYS_ADMN'],
        /unknown capability[\s\S]*did you mean CAP_SYS_ADMIN/,
      ],
      [[V1, 'fixtures/diff/no-such.json'], /cannot read profile fixtures\/diff\/no-such\.json: no such file/],
      [[V1, 'fixtures/profiles/invalid/bad-operator.json'], /is not a valid seccomp profile/],
      [[V1, fixture('runtime-default', 'both-architectures.json')], /both 'architectures' and 'archMap'/],
      [[V1, V2, '--format', 'markdown', '--json'], /exclude each other/],
      [[V1, V2, '--fail-on', 'sometimes'], /Expected --fail-on=sometimes/],
    ]
    for (const [args, message] of cases) {
      const run = runCli(['diff', ...args])
      assert.equal(run.status, EXIT.USAGE, `diff ${args.join(' ')}`)
      assert.match(run.stderr + run.stdout, message, `diff ${args.join(' ')}`)
      assert.doesNotMatch(run.stderr, /\n\s+at .*\.js:\d+/, `diff ${args.join(' ')}`)
    }
  })
})

describe('diff: --json', () => {
  it('prints JSON that matches the schema in every mode', () => {
    json([BUSYBOX, '--against', 'runtime-default:host'], EXIT.OK)
    json([BUSYBOX, '--against', 'runtime-default:containers-common', '--unified'], EXIT.OK)
    json([V2, '--against', 'runtime-default:containerd', '--arch', 'aarch64', '--caps', 'none'], EXIT.CHECK_FAILED)
    json([V1, '--against', 'runtime-default', '--arch', 's390x'], EXIT.CHECK_FAILED)
    json([V1, V2, '--unified'], EXIT.CHECK_FAILED)
    json([V1, 'fixtures/diff/docker-format.json', '--cap-add', 'SYS_PTRACE'], EXIT.CHECK_FAILED)
    json([V1, V1], EXIT.OK)
  })

  it('mirrors A B and B A', () => {
    const ab = json<ProfilesDiffJson>([V1, V2, '--fail-on', 'none'], EXIT.OK)
    const ba = json<ProfilesDiffJson>([V2, V1, '--fail-on', 'none'], EXIT.OK)
    assert.deepEqual(
      ab.syscalls.added.map((c) => c.name),
      ba.syscalls.removed.map((c) => c.name),
    )
    assert.deepEqual(
      ab.syscalls.removed.map((c) => c.name),
      ba.syscalls.added.map((c) => c.name),
    )
    assert.deepEqual(
      ab.syscalls.changed.map((c) => [c.name, c.widens, c.narrows]),
      ba.syscalls.changed.map((c) => [c.name, c.narrows, c.widens]),
    )
    assert.deepEqual([ab.findings.added, ab.findings.removed], [ba.findings.removed, ba.findings.added])
  })

  it('says when a docker/moby-format input was resolved, and for what', () => {
    const out = json<ProfilesDiffJson>(
      [V1, 'fixtures/diff/docker-format.json', ...TARGET, '--cap-add', 'SYS_PTRACE'],
      EXIT.CHECK_FAILED,
    )
    assert.equal(out.b.format, 'docker')
    assert.equal(out.b.resolved, true)
    assert.equal(out.a.resolved, false)
    assert.equal(out.resolvedFor?.arch, 'SCMP_ARCH_X86_64')
    assert.equal(out.resolvedFor?.capsSource, 'custom')
    assert.ok(out.resolvedFor?.caps.includes('CAP_SYS_PTRACE'))
    assert.deepEqual(
      out.syscalls.added.map((c) => c.name),
      ['ptrace'],
    )
    const human = runCli(['diff', V1, 'fixtures/diff/docker-format.json', ...TARGET])
    assert.match(
      human.stdout,
      /docker-format\.json is docker\/moby format: resolved for x86_64, kernel 6\.1\.0, 11 capabilities/,
    )
  })

  it('shows coverage from the sidecar next to a profile', () => {
    const out = json<ProfilesDiffJson>([V1, V2], EXIT.CHECK_FAILED)
    assert.equal(out.b.coverage?.recordings, 5)
    assert.equal(out.a.coverage, null)
    assert.deepEqual(
      out.syscalls.added.map((c) => [c.name, c.seen.b]),
      [
        ['ptrace', 2],
        ['socket', 3],
      ],
    )
    const rd = json<RuntimeDefaultDiffJson>([V2, '--against', 'runtime-default:moby', ...TARGET], EXIT.CHECK_FAILED)
    assert.deepEqual(
      rd.mayFail.map((n) => [n.name, n.seen]),
      [
        ['clone', 4],
        ['socket', 3],
      ],
    )
  })
})

describe('diff --against runtime-default:host on this machine', () => {
  it("uses Debian's installed containers-common profile", () => {
    const hostFile = ['/etc/containers/seccomp.json', '/usr/share/containers/seccomp.json'].find((p) => existsSync(p))
    assert.ok(hostFile, 'install podman (golang-github-containers-common): no host seccomp.json')
    const out = json<RuntimeDefaultDiffJson>([BUSYBOX, '--against', 'runtime-default:host', ...TARGET], EXIT.OK)
    assert.equal(out.runtimeDefault.name, 'host')
    assert.equal(out.runtimeDefault.source, hostFile)
    assert.deepEqual(out.runtimeDefault.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'])
    assert.equal(out.runtimeDefault.caps.length, 11)
    // Plain runtime-default means the host's profile when there is one.
    assert.equal(
      json<RuntimeDefaultDiffJson>([BUSYBOX, '--against', 'runtime-default', ...TARGET], EXIT.OK).runtimeDefault.name,
      'host',
    )
    // The x86_64 count itself is checked against an independent count in test/runtime-default/load.test.ts;
    // here: the CLI reports the same figure the resolver gives.
    const counts = out.runtimeDefault.counts.x86_64!
    assert.ok(counts.allowed >= 290 && counts.allowed <= 320, String(counts.allowed))
    assert.equal(out.attackSurface.byAbi.x86_64!.runtimeDefaultAllows, counts.allowed + counts.conditional)
    assert.deepEqual(out.willFail, [])
    assert.deepEqual(out.mayFail, [])
  })
})

describe('diff --format markdown', () => {
  const goldens: Array<[string, string[]]> = [
    ['app-v2-against-moby.md', [V2, '--against', 'runtime-default:moby', ...TARGET, '--format', 'markdown']],
    ['app-v1-to-app-v2.md', [V1, V2, '--format', 'markdown']],
  ]
  for (const [file, args] of goldens) {
    it(`matches the golden file ${file}`, () => {
      const run = runCli(['diff', ...args])
      assert.equal(run.status, EXIT.CHECK_FAILED)
      const path = fixture('diff', 'golden', file)
      if (process.env.UPDATE_GOLDEN) writeFileSync(path, run.stdout)
      assert.equal(run.stdout, readFileSync(path, 'utf8'))
    })

    it(`${file} is made of well-formed tables`, () => {
      const text = readFileSync(fixture('diff', 'golden', file), 'utf8')
      const tables = text
        .split(/\n(?!\|)/)
        .map((block) => block.split('\n').filter((l) => l.startsWith('|')))
        .filter((rows) => rows.length > 0)
      assert.ok(tables.length >= 2)
      // Cells are separated by unescaped pipes; every row of a table has as many cells as its header.
      const cells = (row: string) => row.replaceAll('\\|', '').split('|').length - 2
      for (const rows of tables) {
        assert.ok(rows.length >= 3, `a table needs a header, a separator and rows: ${rows[0]}`)
        assert.match(rows[1]!, /^\|(\s*:?-{3,}:?\s*\|)+$/, `separator row: ${rows[1]}`)
        for (const row of rows) assert.equal(cells(row), cells(rows[0]!), row)
      }
    })
  }
})

describe('diff: colour', () => {
  it('honours NO_COLOR and colours the unified diff when forced', () => {
    assert.doesNotMatch(
      runCli(['diff', V1, V2, '--unified'], {env: {NO_COLOR: '1', FORCE_COLOR: '1'}}).stdout,
      /\u001b\[/,
    )
    const coloured = runCli(['diff', V1, V2, '--unified'], {env: {NO_COLOR: undefined, FORCE_COLOR: '1'}}).stdout
    assert.match(coloured, /\u001b\[32m\+\s+"ptrace",/)
    assert.match(coloured, /\u001b\[31m-\s+"fstat",/)
  })

  it('never colours markdown or JSON', () => {
    assert.doesNotMatch(
      runCli(['diff', V1, V2, '--format', 'markdown'], {env: {NO_COLOR: undefined, FORCE_COLOR: '1'}}).stdout,
      /\u001b\[/,
    )
    assert.doesNotMatch(
      runCli(['diff', V1, V2, '--json', '--unified'], {env: {NO_COLOR: undefined, FORCE_COLOR: '1'}}).stdout,
      /\u001b\[/,
    )
  })
})
