import {KERNEL_ARGUMENT_CAPS} from '../kernel/quotas.js'
import {overflowedSyscalls, type ArgumentsBySyscall} from '../syscalls/arguments.js'

/**
 * One sentence per curated syscall whose argument values overflowed the kernel's bound (bpf/README.md,
 * "Argument values"): the recording keeps what fitted and `overflow`, and profiles allow that syscall by name.
 * Said loudly wherever a recording is reported (record, the poststop hook).
 */
export function argumentOverflowNotes(args: ArgumentsBySyscall | undefined): string[] {
  return overflowedSyscalls(args).map(argumentOverflowNote)
}

export function argumentOverflowNote(name: string): string {
  const cap = Object.hasOwn(KERNEL_ARGUMENT_CAPS, name) ? ` (${KERNEL_ARGUMENT_CAPS[name]})` : ''
  return `${name}: more distinct argument values than the kernel keeps${cap}: profiles allow ${name} with any arguments`
}
