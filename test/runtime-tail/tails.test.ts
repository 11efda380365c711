import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {runtimeTail, withArgumentTail, withRuntimeTail} from '../../src/runtime-tail/tails.js'
import {PACKAGE_ROOT} from '../../src/core/paths.js'
import {argumentsProblem} from '../../src/syscalls/arguments.js'
import {syscallNames} from '../../src/syscalls/index.js'

const data = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'profiles', 'runtime-tails.json'), 'utf8')) as {
  tails: Record<string, string[]>
  lateThreads: Record<string, string[]>
  argumentTails: Record<string, Record<string, unknown>>
}
const union = (...lists: string[][]) => [...new Set(lists.flat())].sort()
/** A runtime's tail: the names it calls after the filter, with the curated syscalls whose values it passes then. */
const tailOf = (runtime: 'runc' | 'crun') => union(data.tails[runtime]!, Object.keys(data.argumentTails[runtime] ?? {}))

describe('runtime tails', () => {
  it('both runtimes by default; the recording runtime only with own; both when that runtime is unknown', () => {
    assert.deepEqual(runtimeTail('both', 'runc'), union(tailOf('runc'), tailOf('crun')))
    assert.deepEqual(runtimeTail('own', 'crun'), tailOf('crun'))
    assert.deepEqual(runtimeTail('own', 'runc'), tailOf('runc'))
    assert.deepEqual(runtimeTail('own', 'youki'), runtimeTail('both', 'youki'))
    // The runtime name comes from the hook's parent process: a name like an Object property is just unknown.
    for (const odd of ['constructor', '__proto__', 'toString'])
      assert.deepEqual(runtimeTail('own', odd, true), runtimeTail('both', odd, true))
  })

  it('adds what runc threads started after the filter do only when asked, and only with runc in the tail', () => {
    assert.ok(data.lateThreads.runc!.includes('clone3') && data.lateThreads.runc!.includes('sigaltstack'))
    assert.deepEqual(runtimeTail('both', 'crun', true), union(tailOf('runc'), tailOf('crun'), data.lateThreads.runc!))
    assert.deepEqual(runtimeTail('own', 'runc', true), union(tailOf('runc'), data.lateThreads.runc!))
    assert.deepEqual(runtimeTail('own', 'crun', true), runtimeTail('own', 'crun'))
    assert.ok(!runtimeTail('both', 'runc').includes('sigaltstack'), 'not by default')
  })

  it('adds the tail to the native ABI, sorted and without duplicates', () => {
    const set = withRuntimeTail({names: {x86_64: ['write', 'capset'], x86: ['read']}, unknown: []}, ['capset', 'close'])
    assert.deepEqual(set.names, {x86_64: ['capset', 'close', 'write'], x86: ['read']})
  })
})

describe('argument tails (issue 15)', () => {
  const prctl = (values: string[]) => ({positions: [{index: 0}], values: values.map((v) => [v])})

  it("adds runc's prctl options after the filter to recorded values, and prctl to the tail's names", () => {
    const withTail = withArgumentTail({prctl: prctl(['4'])}, 'both', 'podman')
    assert.deepEqual(withTail?.prctl?.values, [['4'], ['8'], ['24'], ['47']])
    assert.ok(runtimeTail('both', 'podman').includes('prctl'))
    assert.ok(runtimeTail('own', 'runc').includes('prctl'))
  })

  it("adds only the recording runtime's values with own, and nothing where the kernel recorded no values", () => {
    const crunValues = (data.argumentTails.crun?.prctl as {values: string[][]} | undefined)?.values ?? []
    const expected = [['4'], ...crunValues].sort((a, b) => Number(a[0]) - Number(b[0]))
    assert.deepEqual(withArgumentTail({prctl: prctl(['4'])}, 'own', 'crun')?.prctl?.values, expected)
    assert.equal(withArgumentTail(undefined, 'both', 'runc'), undefined)
  })
})

describe('profiles/runtime-tails.json (written by npm run measure:tails)', () => {
  const known = new Set(syscallNames('x86_64'))
  const runtimes = Object.keys(data.tails).sort()

  it('has a name tail per runtime, of known x86_64 syscalls, sorted and unique', () => {
    assert.deepEqual(runtimes, ['crun', 'runc'])
    for (const runtime of runtimes) {
      const names = data.tails[runtime]!
      assert.ok(names.length > 0, runtime)
      assert.deepEqual(names, [...new Set(names)].sort(), runtime)
      for (const name of names) assert.ok(known.has(name), `${runtime}: ${name}`)
    }
    for (const names of Object.values(data.lateThreads)) for (const name of names) assert.ok(known.has(name), name)
  })

  it('has argument tails only for runtimes with a name tail, each in the recorded-arguments model', () => {
    for (const [runtime, args] of Object.entries(data.argumentTails)) {
      assert.ok(runtimes.includes(runtime), runtime)
      assert.equal(argumentsProblem(args, `/argumentTails/${runtime}`), undefined)
      for (const name of Object.keys(args)) assert.ok(known.has(name), `${runtime}: ${name}`)
    }
  })

  it("keeps the prctl options both runtimes pass while dropping capabilities (the CRI seed scenario's hang)", () => {
    for (const runtime of runtimes)
      for (const option of ['8', '24', '47'])
        assert.ok(
          withArgumentTail({}, 'own', runtime)?.prctl?.values.some((t) => t[0] === option),
          `${runtime} prctl ${option}`,
        )
  })
})
