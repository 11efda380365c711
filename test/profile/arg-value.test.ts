import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {U64_MAX} from '../../src/profile/arg-value.js'
import {checkProfileText} from '../../src/profile/load.js'

/** A profile with one comparison whose value is the literal text given, on line 3. */
function withValue(literal: string, key: 'value' | 'valueTwo' = 'value'): string {
  const arg =
    key === 'value'
      ? `{"index": 0, "value": ${literal}, "op": "SCMP_CMP_EQ"}`
      : `{"index": 0, "value": 1, "valueTwo": ${literal}, "op": "SCMP_CMP_MASKED_EQ"}`
  return `{"defaultAction": "SCMP_ACT_ERRNO",\n "syscalls": [\n  {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [${arg}]}]}\n`
}

function exactValue(literal: string, key: 'value' | 'valueTwo' = 'value'): bigint {
  const check = checkProfileText(withValue(literal, key))
  assert.ok(check.valid, `${literal}: ${JSON.stringify(check.errors)}`)
  return check.profile.syscalls![0]!.args![0]![key]!
}

describe('argument values are u64, read exactly from the literal text', () => {
  for (const [literal, expected] of [
    ['0', 0n],
    ['9007199254740993', 2n ** 53n + 1n],
    ['9223372036854775808', 2n ** 63n],
    ['18446744073709551615', U64_MAX],
  ] as const) {
    it(`keeps ${literal} exactly (value and valueTwo)`, () => {
      assert.equal(exactValue(literal), expected)
      assert.equal(exactValue(literal, 'valueTwo'), expected)
    })
  }

  for (const [literal, code, message] of [
    ['18446744073709551616', 'arg.out-of-range', /must be ≤ 18446744073709551615 \(2\^64-1\)/],
    ['-1', 'schema.minimum', /must be ≥ 0 \(got -1\)/],
    ['1.5', 'schema.type', /must be integer \(got 1\.5\)/],
    // A whole number, but runc/CRI-O/containerd read the field with Go's ParseUint, which refuses exponents.
    ['1e3', 'arg.not-digits', /plain decimal digits \(got 1e3\)/],
    ['1.0', 'arg.not-digits', /plain decimal digits \(got 1\.0\)/],
    ['-0', 'arg.not-digits', /plain decimal digits \(got -0\)/],
    ['"8"', 'schema.type', /must be integer/],
  ] as const) {
    it(`refuses ${literal} with a violation at its pointer and line:column`, () => {
      for (const key of ['value', 'valueTwo'] as const) {
        const check = checkProfileText(withValue(literal, key))
        assert.equal(check.valid, false)
        const violation = check.errors.find((e) => e.pointer === `/syscalls/0/args/0/${key}`)
        assert.ok(violation, `${literal} ${key}: ${JSON.stringify(check.errors)}`)
        assert.equal(violation.code, code)
        assert.match(violation.message, message)
        assert.equal(violation.line, 3)
        assert.ok((violation.column ?? 0) > 60, `column ${violation.column}`)
        assert.equal(check.errors.length, 1, `one violation for ${literal}: ${JSON.stringify(check.errors)}`)
      }
    })
  }
})
