// Copied by src/cli/bundle-cli.mjs to dist/cli/cli.js: loads the CLI bundle dist/cli/cli.cjs (CommonJS) with the V8
// code cache dist/cli/cli.cjs.cache that src/cli/gen-code-cache.mjs wrote at build time, so a start deserialises the
// compiled code of oclif and of the stage modules instead of parsing and compiling them. V8 accepts a cache only for
// the same source, V8 version and flags; otherwise (another Node, `node --cpu-prof`, no cache file) it compiles as
// any module load would: the cache changes how long a start takes, never what runs. Nothing is written at run time.
import {readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname} from 'node:path'
import {fileURLToPath} from 'node:url'
import {Script} from 'node:vm'

const file = fileURLToPath(new URL('./cli.cjs', import.meta.url))
export const CODE_CACHE_FILE = `${file}.cache`

function readCodeCache() {
  try {
    return readFileSync(CODE_CACHE_FILE)
  } catch {
    return undefined
  }
}

const cachedData = readCodeCache()
// the same wrapper Node puts around a CommonJS module, so the bundle sees require, module and __filename as usual
// and `__import`: oclif imports the command, hook and plugin modules by their file URLs (see bundle-cli.mjs)
const source = `(function (exports, require, module, __filename, __dirname, __import) { ${readFileSync(file, 'utf8')}\n})`
const script = new Script(source, {filename: file, cachedData})
const bundle = {exports: {}}
const importModule = (url) => import(url)
// @oclif/core's index checks the Node version against its own package.json, which a bundle does not have: it loads
// semver and then fails silently (~3-5 ms). Our package.json's engines states the Node we need; tell oclif to skip it.
const engineWarning = process.env.OCLIF_DISABLE_ENGINE_WARNING
process.env.OCLIF_DISABLE_ENGINE_WARNING = 'true'
try {
  script.runInThisContext()(bundle.exports, createRequire(file), bundle, file, dirname(file), importModule)
} finally {
  if (engineWarning === undefined) delete process.env.OCLIF_DISABLE_ENGINE_WARNING
  else process.env.OCLIF_DISABLE_ENGINE_WARNING = engineWarning
}

/** Whether V8 took the build's code cache (false: none, or made by another Node or other flags). */
export const codeCacheUsed = cachedData !== undefined && !script.cachedDataRejected

/** The code cache of the bundle with every function compiled so far (for gen-code-cache.mjs). */
export const createCodeCache = () => script.createCachedData()

export default bundle.exports
