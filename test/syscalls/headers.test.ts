/**
 * Cross-checks the generated x86_64, x86 and x32 tables against the kernel's own UAPI headers as
 * Debian ships them in linux-libc-dev (/usr/include/x86_64-linux-gnu/asm/unistd_{64,32,x32}.h).
 *
 * Every name on both sides must have the same number. Names only one side has are reported as
 * diagnostics, not failures: the CSV (libseccomp, kernel v7.x) is newer than Debian's headers, so it
 * has syscalls the headers lack (cachestat, mseal, listmount, ...).
 *
 * Mismatches examined: with linux-libc-dev 6.1 there are none. libseccomp names x86 syscalls exactly
 * as the kernel's __NR_ macros do, including the underscore-prefixed `_llseek`, `_newselect` and
 * `_sysctl`, and lists x32's compat syscalls at their x32 numbers (rt_sigaction 512, execve 520, ...)
 * rather than at the x86_64 numbers that x32 tasks may not use. Every header name is in the CSV, so
 * there is no spelling difference either. If a future header or CSV brings a real mismatch, explain
 * it here and handle that one name, rather than loosening the comparison.
 *
 * A missing header is a failure, never a skip: install it with `apt-get install linux-libc-dev`.
 */
import {describe, it, type TestContext} from 'node:test'
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'

import {X32_SYSCALL_BIT, syscallNames, syscallNumber, type Abi} from '../../src/syscalls/index.js'

const INCLUDE = '/usr/include/x86_64-linux-gnu/asm'

const HEADERS: ReadonlyArray<{abi: Abi; file: string}> = [
  {abi: 'x86_64', file: `${INCLUDE}/unistd_64.h`},
  {abi: 'x86', file: `${INCLUDE}/unistd_32.h`},
  {abi: 'x32', file: `${INCLUDE}/unistd_x32.h`},
]

function readHeader(file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    throw new Error(
      `cannot read ${file} (${reason}). This test needs Debian's kernel UAPI headers: run \`apt-get install linux-libc-dev\``,
    )
  }
}

/**
 * Parses `#define __NR_name N` and, for x32, `#define __NR_name (__X32_SYSCALL_BIT + N)`.
 * Returns the numbers without the x32 bit. Fails on any __NR_ define it does not understand, so a
 * format change cannot silently shrink the comparison.
 */
function parseHeader(text: string, file: string, x32: boolean): Map<string, number> {
  const numbers = new Map<string, number>()
  for (const line of text.split('\n')) {
    const define = /^#\s*define\s+__NR_(\w+)\s+(.*?)\s*$/.exec(line)
    if (!define) continue
    const [, name = '', value = ''] = define
    const plain = /^(\d+)$/.exec(value)
    const withBit = /^\(__X32_SYSCALL_BIT \+ (\d+)\)$/.exec(value)
    if (x32) assert.ok(withBit, `${file}: expected (__X32_SYSCALL_BIT + N) in: ${line}`)
    else assert.ok(plain, `${file}: expected a decimal number in: ${line}`)
    const nr = Number((x32 ? withBit?.[1] : plain?.[1]) ?? Number.NaN)
    assert.ok(!numbers.has(name), `${file}: ${name} defined twice`)
    numbers.set(name, nr)
  }
  assert.ok(numbers.size > 300, `${file}: only ${numbers.size} __NR_ defines parsed`)
  return numbers
}

function compare(t: TestContext, abi: Abi, file: string): void {
  const header = parseHeader(readHeader(file), file, abi === 'x32')
  const table = new Map(syscallNames(abi).map((name) => [name, syscallNumber(abi, name) ?? Number.NaN]))

  const mismatches: string[] = []
  for (const [name, nr] of header) {
    const ours = table.get(name)
    if (ours !== undefined && ours !== nr) mismatches.push(`${name}: CSV ${ours}, header ${nr}`)
  }
  assert.deepEqual(mismatches, [], `${abi}: numbers differ between the CSV and ${file}`)

  const headerOnly = [...header.keys()].filter((name) => !table.has(name)).sort()
  const csvOnly = [...table.keys()].filter((name) => !header.has(name)).sort()
  const common = header.size - headerOnly.length
  t.diagnostic(`${abi}: ${common} names agree with ${file}`)
  if (csvOnly.length > 0) t.diagnostic(`${abi}: only in the CSV (newer than the header): ${csvOnly.join(' ')}`)
  if (headerOnly.length > 0) t.diagnostic(`${abi}: only in ${file}: ${headerOnly.join(' ')}`)
  // A name only in the header whose number the CSV gives another name is probably spelt differently.
  const byNumber = new Map([...table].map(([name, nr]) => [nr, name]))
  for (const name of headerOnly) {
    const other = byNumber.get(header.get(name) ?? Number.NaN)
    if (other !== undefined && !header.has(other))
      t.diagnostic(`${abi}: possible spelling difference: header ${name}, CSV ${other}`)
  }
  assert.ok(common > 300, `${abi}: only ${common} names in common with ${file}`)
}

describe('syscall tables against linux-libc-dev headers', () => {
  for (const {abi, file} of HEADERS) {
    it(`${abi} agrees with ${file}`, (t) => compare(t, abi, file))
  }

  it('the x32 header numbers are the table numbers plus X32_SYSCALL_BIT', () => {
    const text = readHeader(`${INCLUDE}/unistd_x32.h`)
    const read = /#define __NR_read \(__X32_SYSCALL_BIT \+ (\d+)\)/.exec(text)
    assert.equal(read?.[1], '0')
    assert.equal((syscallNumber('x32', 'read') ?? -1) | X32_SYSCALL_BIT, X32_SYSCALL_BIT)
  })
})
