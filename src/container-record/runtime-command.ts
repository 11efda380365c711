import {UserError} from '../core/errors.js'
import {EXIT} from '../core/exit-codes.js'

/**
 * The runtime command lines of `record --podman` and `record --bundle`. What the machine needs (podman's
 * --ulimit, storage driver, cgroup manager, events backend) is the user's to pass: it is passed through unchanged.
 */

export type ContainerRuntime = 'runc' | 'crun'

/**
 * `podman run` flags that end a run before the container does, or that would add hooks other than ours: refused.
 * podman stops reading its flags at the first argument that is not one (the image, or the --rootfs directory),
 * so only the tokens before it are looked at; a flag's separate value is skipped when the flag is one of the
 * common value-taking ones, and the scan stops at the first token it cannot place.
 */
const PODMAN_VALUE_FLAGS = new Set(
  (
    'a attach add-host annotation blkio-weight c cap-add cap-drop cgroup-manager cgroup-parent cgroupns cidfile ' +
    'conmon-pidfile cpu-shares cpus cpuset-cpus device dns e entrypoint env env-file events-backend expose ' +
    'group-add h health-cmd hostname ipc l label label-file log-driver log-opt m memory mount name network ' +
    'network-alias pid pidfile platform pod pull restart root runroot runtime security-opt shm-size ' +
    'stop-signal stop-timeout storage-driver storage-opt sysctl timeout tmpfs u uidmap gidmap ulimit user ' +
    'userns uts v volume volumes-from w workdir'
  ).split(' '),
)

/** The value of `--flag V` / `--flag=V` among podman's own flags, if given. */
export function podmanFlagValue(args: readonly string[], flag: string): string | undefined {
  const options = podmanOptions(args)
  for (let i = 0; i < options.length; i++) {
    if (options[i] === `--${flag}`) return options[i + 1]
    if (options[i]!.startsWith(`--${flag}=`)) return options[i]!.slice(flag.length + 3)
  }
  return undefined
}

/** The tokens podman reads as its own flags (and their values): those before the image or --rootfs directory. */
export function podmanOptions(args: readonly string[]): string[] {
  const options: string[] = []
  for (let i = 0; i < args.length; i++) {
    const token = args[i]!
    if (token === '--' || !token.startsWith('-')) break
    options.push(token)
    const name = token.replace(/^--?/, '')
    if (!token.includes('=') && PODMAN_VALUE_FLAGS.has(name) && i + 1 < args.length) options.push(args[++i]!)
  }
  return options
}

/** Refuses podman arguments that would defeat a one-run recording. */
export function checkPodmanArguments(args: readonly string[]): void {
  const refuse = (what: string, why: string) =>
    new UserError(`record --podman: ${what} ${why}`, {exit: EXIT.USAGE, code: 'bad-arguments'})
  if (args.length === 0) throw refuse('needs', 'the arguments of `podman run` after --')
  if (args[0] === 'run') throw refuse('takes', 'the arguments after `podman run`: leave out `run`')
  for (const token of podmanOptions(args)) {
    if (token === '--hooks-dir' || token.startsWith('--hooks-dir='))
      throw refuse('--hooks-dir', 'is not allowed: the run uses a hooks directory of its own')
    if (token === '--detach' || token === '--detach=true' || /^-[a-zA-Z]*d[a-zA-Z]*$/.test(token))
      throw refuse('--detach', 'is not allowed: a run is recorded to its end (podman run without -d)')
  }
}

/** `podman [--runtime R] --hooks-dir H run --cidfile C --annotation K=V… ARGS` */
export function podmanCommand(options: {
  runtime?: ContainerRuntime
  hooksDir: string
  cidfile: string | null
  annotations: Record<string, string>
  args: readonly string[]
}): string[] {
  return [
    ...(options.runtime ? ['--runtime', options.runtime] : []),
    '--hooks-dir',
    options.hooksDir,
    'run',
    ...(options.cidfile === null ? [] : ['--cidfile', options.cidfile]),
    ...Object.entries(options.annotations).flatMap(([k, v]) => ['--annotation', `${k}=${v}`]),
    ...options.args,
  ]
}

/** `runc|crun --root STATE run [ARGS] --bundle BUNDLE ID`: a state directory of its own, so nothing stays behind. */
export function bundleCommand(options: {
  stateDir: string
  bundle: string
  id: string
  args: readonly string[]
}): string[] {
  return ['--root', options.stateDir, 'run', ...options.args, '--bundle', options.bundle, options.id]
}
