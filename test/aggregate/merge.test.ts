import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import fc from 'fast-check'
import {mergeProfiles, MergeConflictError, supersetFindings} from '../../src/aggregate/merge.js'
import {ACTION_ORDER} from '../../src/profile/semantics.js'
import {checkProfileText} from '../../src/profile/load.js'
import type {SeccompAction, SeccompArg, SeccompProfile, SeccompRule} from '../../src/profile/model.js'
import {formatProfileJson, normaliseProfile} from '../../src/profile/normalise.js'

const NAMES = ['read', 'write', 'openat', 'close', 'ptrace', 'personality', 'clone3', 'mount'] as const
const ACTIONS: SeccompAction[] = [
  'SCMP_ACT_ALLOW',
  'SCMP_ACT_LOG',
  'SCMP_ACT_TRACE',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_KILL_THREAD',
  'SCMP_ACT_KILL',
  'SCMP_ACT_KILL_PROCESS',
]
/** A small pool so that different profiles share conditions. */
const ARGS: SeccompArg[][] = [
  [{index: 0, value: 8n, op: 'SCMP_CMP_EQ'}],
  [{index: 0, value: 0n, op: 'SCMP_CMP_EQ'}],
  [{index: 1, value: 0x7e020000n, valueTwo: 0n, op: 'SCMP_CMP_MASKED_EQ'}],
]

const errno = fc.option(fc.constantFrom(1, 38, 13), {nil: undefined})
const rule: fc.Arbitrary<SeccompRule> = fc
  .record({
    names: fc.uniqueArray(fc.constantFrom(...NAMES), {minLength: 1, maxLength: 3}),
    action: fc.constantFrom(...ACTIONS),
    errnoRet: errno,
    args: fc.option(fc.constantFrom(...ARGS), {nil: undefined, freq: 3}),
    comment: fc.option(fc.constant('c'), {nil: undefined}),
  })
  .map((r) => {
    const out: SeccompRule = {names: r.names, action: r.action}
    if (r.errnoRet !== undefined && (r.action === 'SCMP_ACT_ERRNO' || r.action === 'SCMP_ACT_TRACE'))
      out.errnoRet = r.errnoRet
    if (r.args) out.args = r.args
    if (r.comment) out.comment = r.comment
    return out
  })
const profile: fc.Arbitrary<SeccompProfile> = fc
  .record({
    defaultAction: fc.constantFrom<SeccompAction>(
      'SCMP_ACT_ERRNO',
      'SCMP_ACT_KILL_PROCESS',
      'SCMP_ACT_ALLOW',
      'SCMP_ACT_LOG',
      'SCMP_ACT_TRAP',
    ),
    defaultErrnoRet: errno,
    architectures: fc.option(
      fc.uniqueArray(fc.constantFrom('SCMP_ARCH_X86_64' as const, 'SCMP_ARCH_X86' as const, 'SCMP_ARCH_X32' as const), {
        minLength: 1,
      }),
      {nil: undefined},
    ),
    flags: fc.option(
      fc.uniqueArray(fc.constantFrom('SECCOMP_FILTER_FLAG_LOG' as const, 'SECCOMP_FILTER_FLAG_SPEC_ALLOW' as const), {
        minLength: 1,
      }),
      {nil: undefined},
    ),
    syscalls: fc.array(rule, {maxLength: 6}),
  })
  .map((p) => {
    const out: SeccompProfile = {defaultAction: p.defaultAction, syscalls: p.syscalls}
    if (p.defaultErrnoRet !== undefined && p.defaultAction === 'SCMP_ACT_ERRNO') out.defaultErrnoRet = p.defaultErrnoRet
    if (p.architectures) out.architectures = p.architectures
    if (p.flags) out.flags = p.flags
    return out
  })

/** An evaluator written apart from merge.ts: what a profile does with an unconditional call of `name`, as [rank, errno]. */
const ORDER: SeccompAction[] = [
  'SCMP_ACT_KILL_PROCESS',
  'SCMP_ACT_KILL',
  'SCMP_ACT_KILL_THREAD',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE',
  'SCMP_ACT_NOTIFY',
  'SCMP_ACT_LOG',
  'SCMP_ACT_ALLOW',
]
function effect(p: SeccompProfile, name: string): [number, number] {
  const value = (action: SeccompAction, e: number | undefined): [number, number] => [
    ORDER.indexOf(action),
    action === 'SCMP_ACT_ERRNO' || action === 'SCMP_ACT_TRACE' ? (e ?? 1) : 0,
  ]
  const listed = (p.syscalls ?? [])
    .filter((r) => r.names.includes(name) && !r.args?.length)
    .map((r) => value(r.action, r.errnoRet))
  if (listed.length === 0) return value(p.defaultAction, p.defaultErrnoRet)
  return listed.reduce((a, b) => (a[0] > b[0] || (a[0] === b[0] && a[1] >= b[1]) ? a : b))
}
const most = (a: [number, number], b: [number, number]): [number, number] =>
  a[0] > b[0] || (a[0] === b[0] && a[1] >= b[1]) ? a : b

const same = (a: SeccompProfile, b: SeccompProfile) => assert.equal(formatProfileJson(a), formatProfileJson(b))
const runs = {numRuns: 400}

describe('mergeProfiles: algebra', () => {
  it('is commutative', () => {
    fc.assert(
      fc.property(profile, profile, (a, b) => same(mergeProfiles([a, b]), mergeProfiles([b, a]))),
      runs,
    )
  })

  it('is associative', () => {
    fc.assert(
      fc.property(profile, profile, profile, (a, b, c) => {
        const left = mergeProfiles([mergeProfiles([a, b]), c])
        same(left, mergeProfiles([a, mergeProfiles([b, c])]))
        same(left, mergeProfiles([a, b, c]))
      }),
      runs,
    )
  })

  it('is idempotent, and merging one profile gives its canonical form', () => {
    fc.assert(
      fc.property(profile, profile, (a, b) => {
        same(mergeProfiles([a, a]), mergeProfiles([a]))
        same(mergeProfiles([mergeProfiles([a])]), mergeProfiles([a]))
        const ab = mergeProfiles([a, b])
        same(mergeProfiles([ab, b]), ab)
        same(normaliseProfile(ab), ab)
      }),
      runs,
    )
  })

  it('lets the least restrictive action win for every syscall, defaults included', () => {
    fc.assert(
      fc.property(fc.array(profile, {minLength: 1, maxLength: 4}), (profiles) => {
        const merged = mergeProfiles(profiles)
        for (const name of [...NAMES, 'not_listed_anywhere']) {
          assert.deepEqual(effect(merged, name), profiles.map((p) => effect(p, name)).reduce(most), name)
        }
      }),
      runs,
    )
  })

  it('writes valid profiles', () => {
    fc.assert(
      fc.property(profile, profile, (a, b) => {
        const check = checkProfileText(formatProfileJson(mergeProfiles([a, b])))
        assert.ok(check.valid, JSON.stringify(check.errors))
      }),
      {numRuns: 100},
    )
  })
})

describe('mergeProfiles: cases', () => {
  it('documents its order', () => {
    assert.deepEqual(ACTION_ORDER, [
      'SCMP_ACT_ALLOW',
      'SCMP_ACT_LOG',
      'SCMP_ACT_NOTIFY',
      'SCMP_ACT_TRACE',
      'SCMP_ACT_ERRNO',
      'SCMP_ACT_TRAP',
      'SCMP_ACT_KILL_THREAD',
      'SCMP_ACT_KILL',
      'SCMP_ACT_KILL_PROCESS',
    ])
  })

  it('unions two recorded allow-lists', () => {
    const a: SeccompProfile = {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1,
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [{names: ['read', 'write'], action: 'SCMP_ACT_ALLOW'}],
    }
    const b: SeccompProfile = {
      defaultAction: 'SCMP_ACT_ERRNO',
      architectures: ['SCMP_ARCH_X86'],
      syscalls: [{names: ['close', 'read'], action: 'SCMP_ACT_ALLOW'}],
    }
    assert.deepEqual(mergeProfiles([a, b]), {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1,
      architectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X86_64'],
      syscalls: [{names: ['close', 'read', 'write'], action: 'SCMP_ACT_ALLOW'}],
    })
  })

  it('keeps a syscall allowed when one profile allows it by default', () => {
    const denyList: SeccompProfile = {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{names: ['ptrace', 'mount'], action: 'SCMP_ACT_ERRNO'}],
    }
    const allowAll: SeccompProfile = {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{names: ['mount'], action: 'SCMP_ACT_KILL_PROCESS'}],
    }
    // ptrace: denied by the first, allowed by default in the second → allowed. mount: ERRNO beats KILL_PROCESS.
    assert.deepEqual(mergeProfiles([denyList, allowAll]), {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{names: ['mount'], action: 'SCMP_ACT_ERRNO', errnoRet: 1}],
    })
  })

  it('prefers the higher errno (ENOSYS over EPERM) and keeps conditional rules that differ', () => {
    const recorded: SeccompProfile = {
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [{names: ['read'], action: 'SCMP_ACT_ALLOW'}],
    }
    const runtime: SeccompProfile = {
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [
        {names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38},
        {names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{index: 0, value: 8n, op: 'SCMP_CMP_EQ'}]},
        {names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{index: 0, value: 0n, op: 'SCMP_CMP_EQ'}]},
      ],
    }
    assert.deepEqual(mergeProfiles([recorded, runtime]), {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1,
      syscalls: [
        {names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{index: 0, value: 8n, op: 'SCMP_CMP_EQ'}]},
        {names: ['read'], action: 'SCMP_ACT_ALLOW'},
        {names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38},
      ],
    })
  })

  it('keeps docker-format conditions and archMap as they are', () => {
    const docker: SeccompProfile = {
      defaultAction: 'SCMP_ACT_ERRNO',
      archMap: [{architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86']}],
      syscalls: [{names: ['ptrace'], action: 'SCMP_ACT_ALLOW', includes: {minKernel: '4.8'}}],
    }
    const merged = mergeProfiles([
      docker,
      {defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{names: ['read'], action: 'SCMP_ACT_ALLOW'}]},
    ])
    assert.deepEqual(merged.archMap, [{architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86']}])
    assert.deepEqual(merged.syscalls, [
      {names: ['ptrace'], action: 'SCMP_ACT_ALLOW', includes: {minKernel: '4.8'}},
      {names: ['read'], action: 'SCMP_ACT_ALLOW'},
    ])
  })

  it('refuses listener settings that disagree', () => {
    const a: SeccompProfile = {
      defaultAction: 'SCMP_ACT_ERRNO',
      listenerPath: '/run/a.sock',
      syscalls: [{names: ['mount'], action: 'SCMP_ACT_NOTIFY'}],
    }
    const b: SeccompProfile = {...a, listenerPath: '/run/b.sock'}
    assert.throws(
      () => mergeProfiles([a, b]),
      (e: unknown) => e instanceof MergeConflictError && /listenerPath/.test(e.message),
    )
    assert.equal(mergeProfiles([a, {defaultAction: 'SCMP_ACT_ERRNO'}]).listenerPath, '/run/a.sock')
  })
})

describe('supersetFindings', () => {
  it('is empty exactly when the merge equals the first profile', () => {
    fc.assert(
      fc.property(profile, profile, (a, b) => {
        const findings = supersetFindings(a, [b])
        const mergedIsFirst = formatProfileJson(mergeProfiles([a, b])) === formatProfileJson(mergeProfiles([a]))
        const archesAndFlagsCovered = findings.every((f) => f.kind === 'default' || f.kind === 'syscall')
        assert.equal(findings.length === 0, mergedIsFirst && archesAndFlagsCovered)
        // The merge itself always covers its inputs.
        assert.deepEqual(supersetFindings(mergeProfiles([a, b]), [a, b]), [])
      }),
      runs,
    )
  })

  it('says what the others add and who adds it', () => {
    const reviewed: SeccompProfile = {
      defaultAction: 'SCMP_ACT_ERRNO',
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [{names: ['read', 'write'], action: 'SCMP_ACT_ALLOW'}],
    }
    const recorded: SeccompProfile = {
      defaultAction: 'SCMP_ACT_ERRNO',
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],
      syscalls: [{names: ['read', 'openat'], action: 'SCMP_ACT_ALLOW'}],
    }
    const other: SeccompProfile = {
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [{names: ['openat'], action: 'SCMP_ACT_ALLOW'}],
    }
    assert.deepEqual(supersetFindings(reviewed, [recorded, other]), [
      {
        kind: 'syscall',
        subject: 'openat',
        conditions: [],
        first: 'SCMP_ACT_ERRNO(1)',
        merged: 'SCMP_ACT_ALLOW',
        from: [2, 3],
      },
      {kind: 'architecture', subject: 'SCMP_ARCH_X86', conditions: [], first: null, merged: null, from: [2]},
    ])
    assert.deepEqual(supersetFindings(recorded, [reviewed]), [
      {
        kind: 'syscall',
        subject: 'write',
        conditions: [],
        first: 'SCMP_ACT_ERRNO(1)',
        merged: 'SCMP_ACT_ALLOW',
        from: [2],
      },
    ])
  })
})
