import {findNodeAtLocation, type Node as JsonNode} from 'jsonc-parser'
import type {Violation} from '../json/violations.js'

/**
 * Seccomp argument comparison values (`args[].value`, `valueTwo`) are u64 in the kernel, libseccomp and
 * the runtimes. JSON.parse turns 18446744073709551615 into a double, 2^64, which no runtime would load, so
 * they are read from the literal text and held as bigint everywhere; JSON output writes their exact digits.
 */
export const U64_MAX = (1n << 64n) - 1n

export function compareArgValues(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0
}

type Locate = (offset: number) => {line: number; column: number}

/**
 * Reads every argument value of a parsed profile from its literal text. Only plain decimal digits in
 * 0..2^64-1 are accepted: Go runtimes (runc, CRI-O, containerd) parse these fields with ParseUint and
 * refuse `1e3`, `1.0` or `-0`, so such a profile would not load even where its value is a whole number.
 * Values the schema refuses anyway (not a number, negative, a fraction) are left to its messages.
 * `setExact` puts the exact values into the document once it is known to be valid.
 */
export function readArgValues(
  document: unknown,
  tree: JsonNode,
  text: string,
  locate: Locate,
): {violations: Violation[]; setExact: () => void} {
  const violations: Violation[] = []
  const exact: Array<{arg: Record<string, unknown>; key: string; value: bigint}> = []
  const rules = (document as {syscalls?: unknown} | null)?.syscalls
  if (!Array.isArray(rules)) return {violations, setExact: () => {}}
  rules.forEach((rule, r) => {
    const args = (rule as {args?: unknown} | null)?.args
    if (!Array.isArray(args)) return
    args.forEach((arg, a) => {
      if (arg === null || typeof arg !== 'object') return
      for (const key of ['value', 'valueTwo']) {
        const node = findNodeAtLocation(tree, ['syscalls', r, 'args', a, key])
        const parsed = (arg as Record<string, unknown>)[key]
        if (node?.type !== 'number' || typeof parsed !== 'number' || !Number.isInteger(parsed) || parsed < 0) continue
        const literal = text.slice(node.offset, node.offset + node.length)
        const pointer = `/syscalls/${r}/args/${a}/${key}`
        const at = locate((node.parent ?? node).offset)
        if (!/^(0|[1-9][0-9]*)$/.test(literal)) {
          violations.push({
            severity: 'error',
            code: 'arg.not-digits',
            pointer,
            message: `must be written as plain decimal digits (got ${literal.slice(0, 40)}): runtimes read it as a u64 and refuse exponents and fractions`,
            ...at,
          })
        } else if (literal.length > 20 || BigInt(literal) > U64_MAX) {
          // 2^64-1 has 20 digits: longer literals are not converted at all (a 4 MiB number would be slow to parse)
          violations.push({
            severity: 'error',
            code: 'arg.out-of-range',
            pointer,
            message: `must be ≤ ${U64_MAX} (2^64-1), the largest u64 (got ${literal.slice(0, 40)}${literal.length > 40 ? '…' : ''})`,
            ...at,
          })
        } else {
          exact.push({arg: arg as Record<string, unknown>, key, value: BigInt(literal)})
        }
      }
    })
  })
  return {violations, setExact: () => exact.forEach(({arg, key, value}) => (arg[key] = value))}
}
