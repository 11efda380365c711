import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {
  argumentsAdd,
  argumentsProblem,
  compareTuples,
  overflowedSyscalls,
  unionArguments,
  unionRecordedArguments,
  type ArgumentsBySyscall,
} from '../../src/syscalls/arguments.js'
import {checkTargetArgs, type KernelTarget} from '../../src/kernel/native-helper.js'
import {KERNEL_ARGUMENT_CAPS} from '../../src/kernel/quotas.js'
import {REPO_ROOT} from '../helpers/cli.js'

const fixture = (name: string) => readFileSync(join(REPO_ROOT, 'fixtures', 'arguments', name), 'utf8')
const read = JSON.parse(fixture('helper-read.json')) as KernelTarget
const later = JSON.parse(fixture('helper-read-later.json')) as KernelTarget

describe('recorded argument values', () => {
  it("accepts the helper's args as printed", () => {
    assert.equal(argumentsProblem(read.args, '/args'), undefined)
    assert.equal(argumentsProblem(later.args, '/args'), undefined)
    assert.deepEqual(checkTargetArgs(read, 'reading'), read)
    assert.deepEqual(read.args!.socket!.values, [
      ['1', '2'],
      ['2', '1'],
      ['10', '1'],
    ])
  })

  it('orders tuples numerically, position by position (not as text)', () => {
    assert.ok(compareTuples(['9'], ['10']) < 0)
    assert.ok(compareTuples(['2', '1'], ['10', '0']) < 0)
    assert.ok(compareTuples(['18446744073709551614'], ['18446744073709551615']) < 0)
    assert.equal(compareTuples(['3', '4'], ['3', '4']), 0)
  })

  it('refuses every hostile args object, saying where', () => {
    const cases = JSON.parse(fixture('hostile-args.json')) as Record<string, unknown>
    assert.ok(Object.keys(cases).length >= 20)
    for (const [name, args] of Object.entries(cases)) {
      const problem = argumentsProblem(args, '/args')
      assert.ok(problem, `${name} was accepted`)
      assert.match(problem, /^\/args/, name)
    }
  })

  it('a read whose args do not fit the model fails; a remove keeps the syscalls and drops only the args', () => {
    const bad = {...read, args: {prctl: {positions: [{index: 0}], values: [['-1']]}}} as unknown as KernelTarget
    assert.throws(() => checkTargetArgs(bad, 'reading recording 1'), /do not fit the model/)
    const written: string[] = []
    const write = process.stderr.write
    process.stderr.write = ((chunk: string) => {
      written.push(chunk)
      return true
    }) as typeof process.stderr.write
    try {
      const kept = checkTargetArgs(bad, 'finishing recording 1', true)
      assert.equal(kept.args, undefined)
      assert.deepEqual(kept.syscalls, read.syscalls)
    } finally {
      process.stderr.write = write
    }
    assert.match(written.join(''), /dropped/)
  })

  it('unions values (sorted, unique), keeps overflow sticky, and tells what a snapshot adds', () => {
    const union = unionArguments(read.args, later.args)!
    assert.deepEqual(union.socket!.values, [
      ['1', '2'],
      ['2', '1'],
      ['2', '2'],
      ['10', '1'],
    ])
    assert.deepEqual(union.prctl, {positions: [{index: 0}], values: [['1'], ['3']], overflow: true})
    assert.equal(union.ioctl!.overflow, true)
    assert.deepEqual(union.setns, read.args!.setns)
    assert.equal(argumentsProblem(union, '/args'), undefined)
    assert.deepEqual(overflowedSyscalls(union), ['ioctl', 'prctl'])
    assert.equal(argumentsAdd(read.args, later.args), true)
    assert.equal(argumentsAdd(union, later.args), false)
    assert.equal(argumentsAdd(union, read.args), false)
    assert.equal(unionArguments(undefined, undefined), undefined)
    assert.deepEqual(unionArguments(undefined, read.args), read.args)
  })

  it('positions that disagree cannot be unioned: the syscall falls back to allowed by name (overflow)', () => {
    const a: ArgumentsBySyscall[string] = {positions: [{index: 0}], values: [['1']]}
    const b: ArgumentsBySyscall[string] = {positions: [{index: 1}], values: [['2']]}
    assert.equal(unionRecordedArguments(a, b).overflow, true)
  })

  it("the caps named to users are the kernel recorder's (bpf/recorder.h)", () => {
    const header = readFileSync(join(REPO_ROOT, 'bpf', 'recorder.h'), 'utf8')
    for (const [name, cap] of Object.entries(KERNEL_ARGUMENT_CAPS)) {
      const define = new RegExp(`#define SCR_ARG_CAP_${name.toUpperCase()} (\\d+)`).exec(header)
      assert.equal(Number(define?.[1]), cap, name)
    }
  })
})
