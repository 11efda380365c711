import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {Ajv} from 'ajv'
import {mergeProfiles} from '../../src/aggregate/merge.js'
import {EXIT} from '../../src/core/exit-codes.js'
import {PROFILES_MERGE_OUTPUT} from '../../src/cli/output-schemas/profiles-merge.js'
import {checkProfileText, loadProfile} from '../../src/profile/load.js'
import {formatProfileJson} from '../../src/profile/normalise.js'
import {CONTAINERS_COMMON_DEFAULT_CAPS} from '../../src/runtime-default/capabilities.js'
import {resolveProfile} from '../../src/runtime-default/resolve.js'
import {runCli} from '../helpers/cli.js'

/** `profiles merge` with a docker/moby-format input: resolved for the target first, as `diff` does, and said so. */
const MOBY = 'profiles/runtime-default/moby-default.json'
const BUSYBOX = 'fixtures/profiles/valid/recorded-busybox.json'
const TARGET = ['--arch', 'x86_64', '--kernel', '6.1.0']
const ajv = new Ajv({allErrors: true, strict: false})

describe('profiles merge of a docker/moby-format profile', () => {
  it('resolves it for the target like diff and merges the flat result', async () => {
    const run = runCli(['profiles', 'merge', MOBY, BUSYBOX, ...TARGET])
    assert.equal(run.status, EXIT.OK, run.stderr)
    const moby = (await loadProfile(MOBY)).profile
    const busybox = (await loadProfile(BUSYBOX)).profile
    const expected = mergeProfiles([
      resolveProfile(moby, {arch: 'SCMP_ARCH_X86_64', kernel: '6.1.0', caps: [...CONTAINERS_COMMON_DEFAULT_CAPS]}),
      busybox,
    ])
    assert.equal(run.stdout, formatProfileJson(expected))
    const check = checkProfileText(run.stdout)
    assert.ok(check.valid)
    assert.equal(check.format, 'oci', 'no archMap, includes or excludes left')
    assert.match(
      run.stderr,
      /moby-default\.json is docker\/moby format: resolved for x86_64, kernel 6\.1\.0, 11 bounding capabilities/,
    )
  })

  it('says so in --json, and the capabilities change the result', () => {
    const json = (args: string[]) => {
      const run = runCli(['profiles', 'merge', '--json', MOBY, BUSYBOX, ...TARGET, ...args])
      assert.equal(run.status, EXIT.OK, run.stderr)
      const output = JSON.parse(run.stdout) as {
        resolved: {arch: string; kernel: string; caps: string[]; profiles: string[]} | null
        merged: {syscalls: Array<{names: string[]; action: string}>}
      }
      assert.ok(ajv.validate(PROFILES_MERGE_OUTPUT, output), ajv.errorsText())
      return output
    }
    const plain = json([])
    assert.deepEqual(plain.resolved, {
      arch: 'SCMP_ARCH_X86_64',
      kernel: '6.1.0',
      caps: [...CONTAINERS_COMMON_DEFAULT_CAPS].sort(),
      profiles: [MOBY],
    })
    const allows = (o: typeof plain, name: string) =>
      o.merged.syscalls.some((r) => r.action === 'SCMP_ACT_ALLOW' && r.names.includes(name))
    assert.equal(allows(plain, 'umount2'), false)
    const admin = json(['--cap-add', 'SYS_ADMIN'])
    assert.ok(admin.resolved!.caps.includes('CAP_SYS_ADMIN'))
    assert.equal(allows(admin, 'umount2'), true, 'moby allows umount2 with CAP_SYS_ADMIN')
  })

  it('leaves flat inputs as they are and says nothing', () => {
    const run = runCli(['profiles', 'merge', '--json', BUSYBOX, 'fixtures/profiles/valid/minimal.json'])
    assert.equal(run.status, EXIT.OK)
    assert.equal((JSON.parse(run.stdout) as {resolved: unknown}).resolved, null)
    assert.doesNotMatch(
      runCli(['profiles', 'merge', BUSYBOX, 'fixtures/profiles/valid/minimal.json']).stderr,
      /docker\/moby/,
    )
  })
})
