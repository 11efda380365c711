import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import fc from 'fast-check'
import {decodeSafeNameSegment, MAX_SAFE_SEGMENT, profileNameProblem, safeNameSegment} from '../../src/store/names.js'
import {RecordingStore} from '../../src/store/store.js'

describe('safeNameSegment', () => {
  const cases: Array<[string, string]> = [
    ['default/web/nginx', 'default_2Fweb_2Fnginx'],
    ['nginx', 'nginx'],
    ['a_b', 'a__b'],
    ['', '_'],
    ['.', '_2E'],
    ['..', '_2E.'],
    ['.hidden', '_2Ehidden'],
    ['a.b-c', 'a.b-c'],
    ['café', 'caf_C3_A9'],
    ['a b', 'a_20b'],
    ['../../etc/passwd', '_2E._2F.._2Fetc_2Fpasswd'],
  ]
  for (const [input, output] of cases)
    it(`${JSON.stringify(input)} → ${output}`, () => {
      assert.equal(safeNameSegment(input), output)
      assert.equal(decodeSafeNameSegment(output), input)
    })

  it('gives a bounded file name of allowed characters, never . or ..', () => {
    fc.assert(
      fc.property(fc.string({unit: 'binary', maxLength: 300}), (s) => {
        const safe = safeNameSegment(s)
        assert.match(safe, /^[A-Za-z0-9._-]+$/)
        assert.ok(safe.length <= MAX_SAFE_SEGMENT)
        assert.notEqual(safe, '.')
        assert.notEqual(safe, '..')
        assert.ok(!safe.startsWith('.'))
        assert.equal(safeNameSegment(s), safe, 'deterministic')
      }),
      {numRuns: 1000},
    )
  })

  it('is reversible below the length bound and injective', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({unit: 'grapheme', maxLength: 40}), {minLength: 2, maxLength: 20}),
        (strings) => {
          const encoded = strings.map(safeNameSegment)
          assert.equal(new Set(encoded).size, strings.length)
          // Below the bound the encoding decodes back; above it (e.g. 40 four-byte graphemes) it is the hashed form.
          strings.forEach((s, i) => {
            const decoded = decodeSafeNameSegment(encoded[i]!)
            if (decoded === undefined)
              assert.ok(encoded[i]!.length >= MAX_SAFE_SEGMENT - 2, `${JSON.stringify(s)} is short enough to decode`)
            else assert.equal(decoded, s)
          })
        },
      ),
      {numRuns: 300},
    )
  })

  it('hashes long and ill-formed names, keeping them distinct', () => {
    const long = 'x'.repeat(400)
    const a = safeNameSegment(long)
    const b = safeNameSegment(`${long}y`)
    assert.equal(a.length, MAX_SAFE_SEGMENT)
    assert.match(a, /_h[0-9a-f]{16}$/)
    assert.notEqual(a, b)
    assert.equal(decodeSafeNameSegment(a), undefined)
    const lone = safeNameSegment('a\uD800b')
    assert.match(lone, /_h[0-9a-f]{16}$/)
    assert.notEqual(lone, safeNameSegment('a\uDC00b'))
  })

  it('rejects what it cannot have produced', () => {
    for (const bad of ['_2e', '_', 'a_', 'a_G0', '.x', 'a/b', '_2Ex_h0123'])
      if (bad !== '_') assert.equal(decodeSafeNameSegment(bad), undefined, bad)
  })
})

describe('profileNameProblem: names that end like the files beside a profile', () => {
  it("refuses <name>.complain and <name>.coverage, which would be written over shop/web's sidecars", () => {
    for (const name of ['shop/web.complain', 'shop/web.coverage', 'web.coverage', 'a/b.c.complain', '.coverage'])
      assert.match(profileNameProblem(name) ?? '', /ends in "\.(complain|coverage)"/, name)
    for (const name of ['shop/web.complainer', 'shop/web.coverage-x', 'shop/web.complain/x', 'shop/web.COVERAGE'])
      assert.equal(profileNameProblem(name), null, name)
  })

  it('gives two accepted names no file in common in the store', () => {
    const store = new RecordingStore('/store')
    const files = (name: string) => {
      const {profile, complain, coverage, spo, lock} = store.profilePaths(name)
      return [profile, complain, coverage, spo, lock]
    }
    const part = fc.constantFrom('shop', 'web', '.complain', '.coverage', '.json', '.spo', '.yaml', '_2F', '/', '.')
    const name = fc.array(part, {minLength: 1, maxLength: 6}).map((parts) => parts.join(''))
    fc.assert(
      fc.property(name, name, (a, b) => {
        fc.pre(a !== b && profileNameProblem(a) === null && profileNameProblem(b) === null)
        const mine = new Set(files(a))
        assert.deepEqual(
          files(b).filter((file) => mine.has(file)),
          [],
          `${a} and ${b}`,
        )
      }),
      {numRuns: 5000},
    )
  })
})
