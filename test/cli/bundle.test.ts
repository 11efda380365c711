import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
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

  it('sorts the commands as oclif would, without the ICU collator oclif would build at every start', () => {
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'oclif.manifest.json'), 'utf8')) as {
      commands: Record<string, unknown>
    }
    const ids = Object.keys(manifest.commands)
    // the bundle's rewrite of oclif's sort (src/cli/bundle-cli.mjs) is right only while these orders agree
    const byCodeUnits = [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    assert.deepEqual(
      byCodeUnits,
      [...ids].sort((a, b) => a.localeCompare(b)),
    )
    const bundle = readFileSync(join(REPO_ROOT, 'dist', 'cli', 'cli.cjs'), 'utf8')
    assert.doesNotMatch(bundle, /\.sort\(\([\w$]+,[\w$]+\)=>[\w$]+\.id\.localeCompare\(/)
    const run = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `let calls = 0
        const compare = String.prototype.localeCompare
        String.prototype.localeCompare = function (...args) { calls++; return compare.apply(this, args) }
        process.on('exit', () => process.stderr.write('localeCompare calls: ' + calls))
        process.argv.push('--version')
        await import(${JSON.stringify(pathToFileURL(join(REPO_ROOT, 'bin', 'run.js')).href)})`,
      ],
      {encoding: 'utf8'},
    )
    assert.equal(run.status, 0, run.stderr)
    assert.match(run.stderr, /localeCompare calls: 0$/)
  })

  it('comes with a V8 code cache that this Node accepts', async () => {
    const loader = (await import(pathToFileURL(join(REPO_ROOT, 'dist', 'cli', 'cli.js')).href)) as {
      codeCacheUsed: boolean
    }
    assert.equal(loader.codeCacheUsed, true)
  })

  // V8 checks a code cache against the source's length only, and a release build does not check its data: a cache
  // that does not belong to this very bundle must not reach V8 (a damaged one crashed Node with SIGSEGV, and after an
  // edit of the same length the old code ran).
  for (const [what, spoil] of [
    ['a damaged code cache', (dir: string) => flipBytes(join(dir, 'cli.cjs.cache'))],
    ['a code cache of another bundle of the same length', (dir: string) => editSameLength(join(dir, 'cli.cjs'))],
    ['a truncated code cache', (dir: string) => truncateHalf(join(dir, 'cli.cjs.cache'))],
  ] as const)
    it(`does not hand ${what} to V8: the bundle is compiled as usual`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'scr-cli-cache-'))
      try {
        cpSync(join(REPO_ROOT, 'dist', 'cli'), dir, {recursive: true})
        spoil(dir)
        const run = spawnSync(
          process.execPath,
          [
            '--input-type=module',
            '-e',
            `const m = await import(${JSON.stringify(pathToFileURL(join(dir, 'cli.js')).href)}); console.log(m.codeCacheUsed)`,
          ],
          {encoding: 'utf8'},
        )
        assert.equal(run.signal, null, run.stderr)
        assert.equal(run.status, 0, run.stderr)
        assert.equal(run.stdout.trim(), 'false')
      } finally {
        rmSync(dir, {recursive: true, force: true})
      }
    })
})

function flipBytes(file: string): void {
  const data = readFileSync(file)
  for (let i = data.length >> 1; i < data.length; i += 997) data[i] = data[i]! ^ 0xff
  writeFileSync(file, data)
}

function truncateHalf(file: string): void {
  const data = readFileSync(file)
  writeFileSync(file, data.subarray(0, data.length >> 1))
}

/** One ASCII letter of the bundle changed (an upper-case letter in place of a lower-case one). */
function editSameLength(file: string): void {
  const text = readFileSync(file, 'latin1')
  const at = text.indexOf('no such file')
  assert.ok(at > 0)
  writeFileSync(file, `${text.slice(0, at)}NO SUCH FILE${text.slice(at + 'no such file'.length)}`, 'latin1')
}
