import type {SeccompProfile} from './model.js'

/**
 * Complain mode: the same profile with `SCMP_ACT_LOG` as its default action, so every call the enforcing profile
 * would deny by default goes through (the kernel logs it, and the recorder sees it: seccomp decides before the
 * sys_enter tracepoint, so a denied call would never be recorded, a logged one is). The profile's own rules stay
 * as they are: an explicit `SCMP_ACT_ERRNO` rule (clone3 → ENOSYS, so the C library falls back to an
 * argument-restricted clone) behaves as under enforcement.
 */
export function complainProfile(profile: SeccompProfile): SeccompProfile {
  const {defaultErrnoRet: _errno, defaultErrno: _errnoName, ...rest} = profile
  return {...rest, defaultAction: 'SCMP_ACT_LOG'}
}

/** `<name>.complain`: how the complain variant of a profile is named next to it (store, publish tree). */
export const COMPLAIN_SUFFIX = '.complain'

/** A profile in complain mode: nothing is denied by default, calls outside its rules are logged. */
export const isComplainProfile = (profile: Pick<SeccompProfile, 'defaultAction'>): boolean =>
  profile.defaultAction === 'SCMP_ACT_LOG'
