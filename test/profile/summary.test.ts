import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {describe, it} from 'node:test'
import {loadProfile} from '../../src/profile/load.js'
import {summariseProfile} from '../../src/profile/summary.js'
import {fixture, REPO_ROOT} from '../helpers/cli.js'

describe('summariseProfile', () => {
  it('counts a recorded profile', async () => {
    const {profile} = await loadProfile(fixture('profiles', 'valid', 'recorded-busybox.json'))
    const s = summariseProfile(profile)
    assert.equal(s.format, 'oci')
    assert.equal(s.defaultAction, 'SCMP_ACT_ERRNO')
    assert.equal(s.defaultErrnoRet, 1)
    assert.equal(s.allowed.length, 13)
    assert.deepEqual(s.denied, [])
    assert.deepEqual(
      s.conditional.map((c) => [c.names, c.conditions]),
      [
        [['clone'], ['clone_flags & 0x7e020000 == no namespace flags']],
        [['personality'], ['personality == PER_LINUX32']],
      ],
    )
  })

  it('counts the unconditional allows of containers-common like an independent count of the JSON', async () => {
    const path = `${REPO_ROOT}/profiles/runtime-default/containers-common-seccomp.json`
    const raw = JSON.parse(readFileSync(path, 'utf8')) as {
      syscalls: Array<{names: string[]; action: string; args?: unknown[] | null; includes?: object; excludes?: object}>
    }
    const independent = new Set<string>()
    for (const r of raw.syscalls) {
      const conditional =
        (r.args?.length ?? 0) > 0 ||
        Object.keys(r.includes ?? {}).length > 0 ||
        Object.keys(r.excludes ?? {}).length > 0
      if (r.action === 'SCMP_ACT_ALLOW' && !conditional) for (const n of r.names) independent.add(n)
    }
    const {profile} = await loadProfile(path)
    assert.deepEqual(summariseProfile(profile).allowed, [...independent].sort())
  })
})
