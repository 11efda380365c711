// Build step (`npm run build`, after tsc, before gen-oclif-manifest.mjs): bundles the compiled CLI with esbuild-wasm
// into dist/cli/: main.js (oclif's `execute`, run by bin/run.js), help.js, command-not-found.js and one file per
// command in dist/cli/commands/ (the same folder layout as dist/src/commands, so the command ids are the same).
// Code they share (@oclif/core, the stage modules) goes into dist/cli/chunks/, loaded once: a command start reads a
// handful of files instead of a few hundred, and only one copy of oclif's classes exists. Every compiled command
// in dist/src/commands is bundled: a new command needs no change here. Bundled modules find the package's files
// (profiles/, bpf/, package.json) through findPackageRoot (src/core/package-root.ts), not a fixed depth.
import {readdir, rm} from 'node:fs/promises'
import {dirname, join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'
import {build} from 'esbuild-wasm'

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist')
const compiled = join(dist, 'src')
const outdir = join(dist, 'cli')

/** Every compiled command module (not declarations, not source maps), keyed by its output name. */
async function commandEntries() {
  const commandsDir = join(compiled, 'commands')
  const files = await readdir(commandsDir, {recursive: true})
  const entries = {}
  for (const file of files.filter((f) => f.endsWith('.js')).sort()) {
    entries[join('commands', file.slice(0, -'.js'.length))] = join(commandsDir, file)
  }
  if (Object.keys(entries).length === 0)
    throw new Error(`no compiled commands in ${relative(process.cwd(), commandsDir)}`)
  return entries
}

await rm(outdir, {recursive: true, force: true})
await build({
  entryPoints: {
    main: join(compiled, 'cli', 'main.js'),
    help: join(compiled, 'cli', 'help.js'),
    'command-not-found': join(compiled, 'cli', 'command-not-found.js'),
    ...(await commandEntries()),
  },
  outdir,
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // ES module builds first: jsonc-parser's "main" is a UMD build whose require() calls a bundle cannot follow.
  mainFields: ['module', 'main'],
  logLevel: 'warning',
  // @oclif/core requires TypeScript only to read a tsconfig.json in development (util/read-tsconfig.js): leave it to
  // Node at run time instead of putting ~10 MB of compiler into the shared chunk.
  external: ['typescript'],
  // Bundled CommonJS dependencies (@oclif/core, ajv, yaml) call require() for Node's own modules: give them one.
  banner: {
    js: "import {createRequire as __createRequire} from 'node:module'; const require = __createRequire(import.meta.url);",
  },
})
