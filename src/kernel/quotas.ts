/** The kernel recorder's per-recording quotas (SCR_NESTED_QUOTA, SCR_WORDS_QUOTA in bpf/recorder.h). */
export const KERNEL_QUOTAS = {
  /** Live nested mount namespaces followed per recording. */
  nestedNamespaces: 32,
  /** Syscall numbers no ABI has (x86_64 >= 512, ia32/x32 >= 576) stored per recording: 4 words of 64. */
  unknownNumbers: 4 * 64,
} as const

/** What the kernel refused because the recording reached a quota: nested namespaces not followed, calls not stored. */
export interface QuotaExceeded {
  nested: number
  words: number
}

export const quotaExceeded = (quota: QuotaExceeded | undefined): boolean =>
  quota !== undefined && (quota.nested > 0 || quota.words > 0)
