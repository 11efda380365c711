import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {statSync} from 'node:fs'
import {describe, it} from 'node:test'
import {mountNamespaceIds, ProcNamespaceProbe, scanMountNamespaces} from '../../src/gc/liveness.js'

const ownInode = statSync('/proc/self/ns/mnt').ino

describe('mount-namespace liveness', () => {
  it('finds this process in its own mount namespace', () => {
    assert.ok(scanMountNamespaces().get(ownInode)?.includes(process.pid))
  })

  it('reads the ns id of a process (NS_GET_MNTNS_ID through the native helper), from the same open file as the inode', async () => {
    const ids = await mountNamespaceIds([process.pid])
    const own = ids?.get(process.pid)
    assert.equal(own?.ino, ownInode)
    // Linux ≥ 6.8 has ns ids; older kernels leave it out (unknown).
    if (own?.nsId !== undefined) assert.ok(own.nsId > 0)
  })

  it('a namespace no process has is dead; ours is alive; ours under another ns id is a reused number, dead', async () => {
    const probe = new ProcNamespaceProbe()
    assert.equal((await probe.check({mntns: 1, ns_id: 5})).alive, false)
    const own = (await mountNamespaceIds([process.pid]))?.get(process.pid)
    assert.equal((await probe.check({mntns: ownInode, ns_id: own?.nsId})).alive, true)
    if (own?.nsId !== undefined) {
      const reused = await probe.check({mntns: ownInode, ns_id: own.nsId + 1_000_000})
      assert.equal(reused.alive, false)
      assert.match(reused.why, /now belongs to namespace/)
    }
    // Without an ns id a used number must be taken for alive.
    assert.equal((await probe.check({mntns: ownInode})).alive, true)
  })

  it(
    'a namespace stays alive while a child process is in it, and is dead once it exits',
    {skip: process.getuid?.() !== 0 && 'needs root (unshare -m)'},
    async () => {
      const child = spawn('unshare', ['--mount', '--propagation', 'private', 'sleep', '30'], {stdio: 'ignore'})
      try {
        let inode: number | undefined
        for (let i = 0; i < 100 && inode === undefined; i++) {
          await new Promise((r) => setTimeout(r, 20))
          const ino = statSync(`/proc/${child.pid}/ns/mnt`).ino
          if (ino !== ownInode) inode = ino
        }
        assert.ok(inode, 'unshare did not make a namespace')
        const nsId = (await mountNamespaceIds([child.pid!]))?.get(child.pid!)?.nsId
        assert.equal((await new ProcNamespaceProbe().check({mntns: inode, ns_id: nsId})).alive, true)
        child.kill('SIGKILL')
        await new Promise((r) => child.on('exit', r))
        assert.equal((await new ProcNamespaceProbe().check({mntns: inode, ns_id: nsId})).alive, false)
      } finally {
        child.kill('SIGKILL')
      }
    },
  )
})
