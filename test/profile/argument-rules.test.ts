import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {
  ArgumentUnion,
  MAX_VALUES_PER_PROFILE,
  MAX_VALUES_PER_SYSCALL,
  type ArgumentValues,
} from '../../src/profile/argument-rules.js'
import {profileFromSyscalls} from '../../src/profile/from-syscalls.js'
import {normaliseProfile} from '../../src/profile/normalise.js'
import {syscallVerdict} from '../../src/profile/semantics.js'
import {checkProfileText} from '../../src/profile/load.js'
import {formatProfileJson} from '../../src/profile/normalise.js'
import {NAMESPACE_MASK, SOCKET_TYPE_MASK} from '../../src/syscalls/arg-names.js'

const AF_UNIX = '1'
const AF_INET = '2'
const SOCK_STREAM = '1'
const SOCK_DGRAM = '2'
const socket = (...tuples: string[][]): ArgumentValues => ({
  positions: [{index: 0}, {index: 1, mask: String(SOCKET_TYPE_MASK)}],
  values: tuples,
})
const clone = (...flags: string[]): ArgumentValues => ({
  positions: [{index: 0, mask: String(NAMESPACE_MASK)}],
  values: flags.map((f) => [f]),
})
const one = (index: number, ...values: string[]): ArgumentValues => ({
  positions: [{index}],
  values: values.map((v) => [v]),
})

function plan(...recordings: Array<{names: string[]; x86?: string[]; args?: Record<string, ArgumentValues>}>) {
  const union = new ArgumentUnion()
  for (const r of recordings) union.add({x86_64: r.names, ...(r.x86 ? {x86: r.x86} : {})}, r.args)
  return union.plan()
}

function build(names: string[], args: Record<string, ArgumentValues>) {
  return normaliseProfile(profileFromSyscalls({names: {x86_64: names}, unknown: []}, {arguments: plan({names, args})}))
}

describe('argument rules from recorded values', () => {
  it('allow socket only with the families and types seen, one SCMP_CMP_EQ / MASKED_EQ rule per tuple', () => {
    const profile = build(['read', 'socket'], {socket: socket([AF_UNIX, SOCK_STREAM], [AF_INET, SOCK_DGRAM])})
    const rules = profile.syscalls!.filter((r) => r.names.includes('socket'))
    assert.equal(rules.length, 2)
    assert.deepEqual(rules[0]!.args, [
      {index: 0, value: 1n, op: 'SCMP_CMP_EQ'},
      {index: 1, value: SOCKET_TYPE_MASK, valueTwo: 1n, op: 'SCMP_CMP_MASKED_EQ'},
    ])
    const allow = profile.syscalls!.find((r) => r.args === undefined && r.action === 'SCMP_ACT_ALLOW')!
    assert.deepEqual(allow.names, ['read']) // not allowed by name
    const v = syscallVerdict(profile, 'socket')
    assert.equal(v.allowance, 'conditional')
    assert.deepEqual(v.values, ['AF_UNIX (SOCK_STREAM)', 'AF_INET (SOCK_DGRAM)'])
    assert.equal(checkProfileText(formatProfileJson(profile)).valid, true)
  })

  it('give clone a masked rule on the namespace flags and clone3 ENOSYS; clone3 seen adds "no namespace flags"', () => {
    const profile = build(['clone', 'clone3', 'read'], {clone: clone('268435456')}) // CLONE_NEWUSER only
    const v = syscallVerdict(profile, 'clone')
    assert.deepEqual(v.values, ['no namespace flags', 'CLONE_NEWUSER'])
    assert.deepEqual(v.conditional[0]!.args, [
      {index: 0, value: NAMESPACE_MASK, valueTwo: 0n, op: 'SCMP_CMP_MASKED_EQ'},
    ])
    const clone3 = syscallVerdict(profile, 'clone3')
    assert.deepEqual([clone3.allowance, clone3.base.action, clone3.base.errnoRet], ['denied', 'SCMP_ACT_ERRNO', 38])
    const noClone3 = build(['clone', 'read'], {clone: clone('0')})
    assert.deepEqual(syscallVerdict(noClone3, 'clone').values, ['no namespace flags'])
    assert.equal(syscallVerdict(noClone3, 'clone3').base.errnoRet, 38)
  })

  it('name personality, prctl, ioctl, unshare and setns values', () => {
    const profile = build(['ioctl', 'personality', 'prctl', 'setns', 'unshare'], {
      personality: one(0, '8', '4294967295'),
      prctl: one(0, '15', '38'),
      ioctl: one(1, '21505', '21523', '3735928559'),
      unshare: one(0, '0'),
      setns: one(1, '0', '1073741824'),
    })
    assert.deepEqual(syscallVerdict(profile, 'personality').values, ['PER_LINUX32', 'query (0xffffffff)'])
    assert.deepEqual(syscallVerdict(profile, 'prctl').values, ['PR_SET_NAME', 'PR_SET_NO_NEW_PRIVS'])
    assert.deepEqual(syscallVerdict(profile, 'ioctl').values, ['TCGETS', 'TIOCGWINSZ', '0xdeadbeef'])
    assert.deepEqual(syscallVerdict(profile, 'unshare').values, ['no flags'])
    assert.deepEqual(syscallVerdict(profile, 'setns').values, ['any namespace type', 'CLONE_NEWNET'])
  })

  it('union values across recordings and count them per recording', () => {
    const p = plan(
      {names: ['socket'], args: {socket: socket([AF_UNIX, SOCK_STREAM])}},
      {names: ['socket'], args: {socket: socket([AF_UNIX, SOCK_STREAM], [AF_INET, SOCK_STREAM])}},
    )
    const socketPlan = p.restricted.get('socket')!
    assert.deepEqual(socketPlan.tuples, [
      [1n, 1n],
      [2n, 1n],
    ])
    assert.deepEqual(socketPlan.recordings, [2, 1])
    assert.deepEqual(p.byName, [])
  })

  it('fall back to the name, with the reason, where restricting is not safe', () => {
    const p = plan(
      {names: ['ioctl', 'prctl', 'socket', 'unshare'], x86: ['unshare'], args: {
        ioctl: {...one(1, '1'), overflow: true},
        prctl: one(0, '15'),
        socket: socket([AF_UNIX, SOCK_STREAM]),
        unshare: one(0, '0'),
      }}, // prettier-ignore
      {names: ['prctl', 'socket'], args: {socket: {positions: [{index: 0}], values: [[AF_UNIX]]}}}, // no prctl values; other positions
    )
    assert.deepEqual(
      p.byName.map((b) => [b.name, b.reason, b.recordings]),
      [
        ['ioctl', 'overflow', 1],
        ['prctl', 'not-in-every-recording', 0],
        ['socket', 'positions-differ', 0],
        ['unshare', 'other-abi', 0],
      ],
    )
    assert.equal(p.restricted.size, 0)
    const profile = normaliseProfile(
      profileFromSyscalls(
        {names: {x86_64: ['ioctl', 'prctl', 'socket', 'unshare'], x86: ['unshare']}, unknown: []},
        {arguments: p},
      ),
    )
    for (const name of ['ioctl', 'prctl', 'socket', 'unshare'])
      assert.equal(syscallVerdict(profile, name).allowance, 'allowed')
  })
})

describe('hostile argument values', () => {
  it('refuse positions the syscall does not have, and masks of 0, by allowing by name', () => {
    const p = plan({
      names: ['personality', 'socket'],
      args: {personality: one(3, '8'), socket: {positions: [{index: 0, mask: '0'}], values: [['0']]}},
    })
    assert.deepEqual(p.byName.map((b) => [b.name, b.reason]), [['personality', 'bad-position'], ['socket', 'bad-position']]) // prettier-ignore
  })

  it('mask off bits outside the mask (never a rule that cannot match what was recorded)', () => {
    const p = plan({names: ['clone'], args: {clone: clone(String(0x10000000n | 0x11n))}})
    assert.deepEqual(p.restricted.get('clone')!.tuples, [[0x10000000n]])
  })

  it('go by name beyond the bounds: per syscall and per profile', () => {
    const many = Array.from({length: MAX_VALUES_PER_SYSCALL + 1}, (_, i) => String(i))
    const huge = Array.from({length: 100_000}, (_, i) => String(i))
    const p = plan({names: ['ioctl', 'prctl'], args: {ioctl: one(1, ...huge), prctl: one(0, ...many)}})
    assert.deepEqual(p.byName.map((b) => [b.name, b.reason]), [['ioctl', 'too-many-values'], ['prctl', 'too-many-values']]) // prettier-ignore
    const fit = Array.from({length: MAX_VALUES_PER_SYSCALL}, (_, i) => String(i))
    const names = ['ioctl', 'personality', 'prctl', 'setns', 'socket']
    const q = plan({
      names,
      args: {
        ioctl: one(1, ...fit),
        personality: one(0, ...fit),
        prctl: one(0, ...fit),
        setns: one(1, ...fit),
        socket: one(0, ...fit),
      },
    })
    const total = [...q.restricted.values()].reduce((n, r) => n + r.tuples.length, 0)
    assert.ok(total <= MAX_VALUES_PER_PROFILE)
    assert.equal(q.byName.length, 1)
  })

  it('ignore tuples of the wrong length and values for syscalls not seen natively; keep u64 values exact', () => {
    const p = plan({
      names: ['ioctl'],
      args: {ioctl: {positions: [{index: 1}], values: [['1', '2'], ['18446744073709551615']]}, socket: one(0, '1')},
    })
    assert.deepEqual(p.restricted.get('ioctl')!.tuples, [[18446744073709551615n]])
    assert.equal(p.restricted.has('socket'), false)
  })

  it('are deterministic: the same recordings in any order give the same profile', () => {
    const a = {names: ['socket'], args: {socket: socket([AF_INET, SOCK_STREAM])}}
    const b = {names: ['socket'], args: {socket: socket([AF_UNIX, SOCK_DGRAM], [AF_INET, SOCK_DGRAM])}}
    const text = (p: ReturnType<typeof plan>) =>
      formatProfileJson(
        normaliseProfile(profileFromSyscalls({names: {x86_64: ['socket']}, unknown: []}, {arguments: p})),
      )
    assert.equal(text(plan(a, b)), text(plan(b, a)))
  })
})
