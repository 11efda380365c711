import assert from 'node:assert/strict'
import {readdirSync, readFileSync, statSync} from 'node:fs'
import {join, relative} from 'node:path'
import {pathToFileURL} from 'node:url'
import {describe, it} from 'node:test'
import {Ajv, type ValidateFunction} from 'ajv'
import {PACKAGE_ROOT} from '../../src/core/paths.js'
import {DEFAULT_CONFIG} from '../../src/config/config.js'
import {emptyManifest} from '../../src/publish/manifest.js'

/**
 * The validators src/json/gen-validators.mjs compiles at build time (ajv standalone code in dist/) give the same
 * verdicts and the same errors as ajv compiling the same schema with the same options at run time, on every JSON
 * document of fixtures/ and a few valid documents of each kind.
 */
interface ValidatorSpec {
  schema: [module: string, name: string]
  options: ConstructorParameters<typeof Ajv>[0]
}
const generator = pathToFileURL(join(PACKAGE_ROOT, 'src', 'json', 'gen-validators.mjs')).href
const {VALIDATORS} = (await import(generator)) as {
  VALIDATORS: Array<{module: string; exports: Record<string, ValidatorSpec>}>
}

function jsonFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return jsonFiles(path)
    return name.endsWith('.json') ? [path] : []
  })
}

/** Every fixture that is JSON at all (the corpus: profiles, recordings, coverage sidecars, manifests, hostile input). */
const corpus: Array<[name: string, document: unknown]> = jsonFiles(join(PACKAGE_ROOT, 'fixtures')).flatMap((path) => {
  try {
    return [[relative(PACKAGE_ROOT, path), JSON.parse(readFileSync(path, 'utf8'))] as [string, unknown]]
  } catch {
    return []
  }
})
corpus.push(
  ['the default config', {...DEFAULT_CONFIG}],
  ['an empty manifest', emptyManifest()],
  ['a coverage sidecar', {recordings: 2, syscalls: {read: 2, futex: 1}}],
  ['a profile', {defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{names: ['read'], action: 'SCMP_ACT_ALLOW'}]}],
)

const dist = (module: string) => pathToFileURL(join(PACKAGE_ROOT, 'dist', `${module}.js`)).href

describe('generated standalone validators agree with the schemas', () => {
  it('the corpus has profiles, recordings and invalid documents', () => assert.ok(corpus.length > 100))

  for (const {module, exports} of VALIDATORS) {
    for (const [name, {schema, options}] of Object.entries(exports)) {
      it(`${name} (${module}.generated.js): same verdicts and errors as ajv on ${schema[1]}`, async () => {
        const generated = (await import(dist(`${module}.generated`)))[name] as ValidateFunction
        const compiled = new Ajv(options).compile((await import(dist(schema[0])))[schema[1]] as object)
        let valid = 0
        for (const [file, document] of corpus) {
          const verdict = generated(document)
          assert.equal(verdict, compiled(document), `${name} on ${file}`)
          assert.deepEqual(generated.errors ?? null, compiled.errors ?? null, `${name} errors on ${file}`)
          if (verdict) valid++
        }
        assert.ok(valid > 0, `${name}: some document of the corpus is valid`)
        assert.ok(valid < corpus.length, `${name}: some document of the corpus is invalid`)
      })
    }
  }
})
