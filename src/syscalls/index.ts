/**
 * Syscall name <-> number tables for the ABIs seccomp-recorder records and writes profiles for.
 *
 * The numbers come from libseccomp's syscalls.csv (LGPL-2.1 data) through the generated
 * ./tables.generated.ts (`npm run gen:syscalls`). Names are libseccomp's, which are the kernel's
 * `__NR_<name>` names (e.g. `_llseek`, `_newselect` on 32-bit ABIs).
 *
 * x32: the tables hold numbers WITHOUT X32_SYSCALL_BIT, as libseccomp does; the kernel reports
 * x32 syscalls with the bit set. syscallName accepts both forms, syscallNumber returns the plain
 * number, so OR in X32_SYSCALL_BIT where the kernel's form is needed.
 */
import {GENERATED_TABLES, SOURCE_COMMIT, SOURCE_KERNEL_VERSION, type GeneratedSyscallTable} from './tables.generated.js'

export type Abi = 'x86_64' | 'x86' | 'x32' | 'aarch64' | 'arm'

export const ABIS: readonly Abi[] = Object.freeze(['x86_64', 'x86', 'x32', 'aarch64', 'arm'] as const)

/** The bit the kernel sets in the syscall number of x32 tasks (__X32_SYSCALL_BIT). */
export const X32_SYSCALL_BIT = 0x40000000

/** The libseccomp / OCI `architectures` name of each ABI. */
export const SCMP_ARCH_BY_ABI: Readonly<Record<Abi, string>> = Object.freeze({
  x86_64: 'SCMP_ARCH_X86_64',
  x86: 'SCMP_ARCH_X86',
  x32: 'SCMP_ARCH_X32',
  aarch64: 'SCMP_ARCH_AARCH64',
  arm: 'SCMP_ARCH_ARM',
})

/** Where the tables come from, e.g. `libseccomp 90d3f7d (kernel v7.1.0-rc4)`. */
export const SYSCALL_TABLE_SOURCE: string = `libseccomp ${SOURCE_COMMIT} (kernel ${SOURCE_KERNEL_VERSION})`

// Fails to compile if the generator stops emitting one of the ABIs.
const TABLES: Readonly<Record<Abi, GeneratedSyscallTable>> = GENERATED_TABLES

const ABI_BY_SCMP_ARCH: ReadonlyMap<string, Abi> = new Map(ABIS.map((abi) => [SCMP_ARCH_BY_ABI[abi], abi]))

const ABI_BY_NODE_ARCH: ReadonlyMap<string, Abi> = new Map<string, Abi>([
  ['x64', 'x86_64'],
  ['ia32', 'x86'],
  ['arm64', 'aarch64'],
  ['arm', 'arm'],
])

function isAbi(value: string): value is Abi {
  return Object.hasOwn(TABLES, value)
}

/** The ABI of an `SCMP_ARCH_*` name (exact, case-sensitive), or undefined for any other architecture. */
export function abiForScmpArch(arch: string): Abi | undefined {
  return ABI_BY_SCMP_ARCH.get(arch)
}

/** The native ABI of a Node `process.arch` value (default: this process): x64, ia32, arm64, arm. */
export function nativeAbi(arch: string = process.arch): Abi | undefined {
  return ABI_BY_NODE_ARCH.get(arch)
}

/**
 * The ABIs a kernel of that native ABI also runs (the native one first): an x86_64 kernel runs
 * x86 (ia32) and x32 tasks, an aarch64 kernel runs arm (compat) tasks. Returns a fresh array.
 */
export function companionAbis(abi: Abi): Abi[] {
  switch (abi) {
    case 'x86_64':
      return ['x86_64', 'x86', 'x32']
    case 'aarch64':
      return ['aarch64', 'arm']
    default:
      return [abi]
  }
}

/** The number of a syscall on an ABI (x32: without X32_SYSCALL_BIT), or undefined if the ABI lacks it. */
export function syscallNumber(abi: Abi, name: string): number | undefined {
  if (!isAbi(abi)) return undefined
  const table = TABLES[abi]
  return Object.hasOwn(table, name) ? table[name] : undefined
}

const reverseMaps: Partial<Record<Abi, ReadonlyMap<number, string>>> = {}

function reverseMap(abi: Abi): ReadonlyMap<number, string> {
  let map = reverseMaps[abi]
  if (map === undefined) {
    const built = new Map<number, string>()
    for (const [name, nr] of Object.entries(TABLES[abi])) built.set(nr, name)
    map = built
    reverseMaps[abi] = map
  }
  return map
}

/**
 * The name of a syscall number on an ABI, or undefined. x32 accepts the number with or without
 * X32_SYSCALL_BIT; other ABIs take the number as the kernel reports it (arm's private syscalls
 * are 0x0f0000 + n, e.g. 0x0f0005 set_tls).
 */
export function syscallName(abi: Abi, nr: number): string | undefined {
  if (!isAbi(abi) || !Number.isSafeInteger(nr) || nr < 0) return undefined
  let plain = nr
  if (abi === 'x32' && nr >= X32_SYSCALL_BIT && nr < 2 * X32_SYSCALL_BIT) plain = nr - X32_SYSCALL_BIT
  return reverseMap(abi).get(plain)
}

const sortedNames: Partial<Record<Abi, readonly string[]>> = {}

/** Every syscall name of an ABI, sorted (code-unit order). Frozen; the same array on every call. */
export function syscallNames(abi: Abi): readonly string[] {
  if (!isAbi(abi)) return Object.freeze([])
  let names = sortedNames[abi]
  if (names === undefined) {
    names = Object.freeze(Object.keys(TABLES[abi]).sort())
    sortedNames[abi] = names
  }
  return names
}

/** Whether the name is a syscall on any of the given ABIs (default: all of ABIS). */
export function isKnownSyscall(name: string, abis: readonly Abi[] = ABIS): boolean {
  return abis.some((abi) => syscallNumber(abi, name) !== undefined)
}
