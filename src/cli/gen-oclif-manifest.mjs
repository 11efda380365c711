// Build step (`npm run build`, after bundle-cli.mjs): writes oclif.manifest.json at the package root from the bundled
// commands in dist/cli/commands (package.json's oclif.commands), so that at run time oclif reads one JSON file and imports only the command it runs, instead
// of importing every command module to learn their ids, flags and summaries. It does what `oclif manifest` does
// (a core Plugin loaded with its manifest ignored) with @oclif/core's own API, without the oclif dev CLI and its
// dependencies. Every compiled command is in it; a command that fails to load fails the build.
import {rm, writeFile} from 'node:fs/promises'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {Plugin} from '@oclif/core'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const file = join(root, 'oclif.manifest.json')
// never read a manifest of an earlier build while making this one
await rm(file, {force: true})
const plugin = new Plugin({
  root,
  type: 'core',
  isRoot: true,
  ignoreManifest: true,
  errorOnManifestCreate: true,
  respectNoCacheDefault: true,
})
await plugin.load()
await writeFile(file, `${JSON.stringify(plugin.manifest, null, 2)}\n`)
