import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {allowsSubset, describeVerdict, errnoName} from '../../src/diff/verdict.js'
import {effectiveErrno, ProfileIndex} from '../../src/profile/semantics.js'
import type {SeccompProfile, SeccompRule} from '../../src/profile/model.js'

const EQ8 = {index: 0, value: 8n, op: 'SCMP_CMP_EQ'} as const
const EQ0 = {index: 0, value: 0n, op: 'SCMP_CMP_EQ'} as const
const NE16 = {index: 0, value: 16n, op: 'SCMP_CMP_NE'} as const
const EQ16 = {index: 0, value: 16n, op: 'SCMP_CMP_EQ'} as const
const ARG2_EQ9 = {index: 2, value: 9n, op: 'SCMP_CMP_EQ'} as const

const verdict = (profile: SeccompProfile, name: string) => new ProfileIndex(profile).verdict(name)

describe('verdicts', () => {
  const profile: SeccompProfile = {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 38,
    syscalls: [
      {names: ['read', 'write'], action: 'SCMP_ACT_ALLOW'},
      {names: ['kill'], action: 'SCMP_ACT_LOG'},
      {names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [EQ8]},
      {names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [EQ0]},
      {names: ['mount'], action: 'SCMP_ACT_ERRNO'},
      {names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [NE16]},
      {names: ['socket'], action: 'SCMP_ACT_ERRNO', errnoRet: 22, args: [EQ16, ARG2_EQ9]},
      {names: ['setns'], action: 'SCMP_ACT_ALLOW'},
      {names: ['setns'], action: 'SCMP_ACT_ERRNO', errnoRet: 1},
      {names: ['ptrace'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, args: [EQ0]},
    ],
  }

  it('classifies allowed, denied and conditional syscalls', () => {
    assert.equal(verdict(profile, 'read').allowance, 'allowed')
    assert.equal(verdict(profile, 'kill').allowance, 'allowed') // SCMP_ACT_LOG allows
    assert.equal(verdict(profile, 'personality').allowance, 'conditional')
    assert.equal(verdict(profile, 'socket').allowance, 'conditional')
    assert.equal(verdict(profile, 'mount').allowance, 'denied')
    assert.equal(verdict(profile, 'reboot').allowance, 'denied') // by the default action
    assert.equal(verdict(profile, 'ptrace').allowance, 'denied') // a conditional denial under a denying default is still a denial
    const setns = verdict(profile, 'setns')
    assert.equal(setns.conflicting, true)
    assert.equal(setns.allowance, 'conditional') // ALLOW and ERRNO without conditions: up to the runtime
  })

  it('records where the decision comes from and which errno a denial returns', () => {
    assert.deepEqual(verdict(profile, 'reboot').base, {action: 'SCMP_ACT_ERRNO', errnoRet: 38, fromDefault: true})
    assert.deepEqual(verdict(profile, 'mount').base, {action: 'SCMP_ACT_ERRNO', errnoRet: 1, fromDefault: false}) // runtime-spec: EPERM when errnoRet is missing
    assert.equal(effectiveErrno('SCMP_ACT_KILL_PROCESS', 5), null)
    assert.equal(errnoName(38), 'ENOSYS')
  })

  it('describes a verdict in words, allowing rules first and values in numeric order', () => {
    assert.equal(
      describeVerdict(verdict(profile, 'personality')),
      'SCMP_ACT_ALLOW for PER_LINUX, PER_LINUX32; otherwise SCMP_ACT_ERRNO(ENOSYS) (default)',
    )
    assert.equal(
      describeVerdict(verdict(profile, 'socket')),
      'SCMP_ACT_ALLOW if family != AF_NETLINK; SCMP_ACT_ERRNO(EINVAL) if family == AF_NETLINK && protocol == 0x9; otherwise SCMP_ACT_ERRNO(ENOSYS) (default)',
    )
  })

  it('treats MASKED_EQ without valueTwo like valueTwo 0, and rule order and duplicates as irrelevant', () => {
    const a: SeccompProfile = {
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [
        {names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{index: 0, value: 0x7e020000n, op: 'SCMP_CMP_MASKED_EQ'}]},
      ],
    }
    const b: SeccompProfile = {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1,
      syscalls: [
        {
          names: ['clone'],
          action: 'SCMP_ACT_ALLOW',
          args: [{index: 0, value: 0x7e020000n, valueTwo: 0n, op: 'SCMP_CMP_MASKED_EQ'}],
        },
        {
          names: ['clone'],
          action: 'SCMP_ACT_ALLOW',
          args: [{index: 0, value: 0x7e020000n, valueTwo: 0n, op: 'SCMP_CMP_MASKED_EQ'}],
        },
      ],
    }
    assert.equal(new ProfileIndex(a).rulesKey('clone'), new ProfileIndex(b).rulesKey('clone'))
    assert.ok(
      allowsSubset(verdict(a, 'clone'), verdict(b, 'clone')) && allowsSubset(verdict(b, 'clone'), verdict(a, 'clone')),
    )
  })
})

describe('allowsSubset: does y allow every call x allows?', () => {
  const one = (...rules: NonNullable<SeccompProfile['syscalls']>) =>
    verdict({defaultAction: 'SCMP_ACT_ERRNO', syscalls: rules}, 'personality')
  const allow: SeccompRule = {names: ['personality'], action: 'SCMP_ACT_ALLOW'}
  const unconditional = one(allow)
  const only8 = one({...allow, args: [EQ8]})
  const only0 = one({...allow, args: [EQ0]})
  const both = one({...allow, args: [EQ8]}, {...allow, args: [EQ0]})
  const eq8AndArg2 = one({...allow, args: [EQ8, ARG2_EQ9]})
  const denied = one()

  it('decides the clear cases', () => {
    assert.equal(allowsSubset(denied, only8), true)
    assert.equal(allowsSubset(only8, unconditional), true)
    assert.equal(allowsSubset(unconditional, only8), false)
    assert.equal(allowsSubset(only8, both), true)
    assert.equal(allowsSubset(both, only8), false)
    assert.equal(allowsSubset(only8, only0), false)
    assert.equal(allowsSubset(only8, denied), false)
    // arg0 == 8 && arg2 == 9 is narrower than arg0 == 8.
    assert.equal(allowsSubset(eq8AndArg2, only8), true)
    assert.equal(allowsSubset(only8, eq8AndArg2), false)
  })

  it('is conservative where rule precedence would matter', () => {
    const withDenial = one(
      {...allow, args: [EQ8]},
      {names: ['personality'], action: 'SCMP_ACT_ERRNO', args: [EQ8, ARG2_EQ9]},
    )
    assert.equal(allowsSubset(only8, withDenial), false)
    assert.equal(allowsSubset(withDenial, only8), true)
  })
})
