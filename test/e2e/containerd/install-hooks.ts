/**
 * How the containerd tests and bench:cri put our hooks into containerd: `seccomp-recorder install --containerd`, as on a
 * node, into temp locations (`env` carries SECCOMP_RECORDER_LIBEXEC, _INSTALL_MANIFEST, _CONFIG and
 * _CONTAINERD_SPEC). It writes the base runtime spec holding our prestart and poststop hooks (containerd reads no
 * hooks.d) and plans the runc handler's lines; the daemon of the test writes those same settings into its own config.
 */
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {ANNOTATION_PASSTHROUGH} from '../../../src/install/containerd.js'
import type {InstallResult} from '../../../src/install/install.js'
import {runCli} from '../../helpers/cli.js'
import type {RuntimeHandlerOptions} from './containerd-daemon.js'

/** Installs the hooks for a test containerd and returns the runc handler's settings to give `Containerd.start`. */
export function installHooksForContainerd(
  env: NodeJS.ProcessEnv & {SECCOMP_RECORDER_CONTAINERD_SPEC: string},
  work: string,
): RuntimeHandlerOptions {
  // install plans its lines against a containerd config; the test daemon's own config is written by Containerd.start.
  const plannedAgainst = join(work, 'containerd-config-for-install.toml')
  writeFileSync(plannedAgainst, 'version = 2\n')
  const installed = runCli(['install', '--json', '--containerd-config', plannedAgainst], {env})
  if (installed.status !== 0)
    throw new Error(`seccomp-recorder install --containerd failed (${installed.status}): ${installed.stderr}`)
  const baseRuntimeSpec = (JSON.parse(installed.stdout) as InstallResult).containerd?.baseSpec
  if (baseRuntimeSpec === undefined) throw new Error(`install --containerd reported no base spec: ${installed.stdout}`)
  return {
    baseRuntimeSpec,
    podAnnotations: [...ANNOTATION_PASSTHROUGH],
    containerAnnotations: [...ANNOTATION_PASSTHROUGH],
  }
}
