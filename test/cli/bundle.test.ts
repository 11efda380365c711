import assert from 'node:assert/strict'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {describe, it} from 'node:test'
import {REPO_ROOT} from '../helpers/cli.js'

const commandFiles = (dir: string) =>
  readdirSync(dir, {recursive: true, encoding: 'utf8'})
    .filter((file) => file.endsWith('.js'))
    .map((file) => file.slice(0, -'.js'.length))
    .sort()

/** @oclif/plugin-autocomplete's commands, bundled as ours (not a declared plugin: see bundle-cli.mjs) */
const AUTOCOMPLETE_COMMANDS = commandFiles(
  join(REPO_ROOT, 'node_modules', '@oclif', 'plugin-autocomplete', 'lib', 'commands'),
)

describe('the CLI bundle (src/cli/bundle-cli.mjs)', () => {
  it('has one bundled module per compiled command and autocomplete command, and the manifest points at them', () => {
    assert.ok(AUTOCOMPLETE_COMMANDS.includes('autocomplete/script'))
    const compiled = [...commandFiles(join(REPO_ROOT, 'dist', 'src', 'commands')), ...AUTOCOMPLETE_COMMANDS].sort()
    assert.ok(compiled.length > AUTOCOMPLETE_COMMANDS.length)
    assert.deepEqual(commandFiles(join(REPO_ROOT, 'dist', 'cli', 'commands')), compiled)
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'oclif.manifest.json'), 'utf8')) as {
      commands: Record<string, {relativePath: string[]}>
    }
    const ids = compiled.map((file) =>
      file
        .split('/')
        .join(':')
        .replace(/:index$/, ''),
    )
    assert.deepEqual(Object.keys(manifest.commands).sort(), ids.sort())
    for (const command of Object.values(manifest.commands)) {
      assert.deepEqual(command.relativePath.slice(0, 3), ['dist', 'cli', 'commands'])
      assert.ok(existsSync(join(REPO_ROOT, ...command.relativePath)))
    }
  })

  it('package.json sends oclif to the bundle', () => {
    const {oclif} = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      oclif: {commands: string; helpClass: string; hooks: Record<string, string>; plugins?: string[]}
    }
    assert.equal(oclif.commands, './dist/cli/commands')
    assert.equal(oclif.helpClass, './dist/cli/help.js')
    assert.equal(oclif.hooks.command_not_found, './dist/cli/command-not-found')
    // no plugin to find and read at every start: autocomplete's commands are in the bundle and the manifest
    assert.equal(oclif.plugins, undefined)
  })

  it('comes with a V8 code cache that this Node accepts', async () => {
    const loader = (await import(pathToFileURL(join(REPO_ROOT, 'dist', 'cli', 'cli.js')).href)) as {
      codeCacheUsed: boolean
    }
    assert.equal(loader.codeCacheUsed, true)
  })
})
