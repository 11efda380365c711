import {Flags} from '@oclif/core'
import type {SeccompArch} from '../profile/model.js'
import {nativeArch, parseArch} from '../runtime-default/arch.js'
import {parseKernelVersion, runningKernel} from '../runtime-default/kernel.js'

/** The flags that say which host a docker/moby-format profile is resolved for (`diff`, `profiles merge`). */
export const RESOLUTION_FLAGS = {
  arch: Flags.string({
    description:
      'architecture to resolve docker/moby-format profiles for: SCMP_ARCH_* or x86_64, aarch64, … [default: this machine]',
  }),
  kernel: Flags.string({description: 'kernel version for minKernel rules [default: the running kernel]'}),
  caps: Flags.string({
    description:
      "bounding capabilities instead of the runtime's defaults, comma-separated (CHOWN,SETUID or CAP_…; none; ALL)",
  }),
  'cap-add': Flags.string({
    description: 'add capabilities to the bounding set (repeatable, comma-separated)',
    multiple: true,
  }),
  'cap-drop': Flags.string({
    description: 'drop capabilities from the bounding set (repeatable, comma-separated; ALL)',
    multiple: true,
  }),
}

export interface ResolutionFlagValues {
  arch: SeccompArch
  kernel: string
  capOptions: {caps?: string[]; add?: string[]; drop?: string[]}
  /** --caps, --cap-add or --cap-drop given. */
  customCaps: boolean
}

/** The parsed values of RESOLUTION_FLAGS, with this machine's architecture and kernel as defaults. */
export function resolutionFlagValues(flags: {
  arch?: string
  kernel?: string
  caps?: string
  'cap-add'?: string[]
  'cap-drop'?: string[]
}): ResolutionFlagValues {
  const arch = flags.arch === undefined ? nativeArch() : parseArch(flags.arch)
  const kernel = flags.kernel ?? runningKernel()
  parseKernelVersion(kernel)
  return {
    arch,
    kernel,
    capOptions: {
      caps: flags.caps === undefined ? undefined : [flags.caps],
      add: flags['cap-add'],
      drop: flags['cap-drop'],
    },
    customCaps: flags.caps !== undefined || (flags['cap-add'] ?? []).length > 0 || (flags['cap-drop'] ?? []).length > 0,
  }
}
