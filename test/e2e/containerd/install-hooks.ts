/**
 * How the containerd tests put our hooks into containerd: a base runtime spec holding our prestart and poststop
 * hooks (containerd reads no hooks.d), and the annotation patterns the runc handler passes through.
 */
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {runCli} from '../../helpers/cli.js'
import {containerdDefaultSpec, type RuntimeHandlerOptions} from './containerd-daemon.js'

/** Our annotation keys, as containerd's `pod_annotations`/`container_annotations` patterns (Go path.Match: `*` matches no `/`). */
export const OUR_ANNOTATION_PATTERNS = ['seccomp-recorder.io/*', 'io.containers.trace-syscall', 'io.containers.trace-syscall/*']

/**
 * Installs the hooks for a test containerd: the runc handler's settings to give `Containerd.start`.
 *
 * Until `seccomp-recorder install --containerd` lands (branch install14) this does what it will do: containerd's
 * default spec (`ctr oci spec`) as the CRI uses it without a base spec (no default rlimits, AppArmor profile or
 * seccomp filter), with our hooks added by `install --oci-config` (into temp locations: `env` carries
 * SECCOMP_RECORDER_LIBEXEC, SECCOMP_RECORDER_INSTALL_MANIFEST and SECCOMP_RECORDER_CONFIG), and our annotation
 * patterns. At merge this becomes one `install --containerd` call.
 */
export function installHooksForContainerd(env: NodeJS.ProcessEnv, work: string): RuntimeHandlerOptions {
  const baseRuntimeSpec = join(work, 'containerd-base-spec.json')
  const spec = containerdDefaultSpec() as {process?: Record<string, unknown>; linux?: Record<string, unknown>}
  const {rlimits: _rlimits, apparmorProfile: _apparmor, ...process} = spec.process ?? {}
  const {seccomp: _seccomp, ...linux} = spec.linux ?? {}
  writeFileSync(baseRuntimeSpec, JSON.stringify({...spec, process, linux}, null, 2))
  const installed = runCli(['install', '--json', '--hooks-dir', join(work, 'hooks.d'), '--oci-config', baseRuntimeSpec], {env})
  if (installed.status !== 0) throw new Error(`seccomp-recorder install for containerd failed (${installed.status}): ${installed.stderr}`)
  return {baseRuntimeSpec, podAnnotations: OUR_ANNOTATION_PATTERNS, containerAnnotations: OUR_ANNOTATION_PATTERNS}
}
