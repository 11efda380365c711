import assert from 'node:assert/strict'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {parse} from 'yaml'
import {DEFAULT_CONFIG, defaultConfigText, loadConfig} from '../../src/config/config.js'

const dir = mkdtempSync(join(tmpdir(), 'scr-config-'))
const write = (name: string, text: string) => {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

describe('loadConfig', () => {
  it('uses the defaults when there is no file', async () => {
    assert.deepEqual(await loadConfig(join(dir, 'absent.yaml')), DEFAULT_CONFIG)
  })

  it('the file install writes is the defaults', async () => {
    assert.deepEqual(parse(defaultConfigText()), DEFAULT_CONFIG)
    assert.deepEqual(await loadConfig(write('default.yaml', defaultConfigText())), DEFAULT_CONFIG)
  })

  it('reads overrides', async () => {
    const config = await loadConfig(write('custom.yaml', 'outputRoots: [/srv/profiles/]\nonError: warn\nruntimeThreads: true\n'))
    assert.deepEqual(config.outputRoots, ['/srv/profiles'])
    assert.equal(config.onError, 'warn')
    assert.equal(config.runtimeThreads, true)
    assert.equal(DEFAULT_CONFIG.runtimeThreads, false)
  })

  for (const [name, text, why] of [
    ['unknown keys', 'outputroots: [/x]\n', /invalid/],
    ['relative roots', 'outputRoots: [out]\n', /invalid/],
    ['a bad onError', 'onError: ignore\n', /invalid/],
    ['runtimeThreads that is not a boolean', 'runtimeThreads: "yes"\n', /invalid/],
    ['broken YAML', 'outputRoots: [/x\n', /not valid YAML/],
    ['duplicate keys', 'onError: warn\nonError: fail\n', /not valid YAML/],
  ] as const) {
    it(`refuses ${name} with exit REFUSED`, async () => {
      await assert.rejects(loadConfig(write(`${name}.yaml`, text)), (error: Error & {exit?: number}) => why.test(error.message) && error.exit === 3)
    })
  }
})
