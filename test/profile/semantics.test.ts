import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {mergeProfiles} from '../../src/aggregate/merge.js'
import {diffProfiles} from '../../src/diff/profile-diff.js'
import {describeVerdict} from '../../src/diff/verdict.js'
import {SECCOMP_ACTIONS, type SeccompArg, type SeccompProfile} from '../../src/profile/model.js'
import {normaliseProfile} from '../../src/profile/normalise.js'
import {
  ACTION_ORDER,
  allowedNames,
  allows,
  canonicalArg,
  compareArgs,
  compareVerdicts,
  effectiveErrno,
  isAllowing,
  leastRestrictive,
  syscallVerdict,
  takesErrno,
  verdictOf,
} from '../../src/profile/semantics.js'

describe('semantics: actions', () => {
  it('orders every action, least restrictive first', () => {
    assert.deepEqual([...ACTION_ORDER].sort(), [...SECCOMP_ACTIONS].sort())
    assert.equal(ACTION_ORDER[0], 'SCMP_ACT_ALLOW')
    assert.equal(ACTION_ORDER.at(-1), 'SCMP_ACT_KILL_PROCESS')
    for (let i = 1; i < ACTION_ORDER.length; i++)
      assert.ok(compareVerdicts(verdictOf(ACTION_ORDER[i - 1]!, null), verdictOf(ACTION_ORDER[i]!, null)) > 0)
  })

  it('lets ALLOW and LOG through, nothing else', () => {
    assert.deepEqual(SECCOMP_ACTIONS.filter(isAllowing).sort(), ['SCMP_ACT_ALLOW', 'SCMP_ACT_LOG'])
    assert.deepEqual(SECCOMP_ACTIONS.filter(takesErrno).sort(), ['SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE'])
  })

  it('gives ERRNO and TRACE without errnoRet EPERM, as the runtime-spec says and runc loads them; other actions no number', () => {
    assert.equal(effectiveErrno('SCMP_ACT_ERRNO', undefined), 1)
    assert.equal(effectiveErrno('SCMP_ACT_TRACE', undefined), 1)
    assert.equal(effectiveErrno('SCMP_ACT_TRACE', 38), 38)
    assert.equal(effectiveErrno('SCMP_ACT_ALLOW', 5), null)
    assert.equal(effectiveErrno('SCMP_ACT_KILL_PROCESS', 5), null)
  })

  it('prefers the higher errno between two denials with the same action (ENOSYS over EPERM)', () => {
    assert.deepEqual(leastRestrictive(verdictOf('SCMP_ACT_ERRNO', 1), verdictOf('SCMP_ACT_ERRNO', 38)), {
      action: 'SCMP_ACT_ERRNO',
      errnoRet: 38,
    })
    assert.deepEqual(leastRestrictive(verdictOf('SCMP_ACT_ERRNO', 38), verdictOf('SCMP_ACT_LOG', 38)), {
      action: 'SCMP_ACT_LOG',
      errnoRet: null,
    })
  })
})

describe('semantics: TRACE without errnoRet means TRACE(EPERM) in merge and diff alike', () => {
  const traceBare: SeccompProfile = {
    defaultAction: 'SCMP_ACT_ERRNO',
    syscalls: [
      {names: ['ptrace'], action: 'SCMP_ACT_TRACE'},
      {names: ['read'], action: 'SCMP_ACT_ALLOW'},
    ],
  }
  const traceEperm: SeccompProfile = {
    defaultAction: 'SCMP_ACT_ERRNO',
    syscalls: [
      {names: ['ptrace'], action: 'SCMP_ACT_TRACE', errnoRet: 1},
      {names: ['read'], action: 'SCMP_ACT_ALLOW'},
    ],
  }

  it('verdict', () => {
    assert.deepEqual(syscallVerdict(traceBare, 'ptrace').base, {
      action: 'SCMP_ACT_TRACE',
      errnoRet: 1,
      fromDefault: false,
    })
    assert.equal(describeVerdict(syscallVerdict(traceBare, 'ptrace')), 'SCMP_ACT_TRACE(EPERM)')
  })

  it('diff sees no difference between the two', () => {
    const d = diffProfiles(traceBare, traceEperm, {nativeArch: 'SCMP_ARCH_X86_64'})
    assert.equal(d.findings.added + d.findings.removed + d.findings.changed, 0)
  })

  it('merge writes the EPERM out', () => {
    assert.deepEqual(
      mergeProfiles([traceBare]).syscalls?.find((r) => r.names.includes('ptrace')),
      {names: ['ptrace'], action: 'SCMP_ACT_TRACE', errnoRet: 1},
    )
    assert.deepEqual(mergeProfiles([traceBare]), mergeProfiles([traceEperm]))
  })
})

describe('semantics: argument comparisons', () => {
  const arg = (index: number, op: SeccompArg['op'], value: bigint, valueTwo?: bigint): SeccompArg => ({
    index,
    op,
    value,
    ...(valueTwo === undefined ? {} : {valueTwo}),
  })

  it('keeps valueTwo only for MASKED_EQ (default 0)', () => {
    assert.deepEqual(canonicalArg(arg(0, 'SCMP_CMP_EQ', 8n, 0n)), {index: 0, value: 8n, op: 'SCMP_CMP_EQ'})
    assert.deepEqual(canonicalArg(arg(0, 'SCMP_CMP_MASKED_EQ', 8n)), {
      index: 0,
      value: 8n,
      valueTwo: 0n,
      op: 'SCMP_CMP_MASKED_EQ',
    })
  })

  it('orders by index, then value numerically, then operator', () => {
    const sorted = [
      arg(1, 'SCMP_CMP_EQ', 0n),
      arg(0, 'SCMP_CMP_GT', 0x28n),
      arg(0, 'SCMP_CMP_EQ', 0x27n),
      arg(0, 'SCMP_CMP_LT', 0x26n),
      arg(0, 'SCMP_CMP_NE', 0x26n),
    ].sort(compareArgs)
    assert.deepEqual(
      sorted.map((a) => `${a.index} ${a.op} ${a.value}`),
      ['0 SCMP_CMP_LT 38', '0 SCMP_CMP_NE 38', '0 SCMP_CMP_EQ 39', '0 SCMP_CMP_GT 40', '1 SCMP_CMP_EQ 0'],
    )
  })

  it('is the order normalise writes and diff describes', () => {
    const profile: SeccompProfile = {
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [
        {names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [arg(0, 'SCMP_CMP_NE', 1n), arg(0, 'SCMP_CMP_LT', 10n)]},
        {names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [arg(0, 'SCMP_CMP_GT', 0x28n)]},
        {names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [arg(0, 'SCMP_CMP_EQ', 0x27n)]},
      ],
    }
    const normal = normaliseProfile(profile)
    assert.deepEqual(
      normal.syscalls?.[0]?.args?.map((a) => a.op),
      ['SCMP_CMP_NE', 'SCMP_CMP_LT'],
    )
    assert.equal(
      describeVerdict(syscallVerdict(profile, 'socket')),
      'SCMP_ACT_ALLOW if family != AF_UNIX && family < AF_INET6; SCMP_ACT_ALLOW if family == AF_NFC; SCMP_ACT_ALLOW if family > AF_VSOCK; otherwise SCMP_ACT_ERRNO(EPERM) (default)',
    )
  })
})

describe('semantics: allows(profile, syscall)', () => {
  const profile: SeccompProfile = {
    defaultAction: 'SCMP_ACT_ERRNO',
    syscalls: [
      {names: ['read', 'write'], action: 'SCMP_ACT_ALLOW'},
      {names: ['kill'], action: 'SCMP_ACT_LOG'},
      {names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{index: 0, value: 8n, op: 'SCMP_CMP_EQ'}]},
      {names: ['mount'], action: 'SCMP_ACT_ERRNO', errnoRet: 38},
      {names: ['socket'], action: 'SCMP_ACT_ALLOW'},
      {names: ['socket'], action: 'SCMP_ACT_ERRNO', args: [{index: 0, value: 16n, op: 'SCMP_CMP_EQ'}]},
      {names: ['setns'], action: 'SCMP_ACT_ALLOW', includes: {caps: ['CAP_SYS_ADMIN']}},
    ],
  }

  it('is true only when every call goes through', () => {
    assert.equal(allows(profile, 'read'), true)
    assert.equal(allows(profile, 'kill'), true) // LOG lets it through
    assert.equal(allows(profile, 'personality'), false) // only some calls
    assert.equal(allows(profile, 'socket'), false) // a conditional denial
    assert.equal(allows(profile, 'mount'), false)
    assert.equal(allows(profile, 'reboot'), false) // by the default action
    assert.equal(allows(profile, 'setns'), false) // docker includes: depends on the target
    assert.deepEqual(allowedNames(profile), ['kill', 'read', 'write'])
  })

  it('folds in the default action', () => {
    const allowByDefault: SeccompProfile = {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{names: ['mount'], action: 'SCMP_ACT_ERRNO'}],
    }
    assert.equal(allows(allowByDefault, 'reboot'), true)
    assert.equal(allows(allowByDefault, 'mount'), false)
    assert.equal(syscallVerdict(allowByDefault, 'reboot').base.fromDefault, true)
  })

  it('shows a docker-format condition as a condition', () => {
    assert.equal(syscallVerdict(profile, 'setns').allowance, 'conditional')
    assert.deepEqual(
      syscallVerdict(profile, 'setns').conditional.map((r) => r.conditions),
      [['includes caps CAP_SYS_ADMIN']],
    )
  })
})
