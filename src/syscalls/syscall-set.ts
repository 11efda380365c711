import {SCMP_ARCH_BY_ABI, syscallName, type Abi} from './index.js'

/** Syscalls seen by name per ABI, plus the numbers no table names (kept, reported, never dropped). */
export interface SyscallSet {
  /** Sorted unique names per ABI that made at least one syscall. */
  names: Partial<Record<Abi, string[]>>
  /** Numbers the tables do not know (a newer kernel, a bogus call): kept so nothing recorded is lost. */
  unknown: Array<{abi: Abi; nr: number}>
}

/** The ABIs the kernel recorder tells apart on x86_64. */
export type KernelAbi = 'x86_64' | 'x86' | 'x32'
const KERNEL_ABIS: readonly KernelAbi[] = ['x86_64', 'x86', 'x32']

/** Syscall numbers per ABI as the kernel recorder reports them (x32 without its 0x40000000 bit). */
export type KernelSyscalls = Partial<Record<KernelAbi, number[]>>

/** Names the numbers the kernel recorded, per ABI. */
export function nameKernelSyscalls(target: {syscalls: KernelSyscalls}): SyscallSet {
  const set: SyscallSet = {names: {}, unknown: []}
  for (const abi of KERNEL_ABIS) {
    const numbers = target.syscalls[abi]
    if (!numbers?.length) continue
    const names = new Set<string>()
    for (const nr of numbers) {
      const name = syscallName(abi, nr)
      if (name === undefined) set.unknown.push({abi, nr})
      else names.add(name)
    }
    set.names[abi] = [...names].sort()
  }
  return set
}

/** Every name of every ABI, sorted and unique: what a flat OCI profile lists. */
export function allNames(set: SyscallSet): string[] {
  return [...new Set(Object.values(set.names).flat())].sort()
}

/** SCMP_ARCH_* of the ABIs that made syscalls, in a stable order. */
export function architecturesOf(set: SyscallSet): string[] {
  return (Object.keys(set.names) as Abi[])
    .filter((abi) => set.names[abi]!.length > 0)
    .map((abi) => SCMP_ARCH_BY_ABI[abi])
    .sort()
}

export function syscallCount(set: SyscallSet): number {
  return Object.values(set.names).reduce((n, names) => n + names.length, 0) + set.unknown.length
}
