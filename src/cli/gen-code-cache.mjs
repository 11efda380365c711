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

class WarmUpExit {
  constructor(code) {
    this.code = code
  }
}

/** Runs one command in this process with its output discarded; oclif's process.exit() only ends the command. */
async function warmUp(args) {
  const {exit, stdout} = process
  const write = stdout.write
  process.exit = (code) => {
    throw new WarmUpExit(code)
  }
  stdout.write = () => true
  try {
    await cli.execute({loadOptions: {root: join(root, 'package.json'), userPlugins: false}, args}) // as bin/run.js
  } catch (error) {
    if (!(error instanceof WarmUpExit)) throw error
    // 1 is a verdict (diff: the runtime's default denies a syscall); anything above means less code in the cache
    if (error.code > 1) console.error(`gen-code-cache: warm-up \`${args.join(' ')}\` ended with exit ${error.code}`)
  } finally {
    process.exit = exit
    stdout.write = write
  }
}

for (const load of Object.values(cli.commands)) await load()
for (const args of WARM_UP) await warmUp(args)
process.exitCode = 0
await writeFile(CODE_CACHE_FILE, createCodeCache())
