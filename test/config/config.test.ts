import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {parse} from 'yaml'
import {DEFAULT_CONFIG, defaultConfigText, loadConfig} from '../../src/config/config.js'
import {HOSTILE_DIR, makeCaseTree, removeCaseTrees, runSetup, substitute, type SetupStep} from '../hardening/corpus.js'

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
    const config = await loadConfig(
      write('custom.yaml', 'outputRoots: [/srv/profiles/]\nonError: warn\nruntimeThreads: true\n'),
    )
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
      await assert.rejects(
        loadConfig(write(`${name}.yaml`, text)),
        (error: Error & {exit?: number}) => why.test(error.message) && error.exit === 3,
      )
    })
  }
})

const refusedWith =
  (why: RegExp, ...names: string[]) =>
  (error: Error & {exit?: number}) => {
    assert.equal(error.exit, 3, error.message)
    assert.match(error.message, why)
    for (const name of names) assert.ok(error.message.includes(name), `${error.message} names ${name}`)
    return true
  }

describe('loadConfig: output roots apart from everything else', () => {
  const roots = (outputRoots: string[]) =>
    `outputRoots: ${JSON.stringify(outputRoots)}\nstore: ${join(dir, 'store')}\nspool: ${join(dir, 'spool')}\n`

  it('the default output root lies in the store directory but beside its data, and is accepted', async () => {
    assert.ok(DEFAULT_CONFIG.outputRoots[0]!.startsWith(`${DEFAULT_CONFIG.store}/`))
    assert.deepEqual(
      (await loadConfig(write('defaults-spelled-out.yaml', defaultConfigText()))).outputRoots,
      DEFAULT_CONFIG.outputRoots,
    )
  })

  it('refuses an output root listed twice, even spelled differently', async () => {
    await assert.rejects(
      loadConfig(write('twice.yaml', roots(['/srv/out', '/srv//out/']))),
      refusedWith(/output roots .* overlap/, '/srv/out'),
    )
  })

  it('refuses an output root that is a symlink to another one', async () => {
    symlinkSync(join(dir, 'real-out'), join(dir, 'link-out'))
    await assert.rejects(
      loadConfig(write('aliased.yaml', roots([join(dir, 'real-out'), join(dir, 'link-out')]))),
      refusedWith(/overlap/, join(dir, 'real-out'), join(dir, 'link-out')),
    )
  })

  it('refuses an output root holding the config file itself', async () => {
    const etc = join(dir, 'etc')
    mkdirSync(etc)
    writeFileSync(join(etc, 'config.yaml'), roots([etc]))
    await assert.rejects(
      loadConfig(join(etc, 'config.yaml')),
      refusedWith(/overlaps the config file/, etc, join(etc, 'config.yaml')),
    )
  })

  it('refuses an output root in the kubelet seccomp root, the hooks.d directories or the hook executables', async () => {
    for (const [root, what] of [
      ['/var/lib/kubelet', 'the kubelet seccomp root'],
      ['/usr/share/containers/oci/hooks.d/x', 'the hooks.d directory'],
      ['/etc/containers', 'the hooks.d directory'],
      ['/usr/local/libexec', 'the hook executables'],
    ] as const) {
      await assert.rejects(
        loadConfig(write(`protected-${what.length}-${root.length}.yaml`, roots([root]))),
        refusedWith(new RegExp(what), root),
      )
    }
  })
})

interface ConfigCase {
  description: string
  setup?: SetupStep[]
  config: string
  expect:
    {outcome: 'refused'; exit: number; message: string; names: string[]} | {outcome: 'accepted'; outputRoots: string[]}
}

describe('hostile configs (fixtures/hostile/configs)', () => {
  after(removeCaseTrees)
  const files = readdirSync(join(HOSTILE_DIR, 'configs'))
    .filter((f) => f.endsWith('.json'))
    .sort()
  it('has the overlap cases', () => assert.ok(files.length >= 10, `${files.length} cases`))
  for (const file of files) {
    const c = JSON.parse(readFileSync(join(HOSTILE_DIR, 'configs', file), 'utf8')) as ConfigCase
    it(`${file}: ${c.expect.outcome}`, async () => {
      assert.ok(c.description, 'has a description')
      const tree = makeCaseTree('config', {spool: true})
      runSetup(c.setup, tree.vars)
      const path = join(tree.vars.tmp, 'config.yaml')
      writeFileSync(path, substitute(c.config, tree.vars))
      const expected = c.expect
      if (expected.outcome === 'accepted') {
        assert.deepEqual(
          (await loadConfig(path)).outputRoots,
          expected.outputRoots.map((r) => substitute(r, tree.vars)),
        )
        return
      }
      await assert.rejects(loadConfig(path), (error: Error & {exit?: number}) => {
        assert.equal(error.exit, expected.exit, error.message)
        assert.match(error.message, new RegExp(expected.message))
        assert.doesNotMatch(error.message, /[\u0000-\u001f]/, 'one line')
        for (const name of expected.names.map((n) => substitute(n, tree.vars)))
          assert.ok(error.message.includes(name), `${error.message}\n  should name ${name}`)
        return true
      })
    })
  }
})
