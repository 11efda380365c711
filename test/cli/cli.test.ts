import assert from 'node:assert/strict'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, relative} from 'node:path'
import {describe, it} from 'node:test'
import {Ajv} from 'ajv'
import {EXIT, EXIT_CODE_TABLE, formatExitCodeTable} from '../../src/core/exit-codes.js'
import {ERROR_OUTPUT_SCHEMA, OUTPUT_SCHEMAS} from '../../src/cli/output-schemas/index.js'
import {fixture, REPO_ROOT, runCli} from '../helpers/cli.js'

/** Command ids from the compiled command files, e.g. `profiles show`. */
function commandIds(): string[] {
  const dir = join(REPO_ROOT, 'dist', 'src', 'commands')
  const walk = (d: string): string[] =>
    readdirSync(d, {withFileTypes: true}).flatMap((e) =>
      e.isDirectory() ? walk(join(d, e.name)) : e.name.endsWith('.js') ? [join(d, e.name)] : [],
    )
  return walk(dir)
    .map((f) =>
      relative(dir, f)
        .replace(/\.js$/, '')
        .split('/')
        .filter((p) => p !== 'index')
        .join(' '),
    )
    .sort()
}

/** One --json invocation per command that exercises its output (kept in step with the commands by a test below). */
const JSON_RUNS: Record<string, string[][]> = {
  validate: [
    ['validate', '--json', 'profiles/runtime-default/moby-default.json'],
    [
      'validate',
      '--json',
      'fixtures/profiles/invalid/seven-args.json',
      'fixtures/profiles/warnings/unknown-syscall.json',
    ],
  ],
  'profiles show': [
    ['profiles', 'show', '--json', 'profiles/runtime-default/containers-common-seccomp.json'],
    ['profiles', 'show', '--json', 'fixtures/profiles/valid/recorded-busybox.json'],
  ],
  publish: [
    [
      'publish',
      '--json',
      '--dry-run',
      '--root',
      'fixtures/publish/root',
      '--prefix',
      'sr',
      '--name',
      'team/app/web',
      'fixtures/publish/busybox-allow.json',
    ],
    [
      'publish',
      '--json',
      '--kubernetes',
      '--prefix',
      'sr',
      'fixtures/publish/busybox-allow.json',
      'fixtures/publish/busybox-deny-uname-mkdir.json',
    ],
  ],
  diff: [
    ['diff', '--json', 'fixtures/profiles/valid/recorded-busybox.json', '--against', 'runtime-default:host'],
    [
      'diff',
      '--json',
      'fixtures/diff/app-v2.json',
      '--against',
      'runtime-default:moby',
      '--arch',
      'x86_64',
      '--kernel',
      '6.1.0',
    ],
    ['diff', '--json', 'fixtures/diff/app-v1.json', 'fixtures/diff/app-v2.json', '--unified'],
  ],
  'profiles build': [
    ['profiles', 'build', '--json', '--dry-run', '--store', 'fixtures/recordings/store'],
    [
      'profiles',
      'build',
      '--json',
      '--dry-run',
      '--format',
      'spo',
      '--store',
      'fixtures/recordings/store',
      'default/web/nginx',
    ],
  ],
  'profiles list': [['profiles', 'list', '--json', '--store', 'fixtures/recordings/store']],
  'profiles why': [
    [
      'profiles',
      'why',
      '--json',
      '--store',
      'fixtures/recordings/store',
      'fixtures/provenance/nginx.json',
      'getrandom',
    ],
  ],
  'profiles merge': [
    [
      'profiles',
      'merge',
      '--json',
      'profiles/runtime-default/moby-default.json',
      'fixtures/profiles/valid/recorded-busybox.json',
    ],
    [
      'profiles',
      'merge',
      '--json',
      '--check',
      'fixtures/profiles/valid/recorded-busybox.json',
      'fixtures/profiles/valid/minimal.json',
    ],
  ],
  'published list': [['published', 'list', '--json', '--root', 'fixtures/publish/root']],
  unpublish: [['unpublish', '--json', '--dry-run', '--root', 'fixtures/publish/root', 'sr/team/app/web.json']],
  drift: [['drift', '--json', '--store', 'fixtures/recordings/store']],
  wait: [
    ['wait', '--json', '--container', 'never-registered-cli-test', '--timeout', '0'],
    [
      'wait',
      '--json',
      '--output',
      'fixtures/profiles/valid/minimal.json',
      '--output',
      'fixtures/nope.json',
      '--timeout',
      '0',
    ],
  ],
}

/** Commands whose --json output needs root and the kernel recorder: checked against their schemas in test/e2e/. */
const KERNEL_COMMANDS = ['record', 'run', 'install', 'uninstall', 'status', 'gc']

describe('exit codes', () => {
  it('has one table with unique codes and names', () => {
    assert.equal(new Set(EXIT_CODE_TABLE.map((e) => e.code)).size, EXIT_CODE_TABLE.length)
    assert.deepEqual(
      EXIT_CODE_TABLE.map((e) => e.code).sort((a, b) => a - b),
      Object.values(EXIT).sort((a, b) => a - b),
    )
    for (const e of EXIT_CODE_TABLE) assert.equal(EXIT[e.name], e.code)
  })

  it('shows the table in the root help and every command help', () => {
    // Help wraps long lines to the terminal width: compare with white space folded.
    const fold = (text: string) => text.replace(/\s+/g, ' ')
    const table = fold(formatExitCodeTable())
    assert.ok(fold(runCli(['--help']).stdout).includes(table))
    for (const id of commandIds())
      assert.ok(
        fold(runCli([...id.split(' '), '--help']).stdout).includes(table),
        `${id} --help lacks the exit-code table`,
      )
  })

  it('documents the same table in the README', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')
    for (const e of EXIT_CODE_TABLE)
      assert.ok(readme.includes(`| ${e.code} | \`${e.name}\` | ${e.meaning} |`), `README lacks exit code ${e.code}`)
  })

  it('validate: 0 valid, 1 invalid, 2 unreadable or bad usage', () => {
    assert.equal(runCli(['validate', 'fixtures/profiles/valid/minimal.json']).status, EXIT.OK)
    assert.equal(runCli(['validate', 'fixtures/profiles/invalid/truncated.json']).status, EXIT.CHECK_FAILED)
    assert.equal(
      runCli(['validate', 'fixtures/profiles/valid/minimal.json', 'fixtures/profiles/no-such.json']).status,
      EXIT.USAGE,
    )
    assert.equal(runCli(['validate']).status, EXIT.USAGE)
    // Arguments never come from stdin (oclif would read a missing one from a pipe).
    assert.equal(runCli(['validate'], {input: 'fixtures/profiles/valid/minimal.json\n'}).status, EXIT.USAGE)
    assert.equal(runCli(['validate', '--no-such-flag', 'x.json']).status, EXIT.USAGE)
    assert.equal(runCli(['validate', 'fixtures/profiles/warnings/unknown-syscall.json']).status, EXIT.OK)
    assert.equal(
      runCli(['validate', '--strict', 'fixtures/profiles/warnings/unknown-syscall.json']).status,
      EXIT.CHECK_FAILED,
    )
  })

  it('every broken profile in the corpus exits CHECK_FAILED from the CLI', () => {
    const files = readdirSync(fixture('profiles', 'invalid')).map((f) => `fixtures/profiles/invalid/${f}`)
    const run = runCli(['validate', '--json', ...files.filter((f) => !f.endsWith('not-utf8.json'))])
    assert.equal(run.status, EXIT.CHECK_FAILED)
    const report = JSON.parse(run.stdout) as {profiles: Array<{valid: boolean}>}
    assert.ok(report.profiles.every((p) => !p.valid))
  })

  it('prints errors without a stack trace and with a suggestion', () => {
    const run = runCli(['profiles', 'show', 'fixtures/profiles/invalid/bad-operator.json'])
    assert.equal(run.status, EXIT.USAGE)
    assert.match(run.stderr, /is not a valid seccomp profile/)
    assert.match(run.stderr, /seccomp-recorder validate/)
    assert.doesNotMatch(run.stderr, /\n\s+at .*\.js:\d+/)
  })
})

describe('help', () => {
  it('lists examples on the root page and for every command, and no empty default', () => {
    assert.match(runCli(['--help']).stdout, /EXAMPLES\n/)
    for (const id of commandIds()) {
      const help = runCli([...id.split(' '), '--help']).stdout
      assert.match(help, /EXAMPLES\n/, `${id} --help has no examples`)
      // A repeatable flag defaulting to [] is shown as "[default: ]": such a flag has no default to show.
      assert.doesNotMatch(
        help,
        /\[default: *(undefined|\[object [A-Za-z]+\])?\]/,
        `${id} --help shows an empty default`,
      )
    }
  })
})

describe('--json output', () => {
  const ajv = new Ajv({allErrors: true, strict: false})

  it('has a schema and a test run for every command', () => {
    assert.deepEqual(Object.keys(OUTPUT_SCHEMAS).sort(), commandIds())
    assert.deepEqual([...Object.keys(JSON_RUNS), ...KERNEL_COMMANDS].sort(), commandIds())
  })

  for (const [id, runs] of Object.entries(JSON_RUNS)) {
    it(`${id} prints only JSON that matches its schema`, () => {
      const validate = ajv.compile(OUTPUT_SCHEMAS[id]!)
      for (const args of runs) {
        const run = runCli(args)
        const output = JSON.parse(run.stdout) as unknown
        assert.ok(validate(output), `${args.join(' ')}: ${ajv.errorsText(validate.errors)}`)
      }
    })
  }

  it('reports errors as JSON on stdout with the exit code', () => {
    const run = runCli(['profiles', 'show', '--json', 'fixtures/profiles/nope.json'])
    assert.equal(run.status, EXIT.USAGE)
    const output = JSON.parse(run.stdout) as {error: {message: string}}
    assert.ok(ajv.validate(ERROR_OUTPUT_SCHEMA, output), ajv.errorsText())
    assert.match(output.error.message, /no such file/)
  })
})

describe('colour', () => {
  it('honours NO_COLOR even when colour is forced', () => {
    const run = runCli(['validate', 'fixtures/profiles/invalid/truncated.json'], {
      env: {NO_COLOR: '1', FORCE_COLOR: '1'},
    })
    assert.doesNotMatch(run.stdout, /\u001b\[/)
  })

  it('colours when forced and NO_COLOR is unset', () => {
    const run = runCli(['validate', 'fixtures/profiles/invalid/truncated.json'], {
      env: {NO_COLOR: undefined, FORCE_COLOR: '1'},
    })
    assert.match(run.stdout, /\u001b\[/)
  })
})

describe('plugins', () => {
  // oclif loads the "user" and "link" plugins listed in <data dir>/package.json (SECCOMP_RECORDER_DATA_DIR,
  // XDG_DATA_HOME or ~/.local/share/seccomp-recorder) and runs their init hooks at every start: root running the CLI
  // with a HOME or XDG_DATA_HOME another user can write would run that user's code. We have no user plugins.
  it('loads no plugin from the data directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scr-user-plugins-'))
    try {
      const plugin = join(dir, 'plugin')
      const ran = join(dir, 'ran')
      mkdirSync(join(dir, 'data'))
      mkdirSync(plugin)
      writeFileSync(
        join(dir, 'data', 'package.json'),
        JSON.stringify({oclif: {plugins: [{type: 'link', name: 'linked', root: plugin}]}}),
      )
      writeFileSync(
        join(plugin, 'package.json'),
        JSON.stringify({name: 'linked', version: '1.0.0', type: 'module', oclif: {hooks: {init: './init.js'}}}),
      )
      writeFileSync(
        join(plugin, 'init.js'),
        `import {writeFileSync} from 'node:fs'\nexport default async () => writeFileSync(${JSON.stringify(ran)}, 'ran')\n`,
      )
      const run = runCli(['--version'], {env: {SECCOMP_RECORDER_DATA_DIR: join(dir, 'data')}})
      assert.equal(run.status, 0, run.stderr)
      assert.equal(existsSync(ran), false, "the linked plugin's init hook ran")
      assert.equal(run.stderr, '')
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})
