// Copied by src/cli/bundle-cli.mjs to dist/cli/cli.js: loads the CLI bundle dist/cli/cli.cjs (CommonJS) with the V8
// code cache dist/cli/cli.cjs.cache that src/cli/gen-code-cache.mjs wrote at build time, so a start deserialises the
// compiled code of oclif and of the stage modules instead of parsing and compiling them. V8 accepts a cache only for
// the same V8 version and flags and a source of the same length, and does not check its data (release builds): a
// cache of another bundle of that length would run that bundle's code, a damaged one crashes Node. So the cache file
// begins with the SHA-256 of the bundle and of V8's data (codeCacheFile), and only a cache whose digest matches is
// handed to V8; otherwise (another Node, `node --cpu-prof`, no cache file, an edited bundle) it compiles as any
// module load would: the cache changes how long a start takes, never what runs. Nothing is written at run time.
import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname} from 'node:path'
import {fileURLToPath} from 'node:url'
import {Script} from 'node:vm'

const file = fileURLToPath(new URL('./cli.cjs', import.meta.url))
export const CODE_CACHE_FILE = `${file}.cache`

const DIGEST_BYTES = 32

/** SHA-256 of the bundle's bytes and V8's cache data: what ties a cache file to the one bundle it was made from. */
const cacheDigest = (bundleBytes, data) => createHash('sha256').update(bundleBytes).update(data).digest()

/** The cache file's contents: cacheDigest, then V8's data (for gen-code-cache.mjs). */
export const codeCacheFile = (bundleBytes, data) => Buffer.concat([cacheDigest(bundleBytes, data), data])

/** V8's data from the cache file when it was made from exactly these bundle bytes and is whole; else undefined. */
function readCodeCache(bundleBytes) {
  let contents
  try {
    contents = readFileSync(CODE_CACHE_FILE)
  } catch {
    return undefined
  }
  const data = contents.subarray(DIGEST_BYTES)
  return contents.length > DIGEST_BYTES && cacheDigest(bundleBytes, data).equals(contents.subarray(0, DIGEST_BYTES))
    ? data
    : undefined
}

const bundleBytes = readFileSync(file)
const cachedData = readCodeCache(bundleBytes)
// the same wrapper Node puts around a CommonJS module, so the bundle sees require, module and __filename as usual
// and `__import`: oclif imports the command, hook and plugin modules by their file URLs (see bundle-cli.mjs)
const source = `(function (exports, require, module, __filename, __dirname, __import) { ${bundleBytes.toString('utf8')}\n})`
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

/** The cache file's contents for the bundle with every function compiled so far (for gen-code-cache.mjs). */
export const createCodeCache = () => codeCacheFile(bundleBytes, script.createCachedData())

export default bundle.exports
