import assert from 'node:assert/strict'
import {resolve, sep} from 'node:path'
import {describe, it} from 'node:test'
import fc from 'fast-check'
import {UserError} from '../../src/core/errors.js'
import {EXIT} from '../../src/core/exit-codes.js'
import {
  checkProfileName,
  configMapKey,
  locateLocalhostProfile,
  locateProfile,
  MAX_CONFIGMAP_KEY,
  MAX_LAST_SEGMENT_BYTES,
  nameFromPath,
} from '../../src/publish/names.js'

const refused = (fn: () => unknown, pattern?: RegExp) =>
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof UserError, `not a UserError: ${String(error)}`)
    assert.equal(error.exit, EXIT.REFUSED)
    assert.equal(error.code, 'hostile-name')
    if (pattern) assert.match(error.message, pattern)
    return true
  })

describe('profile names', () => {
  it('maps names with "/" to files below the prefix', () => {
    assert.deepEqual(locateProfile('team/app/web', 'seccomp-recorder'), {
      name: 'team/app/web',
      prefix: 'seccomp-recorder',
      localhostProfile: 'seccomp-recorder/team/app/web.json',
      dirs: ['seccomp-recorder', 'team', 'app'],
      file: 'web.json',
    })
    assert.deepEqual(locateProfile('web', ''), {
      name: 'web',
      prefix: '',
      localhostProfile: 'web.json',
      dirs: [],
      file: 'web.json',
    })
    assert.equal(
      locateProfile('web.json', 'a/b/').localhostProfile,
      'a/b/web.json',
      'a trailing .json and a trailing / are dropped',
    )
    assert.equal(locateProfile('v1.2_x-y', '').file, 'v1.2_x-y.json')
  })

  it('takes the file base name without .json by default', () => {
    assert.equal(nameFromPath('/tmp/profiles/my-app.json'), 'my-app')
    assert.equal(nameFromPath('my-app.profile'), 'my-app.profile')
  })

  it('refuses absolute names, "..", ".", empty segments, hidden segments, odd characters and NUL', () => {
    refused(() => checkProfileName('../x'), /"\.\."/)
    refused(() => checkProfileName('a/../../x'), /"\.\."/)
    refused(() => checkProfileName('/etc/x'), /absolute/)
    refused(() => checkProfileName('./x'), /"\."/)
    refused(() => checkProfileName('a//b'), /empty segment/)
    refused(() => checkProfileName('a/'), /empty segment/)
    refused(() => checkProfileName(''), /empty/)
    refused(() => checkProfileName('.hidden'), /starting with "\."/)
    refused(() => checkProfileName('.seccomp-recorder-published'), /starting with "\."/)
    refused(() => checkProfileName('a\0b'), /NUL/)
    refused(() => checkProfileName('a b'), /characters/)
    refused(() => checkProfileName('a\\b'), /characters/)
    refused(() => checkProfileName('ünï'), /characters/)
    refused(() => checkProfileName('a\nb'), /characters/)
    refused(() => locateProfile('x', '/abs'), /--prefix .* absolute/)
    refused(() => locateProfile('x', '../up'), /--prefix/)
  })

  it('bounds segment length, depth and the whole path', () => {
    refused(() => checkProfileName('a'.repeat(4096)), /4096 bytes/)
    refused(() => checkProfileName(`${'a'.repeat(256)}/x`), /256 bytes/)
    assert.equal(locateProfile(`${'a'.repeat(255)}/x`, '').dirs[0]!.length, 255)
    assert.equal(locateProfile('a'.repeat(MAX_LAST_SEGMENT_BYTES), '').file.length, MAX_LAST_SEGMENT_BYTES + 5)
    refused(() => locateProfile('a'.repeat(MAX_LAST_SEGMENT_BYTES + 1), ''), /backup/)
    refused(() => checkProfileName(Array(17).fill('d').join('/')), /levels/)
    refused(() => locateProfile([...Array(5).fill('d'.repeat(250)), 'x'].join('/'), ''), /at most 1024/)
    refused(() => locateProfile('x', Array(16).fill('p').join('/')), /levels/)
  })

  it('reads a localhostProfile back (unpublish, the manifest)', () => {
    assert.equal(locateLocalhostProfile('p/team/web.json').localhostProfile, 'p/team/web.json')
    refused(() => locateLocalhostProfile('p/team/web'), /does not end in \.json/)
    refused(() => locateLocalhostProfile('../../etc/passwd.json'))
  })

  it('property: every accepted name stays below the root; every name with a bad segment is refused', () => {
    const root = resolve('/var/lib/kubelet/seccomp')
    const segment = fc.oneof(
      fc.stringMatching(/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,20}$/),
      fc.constantFrom('.', '..', '', '.x', 'a b', 'a\0', '/', 'é', 'a\\b', '\n'),
      fc.string({maxLength: 6}),
    )
    fc.assert(
      fc.property(
        fc.array(segment, {minLength: 1, maxLength: 6}),
        fc.array(segment, {maxLength: 3}),
        (nameParts, prefixParts) => {
          const name = nameParts.join('/')
          const prefix = prefixParts.join('/')
          let location
          try {
            location = locateProfile(name, prefix)
          } catch (error) {
            assert.ok(error instanceof UserError && error.exit === EXIT.REFUSED, `unexpected ${String(error)}`)
            return
          }
          const path = resolve(root, location.localhostProfile)
          assert.ok(path.startsWith(root + sep), `${location.localhostProfile} escapes the root`)
          assert.equal(path, `${root}/${location.localhostProfile}`, 'no segment is interpreted (., .., //)')
          for (const s of [...location.dirs, location.file]) assert.match(s, /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/)
        },
      ),
      {numRuns: 3000},
    )
  })
})

describe('ConfigMap keys', () => {
  it('escape "_" and "/" readably', () => {
    assert.equal(configMapKey('web'), 'web.json')
    assert.equal(configMapKey('team/app/web'), 'team_2fapp_2fweb.json')
    assert.equal(configMapKey('team/app_x/web'), 'team_2fapp_5fx_2fweb.json')
  })

  it('property: one-to-one, valid ConfigMap keys, at most 253 bytes', () => {
    const name = fc
      .array(fc.stringMatching(/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,80}$/), {minLength: 1, maxLength: 8})
      .map((s) => s.join('/'))
    fc.assert(
      fc.property(name, name, (a, b) => {
        const ka = configMapKey(a)
        assert.match(ka, /^[-._a-zA-Z0-9]+$/)
        assert.ok(ka.length <= MAX_CONFIGMAP_KEY)
        if (a !== b) assert.notEqual(ka, configMapKey(b), `${a} and ${b} share a key`)
      }),
      {numRuns: 3000},
    )
    // Near-collisions by construction: "_" and "/" swapped, and long names that share their first 250 bytes.
    assert.notEqual(configMapKey('a_2fb'), configMapKey('a/b'))
    assert.notEqual(configMapKey('a_b'), configMapKey('a/b'))
    const long = 'x'.repeat(240)
    assert.notEqual(configMapKey(`${long}/a`), configMapKey(`${long}/b`))
    assert.ok(configMapKey(`${long}/a`).length <= MAX_CONFIGMAP_KEY)
  })
})
