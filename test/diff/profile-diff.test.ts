import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import fc from 'fast-check'
import {failsOn} from '../../src/diff/header.js'
import {diffProfiles, isEmptyDiff, mirrorProfileDiff, type ProfileDiff} from '../../src/diff/profile-diff.js'
import {loadProfile} from '../../src/profile/load.js'
import {SECCOMP_OPERATORS, type SeccompArch, type SeccompProfile, type SeccompRule} from '../../src/profile/model.js'
import {normaliseProfile} from '../../src/profile/normalise.js'
import {fixture} from '../helpers/cli.js'

const native: SeccompArch = 'SCMP_ARCH_X86_64'
const diff = (a: SeccompProfile, b: SeccompProfile) => diffProfiles(a, b, {nativeArch: native})
const load = async (...path: string[]) => normaliseProfile((await loadProfile(fixture(...path))).profile)
const summary = (d: ProfileDiff) => ({
  added: d.syscalls.added.map((c) => c.name),
  removed: d.syscalls.removed.map((c) => c.name),
  changed: d.syscalls.changed.map((c) => `${c.name}${c.widens ? ' wider' : ''}${c.narrows ? ' narrower' : ''}`),
})

describe('diff A B on the fixtures', () => {
  it('finds what changed from app-v1 to app-v2 (see fixtures/diff/README.md)', async () => {
    const d = diff(await load('diff', 'app-v1.json'), await load('diff', 'app-v2.json'))
    assert.deepEqual(summary(d), {
      added: ['ptrace', 'socket'],
      removed: ['fstat'],
      changed: ['clone wider', 'kill', 'mount', 'personality wider'],
    })
    assert.deepEqual(d.header.architectures.removed, ['SCMP_ARCH_X32'])
    assert.deepEqual(d.header.architectures.added, [])
    assert.equal(d.header.defaultAction, null)
    // added: ptrace, socket + the two wider conditions; removed: fstat + SCMP_ARCH_X32; changed: the four rules.
    assert.deepEqual(d.findings, {added: 4, removed: 2, changed: 4})
    assert.equal(d.syscalls.changed.find((c) => c.name === 'mount')!.to.base.errnoRet, 38)
  })

  it('reports nothing for a profile against itself', async () => {
    for (const file of [
      ['diff', 'app-v1.json'],
      ['diff', 'app-v2.json'],
      ['profiles', 'valid', 'recorded-busybox.json'],
    ]) {
      const p = await load(...file)
      const d = diff(p, p)
      assert.ok(isEmptyDiff(d), file.join('/'))
      assert.equal(failsOn(d.findings, 'any'), false)
    }
  })

  it('reports a default-action change once, in the header', () => {
    const a: SeccompProfile = {defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{names: ['read'], action: 'SCMP_ACT_ALLOW'}]}
    const b: SeccompProfile = {defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{names: ['read'], action: 'SCMP_ACT_ALLOW'}]}
    const d = diff(a, b)
    assert.deepEqual(summary(d), {added: [], removed: [], changed: []})
    assert.equal(d.header.defaultAllowance, 'widens')
    assert.deepEqual(d.findings, {added: 1, removed: 0, changed: 1})
    assert.equal(failsOn(d.findings, 'added'), true)
    assert.equal(failsOn(d.findings, 'removed'), false)
  })

  it('does not report a rule that only restates the default', () => {
    const a: SeccompProfile = {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        {names: ['read'], action: 'SCMP_ACT_ALLOW'},
        {names: ['mount'], action: 'SCMP_ACT_ERRNO'},
      ],
    }
    const b: SeccompProfile = {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{names: ['mount'], action: 'SCMP_ACT_ERRNO', errnoRet: 1}],
    }
    assert.ok(isEmptyDiff(diff(a, b)))
  })
})

// Random flat profiles over a few names, actions, conditions, errnos, architectures and flags.
const name = fc.constantFrom('read', 'write', 'openat', 'clone', 'personality', 'socket', 'ptrace', 'kill')
const arg = fc.record({
  index: fc.integer({min: 0, max: 2}),
  value: fc.constantFrom(0n, 8n, 16n, 0x7e020000n, (1n << 63n) + 1n, (1n << 64n) - 1n),
  op: fc.constantFrom(...SECCOMP_OPERATORS),
})
const rule: fc.Arbitrary<SeccompRule> = fc.record(
  {
    names: fc.uniqueArray(name, {minLength: 1, maxLength: 3}),
    action: fc.constantFrom(
      'SCMP_ACT_ALLOW',
      'SCMP_ACT_LOG',
      'SCMP_ACT_ERRNO',
      'SCMP_ACT_KILL_PROCESS',
      'SCMP_ACT_TRAP',
    ),
    errnoRet: fc.option(fc.constantFrom(1, 22, 38), {nil: undefined}),
    args: fc.option(fc.array(arg, {minLength: 1, maxLength: 2}), {nil: undefined}),
  },
  {requiredKeys: ['names', 'action']},
)
const profile: fc.Arbitrary<SeccompProfile> = fc.record(
  {
    defaultAction: fc.constantFrom('SCMP_ACT_ERRNO', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG'),
    defaultErrnoRet: fc.option(fc.constantFrom(1, 38), {nil: undefined}),
    architectures: fc.option(
      fc.uniqueArray(fc.constantFrom('SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'), {minLength: 1}),
      {nil: undefined},
    ),
    flags: fc.option(
      fc.uniqueArray(fc.constantFrom('SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'), {maxLength: 2}),
      {nil: undefined},
    ),
    syscalls: fc.array(rule, {maxLength: 7}),
  },
  {requiredKeys: ['defaultAction', 'syscalls']},
) as fc.Arbitrary<SeccompProfile>

describe('diff A B properties', () => {
  it('diff A B and diff B A are mirror images', () => {
    fc.assert(
      fc.property(profile, profile, (a, b) => {
        assert.deepEqual(diff(b, a), mirrorProfileDiff(diff(a, b)))
      }),
      {numRuns: 500},
    )
  })

  it('mirrored twice is the same diff, and the findings swap', () => {
    fc.assert(
      fc.property(profile, profile, (a, b) => {
        const d = diff(a, b)
        assert.deepEqual(mirrorProfileDiff(mirrorProfileDiff(d)), d)
        const back = diff(b, a)
        assert.deepEqual(
          [back.findings.added, back.findings.removed, back.findings.changed],
          [d.findings.removed, d.findings.added, d.findings.changed],
        )
        assert.equal(failsOn(d.findings, 'added'), failsOn(back.findings, 'removed'))
      }),
      {numRuns: 300},
    )
  })

  it('diff A A reports nothing, normalised or not', () => {
    fc.assert(
      fc.property(profile, (a) => {
        assert.ok(isEmptyDiff(diff(a, a)))
        assert.ok(isEmptyDiff(diff(a, normaliseProfile(a))))
      }),
      {numRuns: 300},
    )
  })

  it('every added syscall is allowed by B and denied by A, every removed one the reverse', () => {
    fc.assert(
      fc.property(profile, profile, (a, b) => {
        const d = diff(a, b)
        for (const c of d.syscalls.added)
          assert.ok(c.from.allowance === 'denied' && c.to.allowance !== 'denied' && c.widens && !c.narrows)
        for (const c of d.syscalls.removed)
          assert.ok(c.from.allowance !== 'denied' && c.to.allowance === 'denied' && c.narrows && !c.widens)
      }),
      {numRuns: 300},
    )
  })
})
