// Build step (`npm run build`, after tsc): bundles the compiled poststop entry (dist/src/hook/poststop-main.js) and
// everything it imports into dist/src/hook/poststop.bundle.mjs (and its chunks), which bin/hook-poststop.js runs.
// A few files to load instead of a few hundred halves the hook's start-up; bundled modules find the package's files
// through findPackageRoot (src/core/package-root.ts), wherever the bundle sits.
// esbuild-wasm: esbuild as WebAssembly, no platform binary.
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {build} from 'esbuild-wasm'

const hookDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'src', 'hook')
await build({
  // The finaliser (bin/finaliser.js) too: under load it starts while containers do, so it loads few files as well.
  entryPoints: {
    'poststop.bundle': join(hookDir, 'poststop-main.js'),
    'finaliser.bundle': join(hookDir, 'finaliser-main.js'),
  },
  outdir: hookDir,
  outExtension: {'.js': '.mjs'},
  // The work (entry.js, imported only when a container asked for a recording) in a chunk of its own: containerd
  // runs the hook for every container, and one that asks for nothing is answered before the chunk is even read.
  splitting: true,
  chunkNames: 'poststop.chunk-[hash]',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // ES module builds first: jsonc-parser's "main" is a UMD build whose require() calls a bundle cannot follow.
  mainFields: ['module', 'main'],
  logLevel: 'warning',
  // Bundled CommonJS dependencies (ajv, yaml) call require() for Node's own modules: give them one.
  banner: {
    js: "import {createRequire as __createRequire} from 'node:module'; const require = __createRequire(import.meta.url);",
  },
})
