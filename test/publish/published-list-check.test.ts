import assert from 'node:assert/strict'
import {appendFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {Ajv} from 'ajv'
import {EXIT} from '../../src/core/exit-codes.js'
import {PUBLISHED_LIST_OUTPUT} from '../../src/cli/output-schemas/publish.js'
import {runCli} from '../helpers/cli.js'
import {tempDir} from './helpers.js'

const ajv = new Ajv({allErrors: true, strict: false})
const ALLOW = 'fixtures/publish/busybox-allow.json'
const DENY = 'fixtures/publish/busybox-deny-uname-mkdir.json'

describe('published list --check', () => {
  const root = tempDir()
  after(() => rmSync(root, {recursive: true, force: true}))

  function list(args: string[], status: number): {profiles: Array<{status: string}>} {
    const run = runCli(['published', 'list', '--json', '--root', root, ...args])
    assert.equal(run.status, status, run.stderr)
    const output = JSON.parse(run.stdout) as {profiles: Array<{status: string}>}
    assert.ok(ajv.validate(PUBLISHED_LIST_OUTPUT, output), ajv.errorsText())
    return output
  }

  it('exits 0 while every file holds what was published, 1 (CHECK_FAILED) once one is modified or missing', () => {
    assert.equal(runCli(['publish', '--root', root, '--name', 'a', ALLOW]).status, EXIT.OK)
    assert.equal(runCli(['publish', '--root', root, '--name', 'b', DENY]).status, EXIT.OK)
    list(['--check'], EXIT.OK)

    appendFileSync(join(root, 'a.json'), ' ')
    assert.deepEqual(
      list(['--check'], EXIT.CHECK_FAILED).profiles.map((p) => p.status),
      ['modified', 'ok'],
    )
    list([], EXIT.OK)
    const human = runCli(['published', 'list', '--check', '--root', root])
    assert.equal(human.status, EXIT.CHECK_FAILED)
    assert.match(human.stdout, /modified +a\.json/)

    rmSync(join(root, 'b.json'))
    assert.deepEqual(
      list(['--check'], EXIT.CHECK_FAILED).profiles.map((p) => p.status),
      ['modified', 'missing'],
    )
  })

  it('exits 0 for a root with nothing published', () => {
    const empty = tempDir()
    try {
      assert.equal(runCli(['published', 'list', '--check', '--root', empty]).status, EXIT.OK)
    } finally {
      rmSync(empty, {recursive: true, force: true})
    }
  })
})
