import {describe, it} from 'node:test'
import assert from 'node:assert/strict'

import {
  ABIS,
  SCMP_ARCH_BY_ABI,
  SYSCALL_TABLE_SOURCE,
  X32_SYSCALL_BIT,
  abiForScmpArch,
  companionAbis,
  isKnownSyscall,
  nativeAbi,
  syscallName,
  syscallNames,
  syscallNumber,
  type Abi,
} from '../../src/syscalls/index.js'

describe('syscall tables: ABIs and architectures', () => {
  it('lists the five ABIs, frozen', () => {
    assert.deepEqual([...ABIS], ['x86_64', 'x86', 'x32', 'aarch64', 'arm'])
    assert.ok(Object.isFrozen(ABIS))
    assert.ok(Object.isFrozen(SCMP_ARCH_BY_ABI))
    assert.equal(X32_SYSCALL_BIT, 0x40000000)
  })

  it('maps ABIs to SCMP_ARCH names and back', () => {
    assert.deepEqual(SCMP_ARCH_BY_ABI, {
      x86_64: 'SCMP_ARCH_X86_64',
      x86: 'SCMP_ARCH_X86',
      x32: 'SCMP_ARCH_X32',
      aarch64: 'SCMP_ARCH_AARCH64',
      arm: 'SCMP_ARCH_ARM',
    })
    for (const abi of ABIS) assert.equal(abiForScmpArch(SCMP_ARCH_BY_ABI[abi]), abi)
    for (const other of [
      'SCMP_ARCH_PPC64LE',
      'SCMP_ARCH_RISCV64',
      'scmp_arch_x86_64',
      'x86_64',
      '',
      'toString',
      '__proto__',
    ]) {
      assert.equal(abiForScmpArch(other), undefined, other)
    }
  })

  it('maps Node process.arch values to the native ABI', () => {
    assert.equal(nativeAbi('x64'), 'x86_64')
    assert.equal(nativeAbi('ia32'), 'x86')
    assert.equal(nativeAbi('arm64'), 'aarch64')
    assert.equal(nativeAbi('arm'), 'arm')
    for (const other of ['ppc64', 's390x', 'riscv64', 'mips', 'x86_64', 'aarch64', '', 'constructor']) {
      assert.equal(nativeAbi(other), undefined, other)
    }
    assert.equal(nativeAbi(), nativeAbi(process.arch))
  })

  it('lists the companion ABIs a native kernel runs, native first', () => {
    assert.deepEqual(companionAbis('x86_64'), ['x86_64', 'x86', 'x32'])
    assert.deepEqual(companionAbis('aarch64'), ['aarch64', 'arm'])
    assert.deepEqual(companionAbis('x86'), ['x86'])
    assert.deepEqual(companionAbis('x32'), ['x32'])
    assert.deepEqual(companionAbis('arm'), ['arm'])
    const mine = companionAbis('x86_64')
    mine.pop()
    assert.deepEqual(companionAbis('x86_64'), ['x86_64', 'x86', 'x32'], 'a fresh array each call')
  })

  it('names its source', () => {
    assert.match(SYSCALL_TABLE_SOURCE, /^libseccomp [0-9a-f]{7,40} \(kernel v\d+\.\d+[^\s)]*\)$/)
  })
})

describe('syscall tables: lookups', () => {
  it('round-trips name -> number -> name for every syscall of every ABI', () => {
    for (const abi of ABIS) {
      const names = syscallNames(abi)
      assert.ok(names.length > 300, `${abi} has ${names.length} syscalls`)
      const numbers = new Set<number>()
      for (const name of names) {
        const nr = syscallNumber(abi, name)
        assert.ok(nr !== undefined && Number.isSafeInteger(nr) && nr >= 0, `${abi} ${name} -> ${String(nr)}`)
        assert.equal(syscallName(abi, nr), name, `${abi} ${nr}`)
        assert.ok(!numbers.has(nr), `${abi}: number ${nr} used twice`)
        numbers.add(nr)
        assert.ok(isKnownSyscall(name, [abi]))
        assert.ok(isKnownSyscall(name))
      }
    }
  })

  it('round-trips number -> name -> number over each ABI number range', () => {
    for (const abi of ABIS) {
      let found = 0
      const ranges: Array<[number, number]> = [[0, 1100]]
      if (abi === 'arm') ranges.push([0x0f0000, 0x0f0100])
      for (const [from, to] of ranges) {
        for (let nr = from; nr < to; nr++) {
          const name = syscallName(abi, nr)
          if (name === undefined) continue
          found++
          assert.equal(syscallNumber(abi, name), nr, `${abi} ${nr} ${name}`)
        }
      }
      assert.equal(found, syscallNames(abi).length, `${abi}: every syscall number lies in the scanned ranges`)
    }
  })

  it('knows well-established numbers', () => {
    const expected: Array<[Abi, string, number]> = [
      ['x86_64', 'read', 0],
      ['x86_64', 'write', 1],
      ['x86_64', 'execve', 59],
      ['x86_64', 'openat', 257],
      ['x86', 'exit', 1],
      ['x86', 'execve', 11],
      ['x86', 'socketcall', 102],
      ['x86', '_llseek', 140],
      ['x32', 'read', 0],
      ['x32', 'rt_sigaction', 512],
      ['x32', 'execve', 520],
      ['aarch64', 'openat', 56],
      ['aarch64', 'execve', 221],
      ['arm', 'execve', 11],
      ['arm', 'breakpoint', 0x0f0001],
      ['arm', 'cacheflush', 0x0f0002],
      ['arm', 'set_tls', 0x0f0005],
    ]
    for (const [abi, name, nr] of expected) {
      assert.equal(syscallNumber(abi, name), nr, `${abi} ${name}`)
      assert.equal(syscallName(abi, nr), name, `${abi} ${nr}`)
    }
    // Syscalls an ABI does not have.
    assert.equal(syscallNumber('aarch64', 'open'), undefined)
    assert.equal(syscallNumber('x86_64', 'socketcall'), undefined)
    assert.equal(syscallNumber('x86_64', '_llseek'), undefined)
    assert.equal(syscallNumber('x32', 'rt_sigaction') !== syscallNumber('x86_64', 'rt_sigaction'), true)
    assert.equal(isKnownSyscall('open', ['aarch64']), false)
    assert.equal(isKnownSyscall('open', ['aarch64', 'arm']), true)
    assert.equal(isKnownSyscall('set_tls', ['aarch64']), false)
  })

  it('handles the x32 syscall bit', () => {
    for (const name of syscallNames('x32')) {
      const nr = syscallNumber('x32', name)
      assert.ok(nr !== undefined && nr < X32_SYSCALL_BIT, `${name}: the table stores numbers without the bit`)
      assert.equal(syscallName('x32', nr), name)
      assert.equal(syscallName('x32', nr | X32_SYSCALL_BIT), name)
      assert.equal(syscallName('x32', nr + X32_SYSCALL_BIT), name)
    }
    assert.equal(syscallName('x32', X32_SYSCALL_BIT), 'read')
    assert.equal(syscallName('x32', X32_SYSCALL_BIT + 512), 'rt_sigaction')
    // The bit means nothing to other ABIs.
    assert.equal(syscallName('x86_64', X32_SYSCALL_BIT), undefined)
    assert.equal(syscallName('x86', X32_SYSCALL_BIT + 1), undefined)
    // Only that one bit is stripped.
    assert.equal(syscallName('x32', 2 * X32_SYSCALL_BIT), undefined)
    assert.equal(syscallName('x32', 3 * X32_SYSCALL_BIT), undefined)
    assert.equal(syscallName('x32', 0x80000000 + 1), undefined)
  })

  it('gives undefined for unknown names and numbers', () => {
    for (const abi of ABIS) {
      for (const name of [
        '',
        'nope',
        'READ',
        'read ',
        'toString',
        'constructor',
        '__proto__',
        'hasOwnProperty',
        'valueOf',
        '0',
      ]) {
        assert.equal(syscallNumber(abi, name), undefined, `${abi} ${JSON.stringify(name)}`)
      }
      for (const nr of [
        -1,
        -0.5,
        1.5,
        Number.NaN,
        Number.POSITIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
        99999,
        2 ** 53,
        Number.MAX_VALUE,
      ]) {
        assert.equal(syscallName(abi, nr), undefined, `${abi} ${nr}`)
      }
    }
    assert.equal(isKnownSyscall('toString'), false)
    assert.equal(isKnownSyscall('__proto__'), false)
    assert.equal(isKnownSyscall('nope'), false)
    assert.equal(isKnownSyscall('read', []), false)
    // Callers in plain JS may pass an ABI we do not have.
    const bogus = 'mips' as Abi
    assert.equal(syscallNumber(bogus, 'read'), undefined)
    assert.equal(syscallName(bogus, 0), undefined)
    assert.deepEqual(syscallNames(bogus), [])
    assert.equal(isKnownSyscall('read', [bogus]), false)
  })

  it('lists names sorted, unique and frozen, the same array each call', () => {
    const all = new Set<string>()
    for (const abi of ABIS) {
      const names = syscallNames(abi)
      assert.ok(Object.isFrozen(names))
      assert.equal(syscallNames(abi), names)
      assert.deepEqual([...names], [...names].sort())
      assert.equal(new Set(names).size, names.length)
      for (const name of names) {
        assert.match(name, /^[a-z_][a-z0-9_]*$/)
        all.add(name)
      }
    }
    for (const name of all) assert.ok(isKnownSyscall(name))
  })
})
