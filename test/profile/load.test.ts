import assert from 'node:assert/strict'
import {readdirSync, readFileSync} from 'node:fs'
import {describe, it} from 'node:test'
import {checkProfileFile, checkProfileText, loadProfile, ProfileReadError} from '../../src/profile/load.js'
import {fixture, REPO_ROOT} from '../helpers/cli.js'

interface Expected {
  code: string
  pointer: string
  message?: string
}

const invalidExpectations = JSON.parse(readFileSync(fixture('profiles', 'invalid.expected.json'), 'utf8')) as Record<
  string,
  Expected
>
const warningExpectations = JSON.parse(readFileSync(fixture('profiles', 'warnings.expected.json'), 'utf8')) as Record<
  string,
  Expected
>

describe('profile loading: broken corpus', () => {
  const files = readdirSync(fixture('profiles', 'invalid')).sort()

  it('has at least 20 broken profiles, each with an expectation', () => {
    assert.ok(files.length >= 20, `only ${files.length} broken profiles`)
    assert.deepEqual(files, Object.keys(invalidExpectations).sort())
  })

  for (const file of files) {
    it(`rejects ${file} precisely`, async () => {
      const expected = invalidExpectations[file]!
      const path = fixture('profiles', 'invalid', file)
      let check
      try {
        check = await checkProfileFile(path)
      } catch (error) {
        assert.ok(error instanceof ProfileReadError, `unexpected ${String(error)}`)
        assert.equal(`io.${error.code}`, expected.code)
        assert.match(error.reason, new RegExp(escape(expected.message ?? '')))
        return
      }
      assert.equal(check.valid, false, 'must be invalid')
      const match = check.errors.find((v) => v.code === expected.code && v.pointer === expected.pointer)
      assert.ok(match, `no ${expected.code} at "${expected.pointer}" in ${JSON.stringify(check.errors)}`)
      assert.ok(match.message.includes(expected.message ?? ''), `"${match.message}" lacks "${expected.message}"`)
      assert.ok(
        match.line !== undefined && match.line >= 1 && match.column !== undefined && match.column >= 1,
        'every violation in a file has line:column',
      )
    })
  }
})

describe('profile loading: valid profiles', () => {
  for (const path of [
    'profiles/runtime-default/moby-default.json',
    'profiles/runtime-default/containers-common-seccomp.json',
    'fixtures/profiles/valid/minimal.json',
    'fixtures/profiles/valid/recorded-busybox.json',
  ]) {
    it(`accepts ${path}`, async () => {
      const check = await checkProfileFile(`${REPO_ROOT}/${path}`)
      assert.deepEqual(check.errors, [])
      assert.equal(check.valid, true)
    })
  }

  it('tells docker format from flat OCI', async () => {
    assert.equal((await loadProfile(`${REPO_ROOT}/profiles/runtime-default/moby-default.json`)).format, 'docker')
    assert.equal((await loadProfile(fixture('profiles', 'valid', 'minimal.json'))).format, 'oci')
  })

  it('accepts null for the lists Go writes as nil', () => {
    const check = checkProfileText(
      '{"defaultAction":"SCMP_ACT_ERRNO","architectures":null,"flags":null,"syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":null}]}',
    )
    assert.equal(check.valid, true, JSON.stringify(check.errors))
  })

  it('locates violations by line and column', () => {
    const check = checkProfileText(
      '{\n  "defaultAction": "SCMP_ACT_ERRNO",\n  "syscalls": [\n    {"names": ["read"], "action": "NOPE"}\n  ]\n}\n',
    )
    assert.equal(check.valid, false)
    assert.deepEqual(
      check.errors.map((v) => [v.pointer, v.line, v.column]),
      [['/syscalls/0/action', 4, 25]],
    )
  })

  it('throws a UserError listing the violations for commands that need a valid profile', async () => {
    await assert.rejects(
      loadProfile(fixture('profiles', 'invalid', 'seven-args.json')),
      /not a valid seccomp profile:\n.*\/syscalls\/0\/args: must have at most 6 items/,
    )
    await assert.rejects(
      loadProfile(fixture('profiles', 'does-not-exist.json')),
      /cannot read profile .*: no such file/,
    )
  })
})

describe('profile loading: warnings', () => {
  for (const [file, expected] of Object.entries(warningExpectations)) {
    it(`warns about ${file}`, async () => {
      const check = await checkProfileFile(fixture('profiles', 'warnings', file))
      assert.equal(check.valid, true, JSON.stringify(check.errors))
      assert.ok(
        check.warnings.some((w) => w.code === expected.code && w.pointer === expected.pointer),
        `no ${expected.code} at ${expected.pointer} in ${JSON.stringify(check.warnings)}`,
      )
    })
  }

  it('does not warn about names on architectures it has no table for', async () => {
    const check = await checkProfileFile(`${REPO_ROOT}/profiles/runtime-default/moby-default.json`)
    assert.deepEqual(
      check.warnings.filter((w) => w.code === 'lint.unknown-syscall'),
      [],
    )
  })
})

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
