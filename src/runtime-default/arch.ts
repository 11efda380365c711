import {EXIT} from '../core/exit-codes.js'
import {UserError} from '../core/errors.js'
import type {SeccompArch} from '../profile/model.js'
import {ABIS, abiForScmpArch, type Abi} from '../syscalls/index.js'

interface ArchInfo {
  scmp: SeccompArch
  /**
   * libseccomp's name of the architecture (libseccomp-golang `ScmpArch.String()`): what moby's and
   * containers-common's resolvers compare with the `arches` of `includes`/`excludes` (e.g. `amd64`, `arm64`).
   */
  seccompName: string
  /** Names accepted on the command line besides SCMP_ARCH_*; the first one is shown. */
  aliases: string[]
}

const ARCHES: readonly ArchInfo[] = [
  {scmp: 'SCMP_ARCH_X86_64', seccompName: 'amd64', aliases: ['x86_64', 'amd64', 'x64']},
  {scmp: 'SCMP_ARCH_X86', seccompName: 'x86', aliases: ['x86', 'i386', 'i686', '386', 'ia32']},
  {scmp: 'SCMP_ARCH_X32', seccompName: 'x32', aliases: ['x32']},
  {scmp: 'SCMP_ARCH_ARM', seccompName: 'arm', aliases: ['arm', 'armhf', 'armv7l']},
  {scmp: 'SCMP_ARCH_AARCH64', seccompName: 'arm64', aliases: ['aarch64', 'arm64']},
  {scmp: 'SCMP_ARCH_MIPS', seccompName: 'mips', aliases: ['mips']},
  {scmp: 'SCMP_ARCH_MIPS64', seccompName: 'mips64', aliases: ['mips64']},
  {scmp: 'SCMP_ARCH_MIPS64N32', seccompName: 'mips64n32', aliases: ['mips64n32']},
  {scmp: 'SCMP_ARCH_MIPSEL', seccompName: 'mipsel', aliases: ['mipsel', 'mipsle']},
  {scmp: 'SCMP_ARCH_MIPSEL64', seccompName: 'mipsel64', aliases: ['mipsel64', 'mips64le']},
  {scmp: 'SCMP_ARCH_MIPSEL64N32', seccompName: 'mipsel64n32', aliases: ['mipsel64n32']},
  {scmp: 'SCMP_ARCH_PPC', seccompName: 'ppc', aliases: ['ppc']},
  {scmp: 'SCMP_ARCH_PPC64', seccompName: 'ppc64', aliases: ['ppc64']},
  {scmp: 'SCMP_ARCH_PPC64LE', seccompName: 'ppc64le', aliases: ['ppc64le']},
  {scmp: 'SCMP_ARCH_S390', seccompName: 's390', aliases: ['s390']},
  {scmp: 'SCMP_ARCH_S390X', seccompName: 's390x', aliases: ['s390x']},
  {scmp: 'SCMP_ARCH_PARISC', seccompName: 'parisc', aliases: ['parisc']},
  {scmp: 'SCMP_ARCH_PARISC64', seccompName: 'parisc64', aliases: ['parisc64']},
  {scmp: 'SCMP_ARCH_RISCV64', seccompName: 'riscv64', aliases: ['riscv64']},
  {scmp: 'SCMP_ARCH_LOONGARCH64', seccompName: 'loong64', aliases: ['loongarch64', 'loong64']},
  {scmp: 'SCMP_ARCH_M68K', seccompName: 'm68k', aliases: ['m68k']},
  {scmp: 'SCMP_ARCH_SH', seccompName: 'sh', aliases: ['sh']},
  {scmp: 'SCMP_ARCH_SHEB', seccompName: 'sheb', aliases: ['sheb']},
]

const BY_SCMP = new Map(ARCHES.map((a) => [a.scmp as string, a]))
const BY_ALIAS = new Map(ARCHES.flatMap((a) => a.aliases.map((alias) => [alias, a] as const)))

/** Node's `process.arch` → the SCMP_ARCH_* of the machine (ppc64 in Node is little-endian on Linux). */
const BY_NODE_ARCH: Readonly<Record<string, SeccompArch>> = {
  x64: 'SCMP_ARCH_X86_64',
  ia32: 'SCMP_ARCH_X86',
  arm64: 'SCMP_ARCH_AARCH64',
  arm: 'SCMP_ARCH_ARM',
  ppc64: 'SCMP_ARCH_PPC64LE',
  s390x: 'SCMP_ARCH_S390X',
  riscv64: 'SCMP_ARCH_RISCV64',
  loong64: 'SCMP_ARCH_LOONGARCH64',
  mips: 'SCMP_ARCH_MIPS',
  mipsel: 'SCMP_ARCH_MIPSEL',
}

/** `SCMP_ARCH_X86_64`, `x86_64`, `amd64`, `aarch64`, `arm64`, … → the SCMP_ARCH_* name; a UserError otherwise. */
export function parseArch(value: string): SeccompArch {
  const trimmed = value.trim()
  const direct =
    BY_SCMP.get(trimmed.toUpperCase()) ??
    BY_SCMP.get(`SCMP_ARCH_${trimmed.toUpperCase()}`) ??
    BY_ALIAS.get(trimmed.toLowerCase())
  if (direct) return direct.scmp
  throw new UserError(`unknown architecture "${value}"`, {
    exit: EXIT.USAGE,
    code: 'unknown-architecture',
    suggestions: [`use an SCMP_ARCH_* name or one of: ${ARCHES.map((a) => a.aliases[0]).join(', ')}`],
  })
}

/** The SCMP_ARCH_* of this machine (or of a Node `process.arch` value). */
export function nativeArch(nodeArch: string = process.arch): SeccompArch {
  const arch = BY_NODE_ARCH[nodeArch]
  if (arch === undefined) {
    throw new UserError(`no seccomp architecture is known for this machine (${nodeArch})`, {
      exit: EXIT.USAGE,
      code: 'unknown-architecture',
      suggestions: ['pass --arch'],
    })
  }
  return arch
}

/** libseccomp's name (`amd64`, `x86`, `arm64`, …), the one `includes`/`excludes` `arches` lists use. */
export function seccompArchName(arch: SeccompArch): string {
  return BY_SCMP.get(arch)!.seccompName
}

/** A short name for people: `x86_64`, `aarch64`, … */
export function archDisplayName(arch: string): string {
  return BY_SCMP.get(arch)?.aliases[0] ?? arch
}

/** Sorts SCMP_ARCH_* names the way runtimes list them (x86_64, x86, x32, arm, aarch64, …); unknown names last. */
export function sortArches(arches: Iterable<string>): string[] {
  const rank = (a: string) => {
    const i = ARCHES.findIndex((x) => x.scmp === a)
    return i === -1 ? ARCHES.length : i
  }
  return [...new Set(arches)].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0))
}

/**
 * The syscall-table ABIs of a list of architectures, or null when one of them has no table here (then
 * names cannot be checked against the architectures and nothing is filtered).
 */
export function abisOf(arches: readonly string[]): Abi[] | null {
  const abis: Abi[] = []
  for (const arch of arches) {
    const abi = abiForScmpArch(arch)
    if (abi === undefined) return null
    if (!abis.includes(abi)) abis.push(abi)
  }
  return ABIS.filter((abi) => abis.includes(abi))
}
