import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {profileFromSyscalls} from '../../src/profile/from-syscalls.js'
import {checkProfileText} from '../../src/profile/load.js'
import {formatProfileJson} from '../../src/profile/normalise.js'
import {allNames, architecturesOf, nameKernelSyscalls} from '../../src/syscalls/syscall-set.js'

describe('nameKernelSyscalls', () => {
  it('names numbers per ABI and keeps unknown numbers', () => {
    const set = nameKernelSyscalls({syscalls: {x86_64: [0, 1, 59, 231, 511], x86: [1, 11], x32: [520]}})
    assert.deepEqual(set.names, {
      x86_64: ['execve', 'exit_group', 'read', 'write'],
      x86: ['execve', 'exit'],
      x32: ['execve'],
    })
    assert.deepEqual(set.unknown, [{abi: 'x86_64', nr: 511}])
    assert.deepEqual(allNames(set), ['execve', 'exit', 'exit_group', 'read', 'write'])
    assert.deepEqual(architecturesOf(set), ['SCMP_ARCH_X32', 'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64'])
  })
})

describe('profileFromSyscalls', () => {
  it('allows exactly the recorded names, denies the rest with EPERM, and validates', () => {
    const profile = profileFromSyscalls(nameKernelSyscalls({syscalls: {x86_64: [0, 1, 59, 231]}}))
    assert.deepEqual(profile, {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1,
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [{names: ['execve', 'exit_group', 'read', 'write'], action: 'SCMP_ACT_ALLOW'}],
    })
    const check = checkProfileText(formatProfileJson(profile))
    assert.equal(check.valid, true)
    assert.deepEqual(check.warnings, [])
  })
})
