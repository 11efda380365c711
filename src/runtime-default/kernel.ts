import {release} from 'node:os'
import {EXIT} from '../core/exit-codes.js'
import {UserError} from '../core/errors.js'

export interface KernelVersion {
  major: number
  minor: number
  patch: number
}

/**
 * `6.18.44-fc-v595`, `4.8`, `5.10.0-28-amd64` → {major, minor, patch} (missing parts are 0). The leading
 * `major.minor` is required, as in moby's kernel.ParseRelease; a UserError otherwise.
 */
export function parseKernelVersion(value: string): KernelVersion {
  const match = /^\s*(\d+)\.(\d+)(?:\.(\d+))?/.exec(value)
  if (!match) {
    throw new UserError(`not a kernel version: "${value}"`, {
      exit: EXIT.USAGE,
      code: 'bad-kernel-version',
      suggestions: ['write it like 6.1 or 5.15.0-91-generic (what `uname -r` prints)'],
    })
  }
  return {major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3] ?? 0)}
}

export function compareKernelVersions(a: KernelVersion, b: KernelVersion): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch
}

/** True when `running` is `minimum` or newer (moby's kernelGreaterEqualThan). */
export function kernelAtLeast(running: KernelVersion, minimum: string): boolean {
  return compareKernelVersions(running, parseKernelVersion(minimum)) >= 0
}

/** The running kernel's release string (`uname -r`). */
export function runningKernel(): string {
  return release()
}

export function formatKernelVersion(v: KernelVersion): string {
  return `${v.major}.${v.minor}.${v.patch}`
}
