import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {diffAgainstRuntimeDefault} from '../../src/diff/runtime-default-diff.js'
import {unifiedDiff} from '../../src/diff/unified.js'
import {loadProfile} from '../../src/profile/load.js'
import type {SeccompProfile} from '../../src/profile/model.js'
import {formatProfileJson, normaliseProfile} from '../../src/profile/normalise.js'
import {resolveRuntimeDefault} from '../../src/runtime-default/index.js'
import {fixture} from '../helpers/cli.js'

const abis = ['x86_64', 'x86', 'x32'] as const
const load = async (...path: string[]) => normaliseProfile((await loadProfile(fixture(...path))).profile)
const moby = async (kernel: string) =>
  normaliseProfile((await resolveRuntimeDefault('moby', {arch: 'SCMP_ARCH_X86_64', kernel})).resolved)
const against = (profile: SeccompProfile, rd: SeccompProfile) =>
  diffAgainstRuntimeDefault(profile, rd, {abis: [...abis], nativeArch: 'SCMP_ARCH_X86_64'})

describe('diff PROFILE --against runtime-default', () => {
  it('app-v2 under moby on kernel 6.1: clone and socket may fail, nothing is denied outright', async () => {
    const d = against(await load('diff', 'app-v2.json'), await moby('6.1.0'))
    assert.deepEqual(
      d.willFail.map((n) => n.name),
      [],
    )
    // moby allows clone only without namespace flags (no CAP_SYS_ADMIN) and socket only for families other than
    // AF_VSOCK; app-v2 allows both unconditionally. personality 0 and 8 are among moby's allowed values.
    assert.deepEqual(
      d.mayFail.map((n) => n.name),
      ['clone', 'socket'],
    )
    // ptrace: moby allows it from kernel 4.8 on (includes minKernel), without CAP_SYS_PTRACE.
    assert.ok(!d.willFail.some((n) => n.name === 'ptrace'))
  })

  it('on kernel 4.4 ptrace is denied: the workload will fail', async () => {
    const d = against(await load('diff', 'app-v2.json'), await moby('4.4'))
    assert.deepEqual(
      d.willFail.map((n) => n.name),
      ['ptrace'],
    )
    assert.equal(d.willFail[0]!.runtimeDefault.base.fromDefault, true)
  })

  it('counts the attack surface removed consistently', async () => {
    const profile = await load('diff', 'app-v2.json')
    const d = against(profile, await moby('6.1.0'))
    const s = d.attackSurface
    // Every name app-v2 allows is one moby allows (some only conditionally): they are the kept ones.
    const allowedByProfile = [
      ...new Set(
        (profile.syscalls ?? [])
          .filter((r) => r.action === 'SCMP_ACT_ALLOW' || r.action === 'SCMP_ACT_LOG')
          .flatMap((r) => r.names),
      ),
    ].sort()
    assert.deepEqual(s.keptNames, allowedByProfile)
    assert.equal(s.kept + s.removed, s.runtimeDefaultAllows)
    assert.equal(s.removedPercent, Math.round((s.removed / s.runtimeDefaultAllows) * 1000) / 10)
    for (const abi of abis) {
      const counts = d.runtimeDefaultCounts[abi]!
      assert.equal(s.byAbi[abi]!.runtimeDefaultAllows, counts.allowed + counts.conditional, abi)
    }
    assert.deepEqual(d.header.architectures.removed, ['SCMP_ARCH_X32'])
    assert.deepEqual(d.findings, {added: 2, removed: s.removed + 1, changed: 0})
  })

  it('a default-allow profile needs everything the runtime default denies', async () => {
    const rd = await moby('6.1.0')
    const profile: SeccompProfile = {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{names: ['mount'], action: 'SCMP_ACT_ERRNO'}],
    }
    const d = against(profile, rd)
    const names = d.willFail.map((n) => n.name)
    assert.ok(names.includes('reboot') && names.includes('init_module') && names.includes('clone3'))
    assert.ok(!names.includes('mount') && !names.includes('read'))
    assert.equal(d.attackSurface.removed, 0)
    assert.equal(d.header.defaultAllowance, 'widens')
  })

  it('lists names that are no syscall on the architectures as ignored', async () => {
    const d = against(
      {defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{names: ['read', 'not_a_syscall'], action: 'SCMP_ACT_ALLOW'}]},
      await moby('6.1.0'),
    )
    assert.deepEqual(d.ignored, ['not_a_syscall'])
    assert.deepEqual(d.willFail, [])
  })
})

describe('unified diff', () => {
  it('is empty for equal texts and a patch otherwise', async () => {
    const a = formatProfileJson(await load('diff', 'app-v1.json'))
    const b = formatProfileJson(await load('diff', 'app-v2.json'))
    assert.equal(await unifiedDiff('a', 'b', a, a), '')
    const patch = await unifiedDiff('app-v1.json', 'app-v2.json', a, b)
    assert.match(patch, /^--- app-v1\.json/m)
    assert.match(patch, /^\+\+\+ app-v2\.json/m)
    assert.match(patch, /^-\s+"fstat",$/m)
    assert.match(patch, /^\+\s+"ptrace",$/m)
  })
})
