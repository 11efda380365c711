import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import fc from 'fast-check'
import {SECCOMP_ACTIONS, SECCOMP_OPERATORS, type SeccompProfile, type SeccompRule} from '../../src/profile/model.js'
import {loadProfile} from '../../src/profile/load.js'
import {normaliseProfile} from '../../src/profile/normalise.js'
import {stringifyJson} from '../../src/json/stringify.js'
import {REPO_ROOT} from '../helpers/cli.js'

const names = fc.constantFrom('read', 'write', 'openat', 'close', 'mmap', 'futex', 'clone', 'personality', 'socket')
const rule: fc.Arbitrary<SeccompRule> = fc.record(
  {
    names: fc.array(names, {minLength: 1, maxLength: 4}),
    action: fc.constantFrom(...SECCOMP_ACTIONS.filter((a) => a !== 'SCMP_ACT_NOTIFY')),
    errnoRet: fc.option(fc.integer({min: 0, max: 200}), {nil: undefined}),
    args: fc.option(
      fc.array(
        fc.record({
          index: fc.integer({min: 0, max: 5}),
          value: fc.oneof(fc.bigInt({min: 0n, max: 1n << 20n}), fc.bigInt({min: 0n, max: (1n << 64n) - 1n})),
          op: fc.constantFrom(...SECCOMP_OPERATORS),
        }),
        {maxLength: 3},
      ),
      {nil: undefined},
    ),
    comment: fc.option(fc.string(), {nil: undefined}),
  },
  {requiredKeys: ['names', 'action']},
)
export const profileArbitrary: fc.Arbitrary<SeccompProfile> = fc.record(
  {
    defaultAction: fc.constantFrom('SCMP_ACT_ERRNO', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_ALLOW'),
    defaultErrnoRet: fc.option(fc.integer({min: 0, max: 200}), {nil: undefined}),
    architectures: fc.option(
      fc.uniqueArray(fc.constantFrom('SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'), {minLength: 1}),
      {nil: undefined},
    ),
    syscalls: fc.array(rule, {maxLength: 8}),
  },
  {requiredKeys: ['defaultAction', 'syscalls']},
) as fc.Arbitrary<SeccompProfile>

describe('normaliseProfile', () => {
  it('is idempotent', () => {
    fc.assert(
      fc.property(profileArbitrary, (p) =>
        assert.deepEqual(normaliseProfile(normaliseProfile(p)), normaliseProfile(p)),
      ),
      {numRuns: 300},
    )
  })

  it('does not depend on the order of rules or names', () => {
    fc.assert(
      fc.property(profileArbitrary, fc.integer(), (p, seed) => {
        const shuffled = {
          ...p,
          syscalls: shuffle(
            [...(p.syscalls ?? [])].map((r) => ({...r, names: shuffle([...r.names], seed)})),
            seed,
          ),
        }
        assert.deepEqual(stringifyJson(normaliseProfile(shuffled)), stringifyJson(normaliseProfile(p)))
      }),
      {numRuns: 300},
    )
  })

  it('merges rules with equal conditions, sorts names and drops comments', () => {
    const normal = normaliseProfile({
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [
        {names: ['write', 'read'], action: 'SCMP_ACT_ALLOW', comment: 'io'},
        {names: ['close', 'read'], action: 'SCMP_ACT_ALLOW'},
        {names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{index: 0, value: 8n, op: 'SCMP_CMP_EQ'}]},
      ],
    })
    assert.deepEqual(normal.syscalls, [
      {names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{index: 0, value: 8n, op: 'SCMP_CMP_EQ'}]},
      {names: ['close', 'read', 'write'], action: 'SCMP_ACT_ALLOW'},
    ])
  })

  it('turns containers-common errno names into numbers', () => {
    const normal = normaliseProfile({
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrno: 'ENOSYS',
      syscalls: [{names: ['ptrace'], action: 'SCMP_ACT_ERRNO', errno: 'EPERM'}],
    })
    assert.equal(normal.defaultErrnoRet, 38)
    assert.deepEqual(normal.syscalls, [{names: ['ptrace'], action: 'SCMP_ACT_ERRNO', errnoRet: 1}])
  })

  it('keeps key order stable', async () => {
    const {profile} = await loadProfile(`${REPO_ROOT}/profiles/runtime-default/containers-common-seccomp.json`)
    const normal = normaliseProfile(profile)
    assert.deepEqual(Object.keys(normal), ['defaultAction', 'defaultErrnoRet', 'archMap', 'syscalls'])
    for (const r of normal.syscalls ?? []) assert.equal(Object.keys(r)[0], 'names')
  })
})

function shuffle<T>(items: T[], seed: number): T[] {
  let state = seed >>> 0 || 1
  for (let i = items.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) >>> 0
    const j = state % (i + 1)
    ;[items[i], items[j]] = [items[j]!, items[i]!]
  }
  return items
}
