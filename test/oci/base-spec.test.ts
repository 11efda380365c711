import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {describe, it} from 'node:test'
import {fixture} from '../helpers/cli.js'
import {
  BaseSpecError,
  baseRuntimeSpec,
  checkDefaultSpec,
  renderSpec,
  withoutDefaultSecuritySettings,
  type OciSpec,
} from '../../src/oci/base-spec.js'
import {addOciConfigHooks, hookCommands} from '../../src/oci/hooks-config.js'

const ctrSpec = () =>
  checkDefaultSpec(JSON.parse(readFileSync(fixture('containerd', 'ctr-oci-spec-1.6.20.json'), 'utf8')))
const commands = hookCommands({
  helper: '/usr/local/libexec/seccomp-recorder/seccomp-recorder-helper',
  poststop: '/usr/local/libexec/seccomp-recorder/poststop',
  finaliser: '/usr/local/libexec/seccomp-recorder/finaliser',
  spool: '/run/seccomp-recorder/spool',
  outputRoots: ['/var/lib/out'],
  onError: 'fail',
})

describe('base runtime spec for containerd', () => {
  it("is containerd's default spec as the CRI uses it (no rlimits, AppArmor or seccomp) plus our two hooks", () => {
    const spec = baseRuntimeSpec(ctrSpec(), commands)
    assert.equal(
      (ctrSpec().process as {rlimits?: unknown}).rlimits !== undefined,
      true,
      'the fixture has the default RLIMIT_NOFILE',
    )
    assert.equal(spec.process?.rlimits, undefined)
    assert.equal(spec.process?.apparmorProfile, undefined)
    assert.equal(spec.linux?.seccomp, undefined)
    assert.deepEqual(spec.hooks, {prestart: [commands.prestart], poststop: [commands.poststop]})
    const {hooks: _hooks, ...rest} = spec
    assert.deepEqual(rest, withoutDefaultSecuritySettings(ctrSpec()), 'nothing else changes')
    assert.deepEqual(spec.linux?.namespaces, ctrSpec().linux?.namespaces)
  })

  it('builds the hook entries as config.json hooks do (one construction, shared)', () => {
    assert.deepEqual(baseRuntimeSpec(ctrSpec(), commands).hooks, addOciConfigHooks({}, commands).hooks)
    assert.deepEqual(commands.prestart.args.slice(0, 2), ['seccomp-recorder-helper', 'hook-prestart'])
  })

  it('is idempotent and keeps hooks of others', () => {
    const other = {path: '/usr/bin/other-hook', args: ['other-hook']}
    const spec = baseRuntimeSpec({...ctrSpec(), hooks: {prestart: [other]}} as OciSpec, commands)
    assert.deepEqual(spec.hooks, {prestart: [other, commands.prestart], poststop: [commands.poststop]})
    assert.equal(renderSpec(baseRuntimeSpec(spec, commands)), renderSpec(spec))
  })

  it('refuses what is not an OCI spec', () => {
    for (const bad of [null, [], 'x', {}, {ociVersion: '1.0.2'}, {ociVersion: '1.0.2', process: {}, linux: []}])
      assert.throws(() => checkDefaultSpec(bad), BaseSpecError)
  })
})
