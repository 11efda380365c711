/**
 * A containerd of the test's own, started from Debian's package: its own config.toml, root, state, gRPC and ttrpc
 * sockets in a temp dir, the CRI plugin with runc (cgroupfs) as its default runtime handler (more, by name, with
 * `otherHandlers`), the overlayfs snapshotter and a sandbox (pause) image imported from a local archive. The host's containerd, if any, is never touched.
 * Stopping it stops what it still runs (its shims are killed by pid, found by the socket address they were given),
 * unmounts what is left below the temp dir and removes it.
 *
 * Outside the temp dir: containerd 1.6 puts its shims' sockets in /run/containerd/s (fixed in the shim, not
 * configurable); they go when the shims exit, and /run/containerd is removed again if this daemon made it and it
 * is empty. Pods get a cgroup parent of the test's own (`cgroupParent`), removed once empty.
 */
import {execFileSync, spawn, spawnSync, type ChildProcess} from 'node:child_process'
import {existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {CriClient} from './cri-client.js'

export const SNAPSHOTTER = 'overlayfs'
/** Plugins the CRI tests never use: the other snapshotters and tracing (the v1 runtime stays: 1.6's tasks service needs it). */
const DISABLED_PLUGINS = [
  'io.containerd.snapshotter.v1.aufs',
  'io.containerd.snapshotter.v1.btrfs',
  'io.containerd.snapshotter.v1.devmapper',
  'io.containerd.snapshotter.v1.zfs',
  'io.containerd.snapshotter.v1.native',
  'io.containerd.tracing.processor.v1.otlp',
  'io.containerd.internal.v1.tracing',
]

export interface RuntimeHandlerOptions {
  /** A base OCI runtime spec for every CRI container of the handler (containerd's `base_runtime_spec`). */
  baseRuntimeSpec?: string
  /** Pod annotation key patterns passed through into each container's OCI spec (`pod_annotations`). */
  podAnnotations?: string[]
  /** Container annotation key patterns passed through (`container_annotations`). */
  containerAnnotations?: string[]
}

export interface ContainerdOptions extends RuntimeHandlerOptions {
  /** The temp dir everything of this daemon lives in. */
  dir: string
  /** The image CRI runs each pod's sandbox container from (imported before the first RunPodSandbox). */
  sandboxImage: string
  /** More runtime handlers by name (a pod picks one with RunPodSandbox's runtime_handler), e.g. one without our base spec. */
  otherHandlers?: Record<string, RuntimeHandlerOptions>
}

const toml = (value: string) => JSON.stringify(value)
const tomlList = (values: string[]) => `[${values.map(toml).join(', ')}]`

/** containerd's config.toml (version 2) for a daemon confined to `dir`. */
export function containerdConfig(options: ContainerdOptions, runc: string): string {
  const d = options.dir
  return [
    'version = 2',
    `root = ${toml(join(d, 'root'))}`,
    `state = ${toml(join(d, 'state'))}`,
    `disabled_plugins = ${tomlList(DISABLED_PLUGINS)}`,
    '',
    '[grpc]',
    `  address = ${toml(join(d, 'containerd.sock'))}`,
    '[ttrpc]',
    `  address = ${toml(join(d, 'containerd-ttrpc.sock'))}`,
    '[debug]',
    `  address = ""`,
    '  level = "info"',
    '[metrics]',
    '  address = ""',
    '',
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = ${toml(join(d, 'opt'))}`,
    '[plugins."io.containerd.grpc.v1.cri"]',
    `  sandbox_image = ${toml(options.sandboxImage)}`,
    '  stream_server_address = "127.0.0.1"',
    '  stream_server_port = "0"',
    '  enable_selinux = false',
    '  disable_apparmor = true',
    '  restrict_oom_score_adj = true',
    '[plugins."io.containerd.grpc.v1.cri".cni]',
    `  bin_dir = ${toml(join(d, 'cni', 'bin'))}`,
    `  conf_dir = ${toml(join(d, 'cni', 'conf'))}`,
    '[plugins."io.containerd.grpc.v1.cri".containerd]',
    `  snapshotter = ${toml(SNAPSHOTTER)}`,
    '  default_runtime_name = "runc"',
    ...runcHandler('runc', options, runc, d),
    ...Object.entries(options.otherHandlers ?? {}).flatMap(([name, handler]) => runcHandler(name, handler, runc, d)),
    '',
  ].join('\n')
}

/** A runtime handler's tables: runc (cgroupfs, its state below `dir`), with the handler's base spec and annotation patterns. */
function runcHandler(name: string, options: RuntimeHandlerOptions, runc: string, dir: string): string[] {
  const handler = `[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.${toml(name)}]`
  return [
    handler,
    '  runtime_type = "io.containerd.runc.v2"',
    ...(options.baseRuntimeSpec ? [`  base_runtime_spec = ${toml(options.baseRuntimeSpec)}`] : []),
    ...(options.podAnnotations ? [`  pod_annotations = ${tomlList(options.podAnnotations)}`] : []),
    ...(options.containerAnnotations ? [`  container_annotations = ${tomlList(options.containerAnnotations)}`] : []),
    `${handler.slice(0, -1)}.options]`,
    `  BinaryName = ${toml(runc)}`,
    `  Root = ${toml(join(dir, 'runc'))}`,
    '  SystemdCgroup = false',
  ]
}

function which(command: string): string | undefined {
  const result = spawnSync('sh', ['-c', `command -v ${command}`], {encoding: 'utf8'})
  return result.status === 0 ? result.stdout.trim() : undefined
}

/** Fails with the reason and the fix when the machine lacks what the containerd tests need. */
export function requireContainerdPrerequisites(): void {
  const problems: string[] = []
  for (const [command, pkg] of [
    ['containerd', 'containerd'],
    ['ctr', 'containerd'],
    ['containerd-shim-runc-v2', 'containerd'],
    ['runc', 'runc'],
    ['dpkg-deb', 'dpkg'],
    ['ldd', 'libc-bin'],
  ] as const) {
    if (!which(command)) problems.push(`${command} not found: apt-get install ${pkg} (or run bash .ci/setup)`)
  }
  if (!readFileSync('/proc/filesystems', 'utf8').includes('\toverlay\n'))
    problems.push('the kernel has no overlay file system (the tests use the overlayfs snapshotter): modprobe overlay')
  if (problems.length > 0) throw new Error(`containerd end-to-end prerequisites missing:\n- ${problems.join('\n- ')}`)
}

/** The runtime directory 1.6 shims use whatever the config says. */
const SHIM_RUN_DIR = '/run/containerd'

export class Containerd {
  readonly socket: string
  readonly client: CriClient
  /** The cgroup parent for this daemon's pods (cgroupfs: one directory per hierarchy), removed at stop. */
  readonly cgroupParent = `/scr-e2e-containerd-${process.pid}`
  private readonly madeShimRunDir = !existsSync(SHIM_RUN_DIR)
  private constructor(
    readonly options: ContainerdOptions,
    private readonly child: ChildProcess,
    readonly log: string,
  ) {
    this.socket = join(options.dir, 'containerd.sock')
    this.client = new CriClient(this.socket)
  }

  /** Starts the daemon and resolves once its CRI service answers Version (or fails with its log's tail). */
  static async start(options: ContainerdOptions, timeoutMs = 30_000): Promise<Containerd> {
    for (const sub of ['root', 'state', 'opt', 'cni/bin', 'cni/conf'])
      mkdirSync(join(options.dir, sub), {recursive: true})
    const config = join(options.dir, 'config.toml')
    writeFileSync(config, containerdConfig(options, which('runc') ?? 'runc'))
    const log = join(options.dir, 'containerd.log')
    const out = openSync(log, 'a')
    const child = spawn('containerd', ['--config', config], {stdio: ['ignore', out, out]})
    const daemon = new Containerd(options, child, log)
    const deadline = Date.now() + timeoutMs
    let last = 'socket not there yet'
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        const tail = daemon.logTail()
        await daemon.stop()
        throw new Error(`containerd exited (${child.exitCode ?? child.signalCode}) while starting:\n${tail}`)
      }
      if (existsSync(daemon.socket)) {
        try {
          const version = await daemon.client.version()
          if (version.runtime_api_version === 'v1') return daemon
          last = `runtime API ${version.runtime_api_version}, expected v1`
        } catch (error) {
          last = (error as Error).message
        }
      }
      await sleep(100)
    }
    const tail = daemon.logTail()
    await daemon.stop()
    throw new Error(`containerd did not answer the CRI Version call within ${timeoutMs} ms (${last}):\n${tail}`)
  }

  logTail(lines = 30): string {
    try {
      return readFileSync(this.log, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
    } catch {
      return '(no log)'
    }
  }

  /** `ctr images import` of an OCI archive into the CRI namespace, unpacked for the CRI's snapshotter. */
  importImage(archive: string): void {
    const result = spawnSync(
      'ctr',
      ['--address', this.socket, '--namespace', 'k8s.io', 'images', 'import', '--snapshotter', SNAPSHOTTER, archive],
      {encoding: 'utf8', timeout: 60_000},
    )
    if (result.status !== 0)
      throw new Error(
        `ctr images import ${archive} failed (${result.status ?? result.signal}): ${result.stderr}${result.error?.message ?? ''}`,
      )
  }

  /** The shims this daemon started: containerd-shim-runc-v2 processes given this daemon's socket address. */
  shimPids(): number[] {
    const pids: number[] = []
    for (const entry of readdirSync('/proc')) {
      if (!/^[0-9]+$/.test(entry)) continue
      try {
        const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')
        if (argv[0]?.endsWith('containerd-shim-runc-v2') && argv.includes(this.socket)) pids.push(Number(entry))
      } catch {
        // gone meanwhile
      }
    }
    return pids
  }

  /** Stops the daemon, kills its shims (by pid), unmounts what is still mounted below its dir and removes the dir. */
  async stop(): Promise<void> {
    this.client.close()
    const shims = this.shimPids()
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()))
      this.child.kill('SIGTERM')
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
    }
    for (const pid of [...new Set([...shims, ...this.shimPids()])]) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
    unmountBelow(this.options.dir)
    rmSync(this.options.dir, {recursive: true, force: true})
    removeCgroups(this.cgroupParent)
    if (this.madeShimRunDir) removeEmptyDirs(SHIM_RUN_DIR)
  }
}

/** Removes a cgroupfs cgroup and its children in every hierarchy, where empty (a cgroup in use stays). */
function removeCgroups(cgroup: string): void {
  for (const hierarchy of readdirSync('/sys/fs/cgroup')) removeEmptyDirs(join('/sys/fs/cgroup', hierarchy, cgroup))
}

/** rmdir of `dir` and every directory below it, deepest first; a directory that is not empty stays. */
function removeEmptyDirs(dir: string): void {
  let entries: string[]
  try {
    entries = readdirSync(dir, {withFileTypes: true})
      .filter((e) => e.isDirectory() && !e.isSymbolicLink())
      .map((e) => e.name)
  } catch {
    return
  }
  for (const entry of entries) removeEmptyDirs(join(dir, entry))
  try {
    rmdirSync(dir)
  } catch {
    // not empty (or not ours to remove): left alone
  }
}

/** Lazily unmounts every mount point at or below `dir`, deepest first. */
export function unmountBelow(dir: string): void {
  const mountPoints = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point): point is string => point !== undefined && (point === dir || point.startsWith(`${dir}/`)))
    .map((point) => point.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))))
    .sort((a, b) => b.length - a.length)
  for (const point of mountPoints) spawnSync('umount', ['-l', point])
}

/** `ctr oci spec`: containerd's default OCI spec for a container, the base a `base_runtime_spec` must start from. */
export function containerdDefaultSpec(): Record<string, unknown> {
  return JSON.parse(execFileSync('ctr', ['oci', 'spec'], {encoding: 'utf8'})) as Record<string, unknown>
}
