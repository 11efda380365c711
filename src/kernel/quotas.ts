/** The kernel recorder's per-recording quotas (SCR_NESTED_QUOTA, SCR_WORDS_QUOTA in bpf/recorder.h). */
export const KERNEL_QUOTAS = {
  /** Live nested mount namespaces followed per recording. */
  nestedNamespaces: 32,
  /** Syscall numbers no ABI has (x86_64 >= 512, ia32/x32 >= 576) stored per recording: 4 words of 64. */
  unknownNumbers: 4 * 64,
} as const

/**
 * How many distinct argument tuples the kernel keeps per recording and curated syscall (SCR_ARG_CAP_* in
 * bpf/recorder.h); beyond that it notes `overflow` and the syscall is allowed by name.
 */
export const KERNEL_ARGUMENT_CAPS: Readonly<Record<string, number>> = {
  socket: 16,
  clone: 8,
  unshare: 8,
  personality: 8,
  prctl: 32,
  ioctl: 64,
  setns: 8,
}

/** What the kernel refused because the recording reached a quota: nested namespaces not followed, calls not stored. */
export interface QuotaExceeded {
  nested: number
  words: number
}

export const quotaExceeded = (quota: QuotaExceeded | undefined): boolean =>
  quota !== undefined && (quota.nested > 0 || quota.words > 0)
