import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {checkRunFindings, describeFinding} from '../../src/drift/findings.js'
import {complainProfile, isComplainProfile} from '../../src/profile/complain.js'
import type {SeccompProfile} from '../../src/profile/model.js'
import {allowsCall} from '../../src/profile/semantics.js'
import type {Recording} from '../../src/store/model.js'
import {makeRecording} from '../store/helpers/recordings.js'

const NAMES_ONLY: SeccompProfile = {
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: 1,
  architectures: ['SCMP_ARCH_X86_64'],
  syscalls: [{names: ['exit_group', 'read', 'write'], action: 'SCMP_ACT_ALLOW'}],
}

/** socket allowed for AF_UNIX (1) stream (1) only; clone without namespace flags (as issue 15's builds write). */
const NS_FLAGS = 0x7e020000n
const WITH_CONDITIONS: SeccompProfile = {
  ...NAMES_ONLY,
  syscalls: [
    {names: ['read', 'write'], action: 'SCMP_ACT_ALLOW'},
    {
      names: ['socket'],
      action: 'SCMP_ACT_ALLOW',
      args: [
        {index: 0, value: 1n, op: 'SCMP_CMP_EQ'},
        {index: 1, value: 0xfff7f7ffn, valueTwo: 1n, op: 'SCMP_CMP_MASKED_EQ'},
      ],
    },
    {
      names: ['clone'],
      action: 'SCMP_ACT_ALLOW',
      args: [{index: 0, value: NS_FLAGS, valueTwo: 0n, op: 'SCMP_CMP_MASKED_EQ'}],
    },
    {names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38},
  ],
}

function withArguments(recording: Recording, args: Record<string, unknown>): Recording {
  return {...recording, arguments: args} as Recording
}

describe('checkRunFindings', () => {
  it('syscall level: every syscall the profile denies, sorted, on any ABI', () => {
    const run = makeRecording({syscalls: ['read', 'mkdir', 'write', 'ptrace'], x86: ['symlink', 'read']})
    assert.deepEqual(checkRunFindings(NAMES_ONLY, run), [{syscall: 'mkdir'}, {syscall: 'ptrace'}, {syscall: 'symlink'}])
  })

  it('nothing found when the profile allows everything the run did', () => {
    assert.deepEqual(checkRunFindings(NAMES_ONLY, makeRecording({syscalls: ['read', 'exit_group']})), [])
  })

  it('argument level: only the value tuples the conditions do not allow', () => {
    const run = withArguments(makeRecording({syscalls: ['read', 'socket', 'clone']}), {
      socket: {
        positions: [{index: 0}, {index: 1, mask: String(0xfff7f7ff)}],
        values: [
          ['1', '1'],
          ['16', '3'],
          ['2', '1'],
        ],
      },
      clone: {positions: [{index: 0, mask: String(NS_FLAGS)}], values: [['0'], [String(0x20000000)]]},
    })
    const findings = checkRunFindings(WITH_CONDITIONS, run)
    assert.deepEqual(findings.map(describeFinding), [
      'clone(arg0 & 0x7e020000 == 0x20000000)',
      'socket(arg0 == 0x10, arg1 & 0xfff7f7ff == 0x3)',
      'socket(arg0 == 0x2, arg1 & 0xfff7f7ff == 0x1)',
    ])
    assert.deepEqual(findings[0], {
      syscall: 'clone',
      arguments: {positions: [{index: 0, mask: String(NS_FLAGS)}], values: [String(0x20000000)]},
    })
  })

  it('a conditionally allowed syscall without recorded values (or with overflow) is a finding by name', () => {
    const plain = makeRecording({syscalls: ['socket']})
    assert.deepEqual(checkRunFindings(WITH_CONDITIONS, plain), [{syscall: 'socket'}])
    const overflow = withArguments(plain, {socket: {positions: [{index: 0}], values: [['1']], overflow: true}})
    assert.deepEqual(checkRunFindings(WITH_CONDITIONS, overflow), [{syscall: 'socket'}])
  })

  it('malformed recorded arguments count as not recorded', () => {
    const bad = withArguments(makeRecording({syscalls: ['socket']}), {socket: {positions: 'x', values: [['1', '1']]}})
    assert.deepEqual(checkRunFindings(WITH_CONDITIONS, bad), [{syscall: 'socket'}])
  })
})

describe('allowsCall', () => {
  const known = (entries: Array<[number, bigint, bigint?]>) =>
    new Map(entries.map(([i, value, mask]) => [i, mask === undefined ? {value} : {value, mask}]))
  it('decides with the conditions when every compared value is known', () => {
    assert.equal(
      allowsCall(
        WITH_CONDITIONS,
        'socket',
        known([
          [0, 1n],
          [1, 1n, 0xfff7f7ffn],
        ]),
      ),
      true,
    )
    assert.equal(
      allowsCall(
        WITH_CONDITIONS,
        'socket',
        known([
          [0, 2n],
          [1, 1n, 0xfff7f7ffn],
        ]),
      ),
      false,
    )
  })
  it('leans to denied when a compared value is not known', () => {
    assert.equal(allowsCall(WITH_CONDITIONS, 'socket', known([[0, 1n]])), false)
    assert.equal(
      allowsCall(
        WITH_CONDITIONS,
        'socket',
        known([
          [0, 1n],
          [1, 1n, 0xffn],
        ]),
      ),
      false,
    )
  })
  it('names allowed or denied outright ignore the values', () => {
    assert.equal(allowsCall(WITH_CONDITIONS, 'read', known([])), true)
    assert.equal(allowsCall(WITH_CONDITIONS, 'clone3', known([])), false)
    assert.equal(allowsCall(WITH_CONDITIONS, 'ptrace', known([[0, 0n]])), false)
  })
})

describe('complainProfile', () => {
  it('logs instead of denying by default and keeps the rules (clone3 → ENOSYS stays)', () => {
    const complain = complainProfile(WITH_CONDITIONS)
    assert.equal(complain.defaultAction, 'SCMP_ACT_LOG')
    assert.equal(complain.defaultErrnoRet, undefined)
    assert.deepEqual(complain.syscalls, WITH_CONDITIONS.syscalls)
    assert.ok(isComplainProfile(complain) && !isComplainProfile(WITH_CONDITIONS))
    assert.deepEqual(checkRunFindings(complain, makeRecording({syscalls: ['ptrace']})), [])
  })
})
