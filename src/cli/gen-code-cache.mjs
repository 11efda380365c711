// Build step (`npm run build`, last): writes dist/cli/cli.cjs.cache, the V8 code cache that dist/cli/cli.js
// (src/cli/cli-loader.mjs) hands to node:vm with the CLI bundle. It loads the bundle, loads every command module
// and runs a few quick read-only commands in this process (their output discarded), so that the code every start
// runs (oclif's config loading, flag parsing, the command modules' top level, profile checking) is in the cache
// compiled; what is not in it is compiled on first use, as without a cache. The cache fits only the Node that made
// it (V8 rejects it otherwise and the CLI compiles as usual): build with the Node that will run the CLI.
import {writeFile} from 'node:fs/promises'
import {dirname, join} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const {
  default: cli,
  createCodeCache,
  CODE_CACHE_FILE,
} = await import(pathToFileURL(join(root, 'dist', 'cli', 'cli.js')).href)

/** Read-only commands on the package's own fixtures, as a user would start them. */
const WARM_UP = [
  ['--version'],
  ['validate', join(root, 'fixtures', 'profiles', 'valid', 'minimal.json')],
  ['diff', join(root, 'fixtures', 'profiles', 'valid', 'recorded-busybox.json'), '--against', 'runtime-default'],
]

for (const load of Object.values(cli.commands)) await load()
if (process.env.SCR_CACHE_MODE !== 'load') {
  const write = process.stdout.write
  process.stdout.write = () => true
  try {
    for (const args of WARM_UP) await cli.execute({dir: pathToFileURL(join(root, 'package.json')).href, args})
  } finally {
    process.stdout.write = write
  }
}
process.exitCode = 0
await writeFile(CODE_CACHE_FILE, createCodeCache())
