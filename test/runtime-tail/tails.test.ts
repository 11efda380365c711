import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {runtimeTail, withRuntimeTail} from '../../src/runtime-tail/tails.js'
import {PACKAGE_ROOT} from '../../src/core/paths.js'

const data = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'profiles', 'runtime-tails.json'), 'utf8')) as {
  tails: Record<string, string[]>
  lateThreads: Record<string, string[]>
}
const union = (...lists: string[][]) => [...new Set(lists.flat())].sort()

describe('runtime tails', () => {
  it('both runtimes by default; the recording runtime only with own; both when that runtime is unknown', () => {
    assert.deepEqual(runtimeTail('both', 'runc'), union(data.tails.runc!, data.tails.crun!))
    assert.deepEqual(runtimeTail('own', 'crun'), union(data.tails.crun!))
    assert.deepEqual(runtimeTail('own', 'runc'), union(data.tails.runc!))
    assert.deepEqual(runtimeTail('own', 'youki'), runtimeTail('both', 'youki'))
    // The runtime name comes from the hook's parent process: a name like an Object property is just unknown.
    for (const odd of ['constructor', '__proto__', 'toString'])
      assert.deepEqual(runtimeTail('own', odd, true), runtimeTail('both', odd, true))
  })

  it('adds what runc threads started after the filter do only when asked, and only with runc in the tail', () => {
    assert.ok(data.lateThreads.runc!.includes('clone3') && data.lateThreads.runc!.includes('sigaltstack'))
    assert.deepEqual(
      runtimeTail('both', 'crun', true),
      union(data.tails.runc!, data.tails.crun!, data.lateThreads.runc!),
    )
    assert.deepEqual(runtimeTail('own', 'runc', true), union(data.tails.runc!, data.lateThreads.runc!))
    assert.deepEqual(runtimeTail('own', 'crun', true), runtimeTail('own', 'crun'))
    assert.ok(!runtimeTail('both', 'runc').includes('sigaltstack'), 'not by default')
  })

  it('adds the tail to the native ABI, sorted and without duplicates', () => {
    const set = withRuntimeTail({names: {x86_64: ['write', 'capset'], x86: ['read']}, unknown: []}, ['capset', 'close'])
    assert.deepEqual(set.names, {x86_64: ['capset', 'close', 'write'], x86: ['read']})
  })
})
