/**
 * The resolver, rule by rule, on small fixtures (fixtures/runtime-default/). Every expectation below was worked
 * out by hand from the fixture and the rules moby and containers-common apply (src/runtime-default/resolve.ts): archMap entry of the target + its sub-architectures;
 * excludes drops a rule if ANY condition holds; includes keeps it only if ALL hold; minKernel compares with
 * the target kernel; argument comparisons stay.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {loadProfile, checkProfileText} from '../../src/profile/load.js'
import {stringifyJson} from '../../src/json/stringify.js'
import type {SeccompArch, SeccompProfile} from '../../src/profile/model.js'
import {
  capabilitySet,
  CONTAINERS_COMMON_DEFAULT_CAPS,
  DOCKER_DEFAULT_CAPS,
  parseCapabilities,
} from '../../src/runtime-default/capabilities.js'
import {nativeArch, parseArch, seccompArchName, sortArches} from '../../src/runtime-default/arch.js'
import {kernelAtLeast, parseKernelVersion} from '../../src/runtime-default/kernel.js'
import {explainResolution, resolveProfile} from '../../src/runtime-default/resolve.js'
import {UserError} from '../../src/core/errors.js'
import {fixture} from '../helpers/cli.js'

async function load(name: string): Promise<SeccompProfile> {
  return (await loadProfile(fixture('runtime-default', name))).profile
}

/** The names each kept rule lists, flattened and sorted. */
function names(profile: SeccompProfile): string[] {
  return (profile.syscalls ?? []).flatMap((r) => r.names).sort()
}

const X86_64: SeccompArch = 'SCMP_ARCH_X86_64'

describe('resolveProfile: archMap and arches', () => {
  // arch-map.json rules: 0 read,write | 1 arch_prctl includes [amd64,x32] | 2 modify_ldt includes [x86]
  // 3 cacheflush,set_tls includes [arm,arm64] | 4 s390_runtime_instr includes [s390x] | 5 vm86 excludes [amd64,arm64]
  const cases: Array<{arch: SeccompArch; architectures: string[] | undefined; names: string[]}> = [
    // amd64: rule 1 (amd64 listed) kept; rule 2 dropped although x86 is a sub-architecture (only the native one is compared); rule 5 excluded.
    {
      arch: 'SCMP_ARCH_X86_64',
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
      names: ['arch_prctl', 'read', 'write'],
    },
    {
      arch: 'SCMP_ARCH_AARCH64',
      architectures: ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'],
      names: ['cacheflush', 'read', 'set_tls', 'write'],
    },
    {
      arch: 'SCMP_ARCH_S390X',
      architectures: ['SCMP_ARCH_S390X', 'SCMP_ARCH_S390'],
      names: ['read', 's390_runtime_instr', 'vm86', 'write'],
    },
    // subArchitectures null: the architecture alone.
    {arch: 'SCMP_ARCH_RISCV64', architectures: ['SCMP_ARCH_RISCV64'], names: ['read', 'vm86', 'write']},
    // No archMap entry: no architectures (the runtime uses the native one), arch-specific rules still filtered.
    {arch: 'SCMP_ARCH_PPC64LE', architectures: undefined, names: ['read', 'vm86', 'write']},
    {arch: 'SCMP_ARCH_X86', architectures: undefined, names: ['modify_ldt', 'read', 'vm86', 'write']},
    {arch: 'SCMP_ARCH_ARM', architectures: undefined, names: ['cacheflush', 'read', 'set_tls', 'vm86', 'write']},
  ]
  for (const c of cases) {
    it(`resolves for ${c.arch}`, async () => {
      const resolved = resolveProfile(await load('arch-map.json'), {arch: c.arch, caps: [], kernel: '6.1.0'})
      assert.deepEqual(resolved.architectures, c.architectures)
      assert.equal(resolved.archMap, undefined)
      assert.deepEqual(names(resolved), c.names)
    })
  }

  it('explains each decision', async () => {
    const {decisions} = explainResolution(await load('arch-map.json'), {arch: X86_64, caps: [], kernel: '6.1'})
    assert.deepEqual(
      decisions.map((d) => [d.index, d.kept, d.reason]),
      [
        [0, true, 'kept'],
        [1, true, 'kept'],
        [2, false, 'includes arches x86: target is amd64'],
        [3, false, 'includes arches arm,arm64: target is amd64'],
        [4, false, 'includes arches s390x: target is amd64'],
        [5, false, 'excludes arches: amd64 is listed'],
      ],
    )
  })
})

describe('resolveProfile: capabilities', () => {
  // caps.json rules: 0 read | 1 bpf ALLOW includes [SYS_ADMIN, BPF] | 2 perf_event_open ERRNO excludes [SYS_ADMIN, PERFMON]
  // 3 chroot ALLOW includes [SYS_CHROOT] | 4 chroot ERRNO excludes [SYS_CHROOT]
  const cases: Array<{caps: string[]; kept: number[]}> = [
    {caps: [], kept: [0, 2, 4]},
    // includes needs ALL its caps: SYS_ADMIN alone does not bring bpf; excludes needs ANY: SYS_ADMIN alone drops the perf_event_open denial.
    {caps: ['CAP_SYS_ADMIN'], kept: [0, 4]},
    {caps: ['CAP_BPF'], kept: [0, 2, 4]},
    {caps: ['CAP_SYS_ADMIN', 'CAP_BPF'], kept: [0, 1, 4]},
    {caps: ['CAP_PERFMON'], kept: [0, 4]},
    // The allow/deny pair: exactly one of them survives.
    {caps: ['CAP_SYS_CHROOT'], kept: [0, 2, 3]},
    {caps: [...CONTAINERS_COMMON_DEFAULT_CAPS], kept: [0, 2, 3]},
  ]
  for (const c of cases) {
    it(`keeps rules ${c.kept.join(',')} for caps [${c.caps.join(',')}]`, async () => {
      const {decisions, profile} = explainResolution(await load('caps.json'), {
        arch: X86_64,
        caps: c.caps,
        kernel: '6.1',
      })
      assert.deepEqual(
        decisions.filter((d) => d.kept).map((d) => d.index),
        c.kept,
      )
      assert.equal(profile.syscalls?.length, c.kept.length)
    })
  }

  it('says which capability decided', async () => {
    const {decisions} = explainResolution(await load('caps.json'), {
      arch: X86_64,
      caps: ['CAP_SYS_ADMIN'],
      kernel: '6.1',
    })
    assert.equal(decisions[1]!.reason, 'includes caps: CAP_BPF is not in the bounding set')
    assert.equal(decisions[2]!.reason, 'excludes caps: CAP_SYS_ADMIN is in the bounding set')
  })
})

describe('resolveProfile: minKernel', () => {
  // min-kernel.json rules: 0 read | 1 ptrace ALLOW includes minKernel 4.8 | 2 ptrace ERRNO excludes minKernel 4.8
  // 3 io_uring_setup ALLOW includes {minKernel 5.1, caps [SYS_ADMIN]} | 4 uselib ALLOW excludes {minKernel 5.0.3, arches [arm64]}
  const cases: Array<{kernel: string; caps?: string[]; arch?: SeccompArch; kept: number[]}> = [
    {kernel: '4.4.0', kept: [0, 2, 4]},
    {kernel: '4.7.99', kept: [0, 2, 4]},
    // Exactly minKernel counts as reached (>=), suffixes after the version are ignored.
    {kernel: '4.8', kept: [0, 1, 4]},
    {kernel: '4.8.0-1-amd64', kept: [0, 1, 4]},
    {kernel: '5.0.2', kept: [0, 1, 4]},
    {kernel: '5.0.3', kept: [0, 1]},
    // includes: minKernel AND caps.
    {kernel: '5.1', kept: [0, 1]},
    {kernel: '5.0.9', caps: ['CAP_SYS_ADMIN'], kept: [0, 1]},
    {kernel: '5.1.0', caps: ['CAP_SYS_ADMIN'], kept: [0, 1, 3]},
    {kernel: '6.18.44-fc-v595', caps: ['CAP_SYS_ADMIN'], kept: [0, 1, 3]},
    // excludes: minKernel OR arches: an old kernel on arm64 still drops rule 4.
    {kernel: '4.4', arch: 'SCMP_ARCH_AARCH64', kept: [0, 2]},
  ]
  for (const c of cases) {
    it(`keeps rules ${c.kept.join(',')} on kernel ${c.kernel}${c.caps ? ` with ${c.caps.join(',')}` : ''}${c.arch ? ` on ${c.arch}` : ''}`, async () => {
      const {decisions} = explainResolution(await load('min-kernel.json'), {
        arch: c.arch ?? X86_64,
        caps: c.caps ?? [],
        kernel: c.kernel,
      })
      assert.deepEqual(
        decisions.filter((d) => d.kept).map((d) => d.index),
        c.kept,
      )
    })
  }
})

describe('resolveProfile: argument conditions and containers-common extensions', () => {
  it('keeps argument comparisons, turns errno names into numbers, drops comments and empty filters (default caps)', async () => {
    const resolved = resolveProfile(await load('arg-conditional.json'), {
      arch: X86_64,
      caps: CONTAINERS_COMMON_DEFAULT_CAPS,
      kernel: '6.1',
    })
    assert.deepEqual(resolved, {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 38,
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
      syscalls: [
        {names: ['read'], action: 'SCMP_ACT_ALLOW'},
        {
          names: ['personality'],
          action: 'SCMP_ACT_ALLOW',
          args: [{index: 0, value: 8n, valueTwo: 0n, op: 'SCMP_CMP_EQ'}],
        },
        {
          names: ['socket'],
          action: 'SCMP_ACT_ERRNO',
          errnoRet: 22,
          args: [
            {index: 0, value: 16n, valueTwo: 0n, op: 'SCMP_CMP_EQ'},
            {index: 2, value: 9n, valueTwo: 0n, op: 'SCMP_CMP_EQ'},
          ],
        },
        {names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{index: 0, value: 16n, op: 'SCMP_CMP_NE'}]},
        {names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{index: 0, value: 2114060288n, op: 'SCMP_CMP_MASKED_EQ'}]},
        {names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38},
      ],
    } satisfies SeccompProfile)
  })

  it('with CAP_AUDIT_WRITE and CAP_SYS_ADMIN the conditional rules give way to unconditional ones', async () => {
    const resolved = resolveProfile(await load('arg-conditional.json'), {
      arch: X86_64,
      caps: ['CAP_AUDIT_WRITE', 'CAP_SYS_ADMIN'],
      kernel: '6.1',
    })
    assert.deepEqual(resolved.syscalls, [
      {names: ['read'], action: 'SCMP_ACT_ALLOW'},
      {
        names: ['personality'],
        action: 'SCMP_ACT_ALLOW',
        args: [{index: 0, value: 8n, valueTwo: 0n, op: 'SCMP_CMP_EQ'}],
      },
      {names: ['socket'], action: 'SCMP_ACT_ALLOW'},
      {names: ['clone', 'clone3'], action: 'SCMP_ACT_ALLOW'},
    ])
  })

  it('produces a flat OCI profile that validates as such', async () => {
    for (const file of ['arch-map.json', 'caps.json', 'min-kernel.json', 'arg-conditional.json']) {
      const resolved = resolveProfile(await load(file), {arch: X86_64, caps: DOCKER_DEFAULT_CAPS, kernel: '6.1'})
      const check = checkProfileText(stringifyJson(resolved))
      assert.equal(check.valid, true, file)
      assert.equal(check.format, 'oci', file)
    }
  })

  it('leaves a flat profile as it is', async () => {
    const {profile} = await loadProfile(fixture('profiles', 'valid', 'recorded-busybox.json'))
    assert.deepEqual(resolveProfile(profile, {arch: 'SCMP_ARCH_AARCH64', caps: [], kernel: '3.10'}), profile)
  })

  it('refuses architectures together with archMap, as runtimes do', async () => {
    const profile = await load('both-architectures.json')
    assert.throws(
      () => resolveProfile(profile, {arch: X86_64, caps: [], kernel: '6.1'}),
      (e: unknown) => e instanceof UserError && /both 'architectures' and 'archMap'/.test(e.message),
    )
  })
})

describe('inputs of the resolver', () => {
  it('parses architectures in every spelling', () => {
    for (const [input, arch] of [
      ['x86_64', 'SCMP_ARCH_X86_64'],
      ['amd64', 'SCMP_ARCH_X86_64'],
      ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86_64'],
      ['scmp_arch_aarch64', 'SCMP_ARCH_AARCH64'],
      ['arm64', 'SCMP_ARCH_AARCH64'],
      ['i386', 'SCMP_ARCH_X86'],
      ['ppc64le', 'SCMP_ARCH_PPC64LE'],
      ['loongarch64', 'SCMP_ARCH_LOONGARCH64'],
    ] as const) {
      assert.equal(parseArch(input), arch, input)
    }
    assert.throws(() => parseArch('sparc64'), UserError)
    assert.equal(seccompArchName('SCMP_ARCH_X86_64'), 'amd64')
    assert.equal(seccompArchName('SCMP_ARCH_AARCH64'), 'arm64')
    assert.equal(nativeArch('x64'), 'SCMP_ARCH_X86_64')
    assert.equal(nativeArch('arm64'), 'SCMP_ARCH_AARCH64')
    assert.deepEqual(sortArches(['SCMP_ARCH_X32', 'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64']), [
      'SCMP_ARCH_X86_64',
      'SCMP_ARCH_X86',
      'SCMP_ARCH_X32',
    ])
  })

  it('parses kernel versions like uname -r prints them', () => {
    assert.deepEqual(parseKernelVersion('6.18.44-fc-v595'), {major: 6, minor: 18, patch: 44})
    assert.deepEqual(parseKernelVersion('4.8'), {major: 4, minor: 8, patch: 0})
    assert.equal(kernelAtLeast(parseKernelVersion('4.10'), '4.8'), true) // numeric, not string order
    assert.equal(kernelAtLeast(parseKernelVersion('4.7.10'), '4.8'), false)
    assert.throws(() => parseKernelVersion('six'), UserError)
  })

  it('parses and combines capabilities like --cap-add/--cap-drop', () => {
    assert.deepEqual(parseCapabilities(['sys_admin,CAP_NET_RAW', ' chown ']), [
      'CAP_CHOWN',
      'CAP_NET_RAW',
      'CAP_SYS_ADMIN',
    ])
    assert.deepEqual(parseCapabilities(['none']), [])
    assert.equal(parseCapabilities(['ALL']).length, 41)
    assert.throws(
      () => parseCapabilities(['SYS_ADMN']),
      (e: unknown) => e instanceof UserError && e.suggestions[0] === 'did you mean CAP_SYS_ADMIN?',
    )
    assert.deepEqual(capabilitySet(CONTAINERS_COMMON_DEFAULT_CAPS), [...CONTAINERS_COMMON_DEFAULT_CAPS].sort())
    assert.deepEqual(capabilitySet(DOCKER_DEFAULT_CAPS, {caps: ['chown,kill'], add: ['SYS_PTRACE'], drop: ['kill']}), [
      'CAP_CHOWN',
      'CAP_SYS_PTRACE',
    ])
    assert.deepEqual(capabilitySet(DOCKER_DEFAULT_CAPS, {drop: ['ALL'], add: ['NET_BIND_SERVICE']}), [
      'CAP_NET_BIND_SERVICE',
    ])
  })

  it('uses the documented default capability sets', () => {
    assert.equal(CONTAINERS_COMMON_DEFAULT_CAPS.length, 11)
    assert.equal(DOCKER_DEFAULT_CAPS.length, 14)
    // Docker's 14 are containers-common's 11 plus AUDIT_WRITE, MKNOD and NET_RAW.
    assert.deepEqual(
      DOCKER_DEFAULT_CAPS.filter((c) => !CONTAINERS_COMMON_DEFAULT_CAPS.includes(c)),
      ['CAP_AUDIT_WRITE', 'CAP_MKNOD', 'CAP_NET_RAW'],
    )
  })
})
