import {readlink, realpath} from 'node:fs/promises'
import {basename, dirname, normalize, resolve, sep} from 'node:path'

/**
 * Whether two directories share files: equal, or one inside the other. Paths are compared normalised and
 * absolute, as written and with the symlinks of their existing prefixes resolved, so `/var/lib/x` and a symlink
 * to it are caught, and so is a path that only reaches the other through a symlinked parent.
 */

/** A path normalised: `.`, `..` and repeated or trailing slashes gone (`/` stays `/`). */
export function normalisedPath(path: string): string {
  const normal = normalize(path)
  return normal.length > 1 ? normal.replace(/\/+$/, '') : normal
}

/** Symlinks followed at most while resolving one path (as the kernel's MAXSYMLINKS): beyond, a loop. */
const MAX_SYMLINKS = 40

/**
 * The path with the symlinks of its existing prefixes resolved (a dangling symlink to where its target would be);
 * the part that does not exist is kept as written.
 */
export async function resolvedPath(path: string, budget = MAX_SYMLINKS): Promise<string> {
  const normal = normalisedPath(path)
  try {
    return await realpath(normal)
  } catch {
    // Missing, dangling, not a directory or a loop: resolve the parent, then this component.
    const parent = dirname(normal)
    if (parent === normal) return normal
    const here = normalisedPath(`${await resolvedPath(parent, budget)}${sep}${basename(normal)}`)
    const target = await readlink(here).catch(() => undefined)
    return target === undefined || budget <= 0 ? here : resolvedPath(resolve(dirname(here), target), budget - 1)
  }
}

/** `inner` is `outer` or lies below it (both normalised). */
export function isWithin(inner: string, outer: string): boolean {
  return inner === outer || outer === sep || inner.startsWith(`${outer}${sep}`)
}

const lexicalOverlap = (a: string, b: string) => isWithin(a, b) || isWithin(b, a)

/** Whether a and b overlap as written or once symlinks are resolved. */
export async function pathsOverlap(a: string, b: string): Promise<boolean> {
  if (lexicalOverlap(normalisedPath(a), normalisedPath(b))) return true
  return lexicalOverlap(await resolvedPath(a), await resolvedPath(b))
}
