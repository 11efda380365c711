import assert from 'node:assert/strict'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {REPO_ROOT} from '../helpers/cli.js'

const commandFiles = (dir: string) =>
  readdirSync(dir, {recursive: true, encoding: 'utf8'})
    .filter((file) => file.endsWith('.js'))
    .map((file) => file.slice(0, -'.js'.length))
    .sort()

describe('the CLI bundle (src/cli/bundle-cli.mjs)', () => {
  it('has one bundled module per compiled command, and the manifest points at them', () => {
    const compiled = commandFiles(join(REPO_ROOT, 'dist', 'src', 'commands'))
    assert.ok(compiled.length > 0)
    assert.deepEqual(commandFiles(join(REPO_ROOT, 'dist', 'cli', 'commands')), compiled)
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'oclif.manifest.json'), 'utf8')) as {
      commands: Record<string, {relativePath: string[]}>
    }
    assert.deepEqual(Object.keys(manifest.commands).sort(), compiled.map((file) => file.split('/').join(':')).sort())
    for (const command of Object.values(manifest.commands)) {
      assert.deepEqual(command.relativePath.slice(0, 3), ['dist', 'cli', 'commands'])
      assert.ok(existsSync(join(REPO_ROOT, ...command.relativePath)))
    }
  })

  it('package.json sends oclif to the bundle', () => {
    const {oclif} = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      oclif: {commands: string; helpClass: string; hooks: Record<string, string>}
    }
    assert.equal(oclif.commands, './dist/cli/commands')
    assert.equal(oclif.helpClass, './dist/cli/help.js')
    assert.equal(oclif.hooks.command_not_found, './dist/cli/command-not-found')
  })
})
