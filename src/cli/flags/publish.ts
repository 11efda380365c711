import {Flags} from '@oclif/core'
import {DEFAULT_KUBELET_ROOT_DIR, DEFAULT_SECCOMP_ROOT} from '../../core/paths.js'

/** The flags that say which seccomp root `publish`, `unpublish` and `published list` work on. */
export const rootFlags = {
  root: Flags.string({
    description: `the seccomp root directory itself (what the kubelet calls <root-dir>/seccomp) [default: ${DEFAULT_SECCOMP_ROOT}]`,
    exclusive: ['kubelet-root-dir'],
  }),
  'kubelet-root-dir': Flags.string({
    description: `the kubelet's --root-dir; profiles go to its seccomp/ directory [default: ${DEFAULT_KUBELET_ROOT_DIR}]`,
    exclusive: ['root'],
  }),
}

export const prefixFlag = Flags.string({
  description:
    'directory below the seccomp root to publish into; part of localhostProfile (e.g. seccomp-recorder) [default: none]',
})
