import assert from 'node:assert/strict'
import {readdirSync} from 'node:fs'
import {join, relative} from 'node:path'
import {describe, it} from 'node:test'
import {Ajv} from 'ajv'
import {EXIT} from '../../src/core/exit-codes.js'
import {ERROR_OUTPUT_SCHEMA} from '../../src/cli/output-schemas/common.js'
import {REPO_ROOT, runCli, runCliAtTerminal} from '../helpers/cli.js'

function commandIds(): string[] {
  const dir = join(REPO_ROOT, 'dist', 'src', 'commands')
  const walk = (d: string): string[] =>
    readdirSync(d, {withFileTypes: true}).flatMap((e) =>
      e.isDirectory() ? walk(join(d, e.name)) : e.name.endsWith('.js') ? [join(d, e.name)] : [],
    )
  return walk(dir)
    .map((f) => relative(dir, f).replace(/\.js$/, '').split('/').join(' '))
    .sort()
}

const ajv = new Ajv({allErrors: true, strict: false})
interface ErrorBody {
  error: {message: string; code: string; suggestions: string[]; oclif: {exit: number}}
}

/** Runs with --json and checks: exit 2, the JSON error body (only that on stdout) says 2 as well. */
function usageErrorJson(args: string[]): ErrorBody {
  const run = runCli(args)
  assert.equal(run.status, EXIT.USAGE, `${args.join(' ')}: exit ${run.status}\n${run.stdout}${run.stderr}`)
  const body = JSON.parse(run.stdout) as ErrorBody
  assert.ok(ajv.validate(ERROR_OUTPUT_SCHEMA, body), ajv.errorsText())
  assert.equal(body.error.oclif.exit, EXIT.USAGE)
  assert.ok(!('parse' in body.error), 'no parser internals in the body')
  return body
}

/** Usage errors other than an unknown flag, for the commands that have required arguments or flags with a fixed set of values. */
const OTHER_USAGE_ERRORS: Record<string, string[][]> = {
  validate: [['validate', '--json']],
  diff: [
    ['diff', '--json'],
    ['diff', '--json', '--fail-on', 'sometimes', 'a.json', 'b.json'],
  ],
  'profiles show': [['profiles', 'show', '--json']],
  'profiles merge': [
    ['profiles', 'merge', '--json'],
    ['profiles', 'merge', '--json', '--format', 'toml', 'a.json', 'b.json'],
  ],
  'profiles build': [['profiles', 'build', '--json', '--format', 'toml']],
  publish: [['publish', '--json']],
  unpublish: [['unpublish', '--json']],
  run: [['run', '--json']],
  record: [['record', '--json', '--output']],
}

describe('usage errors with --json exit 2, as the JSON body says', () => {
  for (const id of commandIds()) {
    it(`${id}: an unknown flag`, () => {
      const body = usageErrorJson([...id.split(' '), '--json', '--no-such-flag'])
      assert.equal(body.error.code, 'unknown-flag')
      assert.match(body.error.message, /--no-such-flag/)
    })
  }

  for (const [id, runs] of Object.entries(OTHER_USAGE_ERRORS)) {
    it(`${id}: a missing argument or a bad flag value`, () => {
      for (const args of runs) assert.equal(usageErrorJson(args).error.code, 'usage')
    })
  }

  it('covers every command that takes arguments or flags with fixed values', () => {
    for (const id of Object.keys(OTHER_USAGE_ERRORS)) assert.ok(commandIds().includes(id), id)
  })

  it('without --json: exit 2 and the message on stderr, nothing on stdout', () => {
    const run = runCli(['diff', '--fail-on', 'sometimes', 'a.json', 'b.json'])
    assert.equal(run.status, EXIT.USAGE)
    assert.equal(run.stdout, '')
    assert.match(run.stderr, /Expected --fail-on=sometimes to be one of: added, removed, any, none/)
    assert.match(run.stderr, /seccomp-recorder diff --help/)
  })
})

describe('did you mean', () => {
  it('suggests the closest flag, with and without --json', () => {
    const human = runCli(['validate', '--strct', 'x.json'])
    assert.equal(human.status, EXIT.USAGE)
    assert.match(human.stderr, /did you mean --strict\?/)
    assert.deepEqual(
      usageErrorJson(['profiles', 'merge', '--json', '--chek', 'a.json', 'b.json']).error.suggestions[0],
      'did you mean --check? (for --chek)',
    )
    assert.match(
      usageErrorJson(['diff', '--json', '--unifed', 'a.json', 'b.json']).error.suggestions[0]!,
      /did you mean --unified\?/,
    )
  })

  it('suggests nothing for a flag that is like none', () => {
    assert.doesNotMatch(
      usageErrorJson(['validate', '--json', '--xyzzy-plugh', 'x.json']).error.suggestions.join('\n'),
      /did you mean/,
    )
  })

  it('suggests the closest command, also within a topic, with and without --json', () => {
    const human = runCli(['validat', 'x.json'])
    assert.equal(human.status, EXIT.USAGE)
    assert.equal(human.stdout, '')
    assert.match(human.stderr, /validat is not a seccomp-recorder command/)
    assert.match(human.stderr, /did you mean `seccomp-recorder validate`\?/)

    const json = usageErrorJson(['profiles', 'shwo', '--json', 'x.json'])
    assert.equal(json.error.code, 'unknown-command')
    assert.equal(json.error.message, 'profiles shwo is not a seccomp-recorder command')
    assert.equal(json.error.suggestions[0], 'did you mean `seccomp-recorder profiles show`?')
    assert.match(usageErrorJson(['publsh', '--json']).error.suggestions[0]!, /`seccomp-recorder publish`/)
  })

  it('says only where the list is for a command that is like none', () => {
    const run = runCli(['xyzzy'])
    assert.equal(run.status, EXIT.USAGE)
    assert.doesNotMatch(run.stderr, /did you mean/)
    assert.match(run.stderr, /seccomp-recorder --help` lists the commands/)
  })

  it('at an interactive terminal, offers to run the closest command (@oclif/plugin-not-found) and reports a refusal as usage', () => {
    const yes = runCliAtTerminal(['validat', 'fixtures/profiles/valid/minimal.json'], {input: 'y\r'})
    assert.match(yes.stdout, /Did you mean .*validate/)
    assert.match(yes.stdout, /1 profile valid/, 'ran validate with the arguments given')
    assert.equal(yes.status, 0)
    const no = runCliAtTerminal(['validat', 'fixtures/profiles/valid/minimal.json'], {input: 'n\r'})
    assert.equal(no.status, EXIT.USAGE)
    assert.match(no.stdout, /validat is not a seccomp-recorder command/)
    assert.doesNotMatch(no.stdout, /profile valid/)
  })

  it('never asks with --json', () => {
    const run = runCliAtTerminal(['validat', '--json', 'fixtures/profiles/valid/minimal.json'], {input: 'y\r'})
    assert.equal(run.status, EXIT.USAGE)
    assert.doesNotMatch(run.stdout, /Did you mean/)
    assert.match(run.stdout, /"code": "unknown-command"/)
  })
})
