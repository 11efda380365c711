import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {describeNamespace, sameNamespace} from '../../src/spool/namespace.js'

describe('spool namespace ownership', () => {
  it('lets the ns_id decide when both sides know it', () => {
    assert.equal(sameNamespace({mntns: 1, ns_id: 10}, {mntns: 1, ns_id: 10}), true)
    assert.equal(sameNamespace({mntns: 1, ns_id: 10}, {mntns: 1, ns_id: 11}), false, 'a reused inode number')
    assert.equal(
      sameNamespace({mntns: 0, ns_id: 10}, {mntns: 5, ns_id: 10}),
      true,
      'an orphan file names only its ns_id',
    )
    assert.equal(
      sameNamespace({mntns: 1, ns_id: 10}, {mntns: 2, ns_id: 10}),
      false,
      'known inode numbers must agree too',
    )
  })

  it('falls back to the inode number when either side has no ns_id', () => {
    assert.equal(sameNamespace({mntns: 1}, {mntns: 1, ns_id: 10}), true)
    assert.equal(sameNamespace({mntns: 1, ns_id: 10}, {mntns: 1, ns_id: 0}), true)
    assert.equal(sameNamespace({mntns: 1, ns_id: 0}, {mntns: 2, ns_id: 0}), false)
    assert.equal(
      sameNamespace({mntns: 0, ns_id: 10}, {mntns: 7, ns_id: 0}),
      false,
      'an ns_id-only reference never matches by number',
    )
  })

  it('names a namespace the way messages and gc report it', () => {
    assert.equal(describeNamespace({mntns: 4026532001, ns_id: 42}), 'mount namespace 4026532001 (ns_id 42)')
    assert.equal(describeNamespace({mntns: 4026532001}), 'mount namespace 4026532001')
  })
})
