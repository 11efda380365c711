import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {compileEnforceSpec} from '../../src/launch/enforce-spec.js'
import {loadProfile} from '../../src/profile/load.js'
import {fixture, REPO_ROOT} from '../helpers/cli.js'

describe('compileEnforceSpec', () => {
  it('writes default, arches and one rule line per name with its conditions', async () => {
    const {profile} = await loadProfile(fixture('profiles', 'valid', 'recorded-busybox.json'))
    const lines = compileEnforceSpec(profile).trim().split('\n')
    assert.equal(lines[1], 'default ERRNO 1')
    assert.deepEqual(
      lines.filter((l) => l.startsWith('arch ')),
      ['arch x32', 'arch x86', 'arch x86_64'],
    )
    assert.ok(lines.includes('rule ALLOW - read'))
    assert.ok(lines.includes('rule ALLOW - personality 0 EQ 8 0'))
    assert.ok(lines.includes('rule ALLOW - clone 0 MASKED_EQ 2114060288 0'))
  })

  it('gives ERRNO rules their errno and EPERM when none is set', () => {
    const spec = compileEnforceSpec({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        {names: ['ptrace'], action: 'SCMP_ACT_ERRNO'},
        {names: ['bpf'], action: 'SCMP_ACT_ERRNO', errnoRet: 38},
      ],
    })
    assert.match(spec, /^default ALLOW$/m)
    assert.match(spec, /^rule ERRNO 1 ptrace$/m)
    assert.match(spec, /^rule ERRNO 38 bpf$/m)
  })

  it('refuses docker-format profiles and SCMP_ACT_NOTIFY with a message', async () => {
    const {profile} = await loadProfile(`${REPO_ROOT}/profiles/runtime-default/moby-default.json`)
    assert.throws(() => compileEnforceSpec(profile), /docker\/moby format/)
    assert.throws(
      () =>
        compileEnforceSpec({
          defaultAction: 'SCMP_ACT_ERRNO',
          listenerPath: '/x',
          syscalls: [{names: ['read'], action: 'SCMP_ACT_NOTIFY'}],
        }),
      /seccomp agent/,
    )
  })
})
