/**
 * What the end-to-end tests need from the real machine: root, BTF, tracefs and bpffs, the built helper,
 * busybox root filesystems, runc/crun bundles and podman invocations with the flags this machine needs
 * (docs/TESTING.md). A missing prerequisite fails loudly with the reason and the fix — never a silent skip.
 */
import {execFileSync, spawn, spawnSync, type ChildProcess} from 'node:child_process'
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {ensureHelper} from '../../src/kernel/native-helper.js'
import {REPO_ROOT, runCli, type CliRun} from '../helpers/cli.js'

export const BUSYBOX = '/bin/busybox'

/**
 * The syscalls a profile allows, each once, sorted: the names of its SCMP_ACT_ALLOW rules, with or without argument
 * conditions (an argument-aware profile has one rule per recorded value, and an ERRNO rule for clone3).
 */
export function allowedSyscallNames(profile: {
  syscalls?: ReadonlyArray<{names: string[]; action: string}> | null
}): string[] {
  const allowed = (profile.syscalls ?? []).filter((rule) => rule.action === 'SCMP_ACT_ALLOW')
  return [...new Set(allowed.flatMap((rule) => rule.names))].sort()
}

/** allowedSyscallNames of a profile file. */
export const allowedSyscallNamesIn = (path: string): string[] =>
  allowedSyscallNames(JSON.parse(readFileSync(path, 'utf8')) as Parameters<typeof allowedSyscallNames>[0])

function which(command: string): string | undefined {
  const result = spawnSync('sh', ['-c', `command -v ${command}`], {encoding: 'utf8'})
  return result.status === 0 ? result.stdout.trim() : undefined
}

/** Fails with the reason and the fix when the machine cannot run the end-to-end tier. */
export function requireKernelPrerequisites(): void {
  const problems: string[] = []
  if (process.getuid?.() !== 0)
    problems.push('not root: the e2e tests load BPF programs and start containers (run as root)')
  if (!existsSync('/sys/kernel/btf/vmlinux'))
    problems.push('no /sys/kernel/btf/vmlinux: the kernel lacks BTF (CONFIG_DEBUG_INFO_BTF=y is needed)')
  for (const [command, pkg] of [
    ['clang', 'clang'],
    ['bpftool', 'bpftool'],
    ['runc', 'runc'],
    ['crun', 'crun'],
    ['podman', 'podman'],
  ] as const) {
    if (!which(command)) problems.push(`${command} not found: apt-get install ${pkg} (or run bash .ci/setup)`)
  }
  if (!existsSync(BUSYBOX)) problems.push(`${BUSYBOX} not found: apt-get install busybox-static`)
  if (problems.length > 0) throw new Error(`end-to-end prerequisites missing:\n- ${problems.join('\n- ')}`)
}

/** crun refuses this machine's hybrid cgroup layout unless hugetlb is mounted as a v1 hierarchy (docs/TESTING.md). */
export function prepareCgroupsForCrun(): void {
  if (readFileSync('/proc/self/mounts', 'utf8').includes(' /sys/fs/cgroup/hugetlb ')) return
  if (!existsSync('/sys/fs/cgroup/unified')) return
  mkdirSync('/sys/fs/cgroup/hugetlb', {recursive: true})
  execFileSync('mount', ['-t', 'cgroup', '-o', 'hugetlb', 'cgroup', '/sys/fs/cgroup/hugetlb'])
}

let helper: string | undefined
/** The native helper, built on first use (clang, CO-RE against the running kernel). */
export async function nativeHelper(): Promise<string> {
  helper ??= await ensureHelper()
  return helper
}

/**
 * `unshare --mount --propagation private COMMAND…` once it is in its new mount namespace (polled, not guessed: on
 * a loaded machine the child may take a while): the process and its namespace's inode number.
 */
export async function inNewMountNamespace(command: string[]): Promise<{child: ChildProcess; mntns: number}> {
  const child = spawn('unshare', ['--mount', '--propagation', 'private', ...command], {stdio: 'ignore'})
  const ours = statSync('/proc/self/ns/mnt').ino
  for (let waited = 0; waited < 10_000; waited += 20) {
    try {
      const mntns = statSync(`/proc/${child.pid}/ns/mnt`).ino
      if (mntns !== ours) return {child, mntns}
    } catch {
      // not started yet, or already gone (then the deadline says so)
    }
    await sleep(20)
  }
  child.kill('SIGKILL')
  throw new Error(`unshare ${command.join(' ')} did not enter a new mount namespace within 10 s`)
}

/** Kills a child and resolves once it has exited (at once if it already had). */
export function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGKILL')
  return exited
}

/** A directory with a root filesystem holding busybox and its applet links. */
export function busyboxRootfs(parent = mkdtempSync(join(tmpdir(), 'scr-rootfs-'))): string {
  const rootfs = join(parent, 'rootfs')
  for (const dir of ['bin', 'tmp', 'proc', 'dev', 'sys', 'etc']) mkdirSync(join(rootfs, dir), {recursive: true})
  chmodSync(join(rootfs, 'tmp'), 0o1777)
  copyFileSync(BUSYBOX, join(rootfs, 'bin', 'busybox'))
  chmodSync(join(rootfs, 'bin', 'busybox'), 0o755)
  for (const applet of [
    'sh',
    'true',
    'false',
    'cat',
    'echo',
    'ls',
    'sleep',
    'uname',
    'mkdir',
    'rm',
    'wc',
    'head',
    'id',
    'hostname',
    'touch',
    'sync',
  ]) {
    if (!existsSync(join(rootfs, 'bin', applet))) symlinkSync('busybox', join(rootfs, 'bin', applet))
  }
  writeFileSync(join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/:/bin/sh\n')
  return rootfs
}

export interface BundleOptions {
  args: string[]
  hooks?: {prestart?: Array<{path: string; args?: string[]}>; poststop?: Array<{path: string; args?: string[]}>}
  seccomp?: object
  annotations?: Record<string, string>
  noNewPrivileges?: boolean
}

/** An OCI bundle for `runc run` / `crun run`: config.json as `runc spec` writes it, adjusted. */
export function ociBundle(options: BundleOptions): string {
  const bundle = mkdtempSync(join(tmpdir(), 'scr-bundle-'))
  busyboxRootfs(bundle)
  const caps = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE']
  const config = {
    ociVersion: '1.0.2-dev',
    process: {
      terminal: false,
      user: {uid: 0, gid: 0},
      args: options.args,
      env: ['PATH=/bin', 'HOME=/'],
      cwd: '/',
      capabilities: {bounding: caps, effective: caps, permitted: caps, ambient: caps},
      rlimits: [{type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024}],
      noNewPrivileges: options.noNewPrivileges ?? true,
    },
    root: {path: 'rootfs', readonly: false},
    hostname: 'scr-test',
    mounts: [
      {destination: '/proc', type: 'proc', source: 'proc'},
      {
        destination: '/dev',
        type: 'tmpfs',
        source: 'tmpfs',
        options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
      },
      {destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro']},
    ],
    ...(options.annotations ? {annotations: options.annotations} : {}),
    ...(options.hooks ? {hooks: options.hooks} : {}),
    linux: {
      namespaces: [{type: 'pid'}, {type: 'network'}, {type: 'ipc'}, {type: 'uts'}, {type: 'mount'}],
      maskedPaths: ['/proc/kcore', '/proc/keys', '/sys/firmware'],
      readonlyPaths: ['/proc/bus', '/proc/sys', '/proc/sysrq-trigger'],
      ...(options.seccomp ? {seccomp: options.seccomp} : {}),
    },
  }
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(config, null, 2))
  return bundle
}

let counter = 0
export function containerName(prefix: string): string {
  counter += 1
  return `scr-${prefix}-${process.pid}-${counter}`
}

/** podman reads --annotation as a CSV list: a value holding a quote or comma (JSON, say) is quoted as one field. */
const csvField = (text: string) => (/[",]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text)

/** `podman run` with the flags this machine needs (docs/TESTING.md); returns the arguments after `podman`. */
export function podmanRunArgs(options: {
  runtime: 'runc' | 'crun'
  rootfs: string
  args: string[]
  name?: string
  hooksDir?: string
  annotations?: Record<string, string>
  seccomp?: string
  capAdd?: string[]
  /** Seconds after which conmon kills the container (a hung workload fails the test instead of stalling it). */
  timeout?: number
}): string[] {
  return [
    '--runtime',
    options.runtime,
    '--storage-driver',
    'vfs',
    '--cgroup-manager',
    'cgroupfs',
    '--events-backend',
    'file',
    ...(options.hooksDir ? ['--hooks-dir', options.hooksDir] : []),
    'run',
    '--rm',
    '--network',
    'none',
    '--ulimit',
    'nofile=1024:1024',
    '--ulimit',
    'nproc=1024:1024',
    ...(options.name ? ['--name', options.name] : []),
    ...Object.entries(options.annotations ?? {}).flatMap(([k, v]) => ['--annotation', csvField(`${k}=${v}`)]),
    ...(options.seccomp ? ['--security-opt', `seccomp=${options.seccomp}`] : []),
    ...(options.capAdd ?? []).flatMap((cap) => ['--cap-add', cap]),
    ...(options.timeout === undefined ? [] : ['--timeout', String(options.timeout)]),
    '--rootfs',
    options.rootfs,
    ...options.args,
  ]
}

export const CLI = join(REPO_ROOT, 'bin', 'run.js')

/** Starts `record --json --output FILE -- COMMAND` in the background; resolves with its exit code and JSON. */
export function recordInBackground(
  env: NodeJS.ProcessEnv,
  output: string,
  command: string[],
): Promise<{code: number | null; stdout: string; stderr: string}> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'record', '--json', '--output', output, '--', ...command], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    child.on('close', (code) => resolve({code, stdout, stderr}))
  })
}

/** The hook installed into temp paths below one directory: what install, the hooks and the CLI are pointed at. */
export interface TempHook {
  /** SECCOMP_RECORDER_LIBEXEC, _INSTALL_MANIFEST and _CONFIG below the directory. */
  env: {SECCOMP_RECORDER_LIBEXEC: string; SECCOMP_RECORDER_INSTALL_MANIFEST: string; SECCOMP_RECORDER_CONFIG: string}
  hooksDir: string
  out: string
  store: string
  spool: string
}

/** The paths of a TempHook below `dir` (`out`: an output root shared with other layouts); nothing is written. */
export function tempHook(dir: string, options: {out?: string} = {}): TempHook {
  return {
    env: {
      SECCOMP_RECORDER_LIBEXEC: join(dir, 'libexec'),
      SECCOMP_RECORDER_INSTALL_MANIFEST: join(dir, 'install.json'),
      SECCOMP_RECORDER_CONFIG: join(dir, 'config.yaml'),
    },
    hooksDir: join(dir, 'hooks.d'),
    out: options.out ?? join(dir, 'out'),
    store: join(dir, 'store'),
    spool: join(dir, 'spool'),
  }
}

/** Writes the hook's config: its output root, store and spool, then `extra` (YAML lines). */
export function writeTempHookConfig(hook: TempHook, extra = ''): void {
  mkdirSync(dirname(hook.env.SECCOMP_RECORDER_CONFIG), {recursive: true})
  writeFileSync(
    hook.env.SECCOMP_RECORDER_CONFIG,
    `outputRoots: [${hook.out}]\nstore: ${hook.store}\nspool: ${hook.spool}\n${extra}`,
  )
}

/**
 * Writes the config (with `extraConfig`) and runs `install --json --hooks-dir` into the temp paths, with `env`
 * (the hook's own unless given); a failed install fails the test. Returns the run (its stdout is install's JSON).
 */
export function installTempHook(hook: TempHook, options: {extraConfig?: string; env?: NodeJS.ProcessEnv} = {}): CliRun {
  writeTempHookConfig(hook, options.extraConfig)
  const installed = runCli(['install', '--json', '--hooks-dir', hook.hooksDir], {env: options.env ?? hook.env})
  if (installed.status !== 0)
    throw new Error(`seccomp-recorder install failed (${installed.status}): ${installed.stderr}`)
  return installed
}
