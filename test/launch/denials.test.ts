import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {parseSeccompAuditRecord} from '../../src/launch/denials.js'

describe('parseSeccompAuditRecord', () => {
  it('names a denied x86_64 syscall', () => {
    const d = parseSeccompAuditRecord(
      'audit: type=1326 audit(1700000000.123:42): auid=4294967295 uid=0 gid=0 ses=4294967295 subj=unconfined pid=4242 comm="busybox" exe="/bin/busybox" sig=0 arch=c000003e syscall=63 compat=0 ip=0x4b1a2c code=0x50000',
    )
    assert.deepEqual(d, {pid: 4242, comm: 'busybox', abi: 'x86_64', nr: 63, name: 'uname'})
  })

  it('tells x32 and ia32 apart', () => {
    assert.equal(
      parseSeccompAuditRecord(`type=1326 pid=1 comm="a" arch=c000003e syscall=${0x40000000 + 520}`)?.name,
      'execve',
    )
    assert.equal(parseSeccompAuditRecord('type=1326 pid=1 comm="a" arch=40000003 syscall=122')?.name, 'uname')
  })

  it('ignores other records', () => {
    assert.equal(parseSeccompAuditRecord('audit: type=1400 apparmor="DENIED"'), undefined)
    assert.equal(parseSeccompAuditRecord('eth0: link up'), undefined)
  })
})
