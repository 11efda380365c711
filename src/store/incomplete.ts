/**
 * Why a recording may lack syscalls the workload made, in words for people: the kernel could not store some,
 * the recorder was detached for a while, or the recording reached one of its kernel quotas (bpf/README.md,
 * "Quotas"), which keep one recording from taking map entries another one needs.
 */

import {KERNEL_QUOTAS, type QuotaExceeded} from '../kernel/quotas.js'

/** One sentence per reason the recording is incomplete (none: it is complete). */
export function incompleteReasons(recording: {lost: number; interrupted?: boolean; quota?: QuotaExceeded}): string[] {
  const reasons: string[] = []
  if (recording.lost > 0) reasons.push(`the kernel could not store ${recording.lost} syscalls`)
  if (recording.interrupted === true)
    reasons.push('the kernel recorder was detached for a while during the run (its pins were removed)')
  const quota = recording.quota
  if (quota !== undefined && quota.nested > 0) {
    reasons.push(
      `it reached its quota of ${KERNEL_QUOTAS.nestedNamespaces} live nested mount namespaces: ${quota.nested} more were not followed (their syscalls are missing)`,
    )
  }
  if (quota !== undefined && quota.words > 0) {
    reasons.push(
      `it reached its quota of ${KERNEL_QUOTAS.unknownNumbers} syscall numbers no ABI has: ${quota.words} more such calls were not stored`,
    )
  }
  return reasons
}
