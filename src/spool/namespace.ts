/**
 * Which mount namespace a note, a kernel target, an orphan file or a `record` run belongs to. A namespace is known
 * by its inode number (what the kernel recorder keys its targets by, reused as soon as the namespace dies) and,
 * on Linux ≥ 6.8, by its ns_id (NS_GET_MNTNS_ID: never reused within a boot).
 */
export interface NamespaceRef {
  /** The inode number; 0: unknown (an orphan file's name carries only the ns_id). */
  mntns: number
  /** 0 or undefined: unknown (kernels without ns ids). */
  ns_id?: number
}

/**
 * Whether a and b are the same namespace: the ns_id decides when both know it (and the inode numbers, where both
 * are known, agree); without it, the inode number alone. The one ownership check of the spool stage: a kernel
 * target or an orphan belongs to a note, a note claims a target, a `record` marker still has its target.
 */
export function sameNamespace(a: NamespaceRef, b: NamespaceRef): boolean {
  if (a.ns_id && b.ns_id) return a.ns_id === b.ns_id && (!a.mntns || !b.mntns || a.mntns === b.mntns)
  return a.mntns === b.mntns
}

/** `mount namespace N (ns_id M)`, as messages and gc's report name a namespace. */
export function describeNamespace(ns: NamespaceRef): string {
  return `mount namespace ${ns.mntns}${ns.ns_id ? ` (ns_id ${ns.ns_id})` : ''}`
}
