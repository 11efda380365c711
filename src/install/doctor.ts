import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {execa} from 'execa'
import {loadConfig} from '../config/config.js'
import {helperStatus, helperPath, type HelperStatus} from '../kernel/native-helper.js'
import {systemFlock} from '../fs/lock.js'
import {readManifest, type InstallManifest} from './install.js'
import {
  containerdDefaultSpec,
  containerdVersion,
  hasOurSettings,
  parseContainerdConfig,
  readContainerdConfig,
  type ContainerdConfigStatus,
} from './containerd.js'
import {baseRuntimeSpec, renderSpec} from '../oci/base-spec.js'
import {
  DEFAULT_HOOKS_DIR,
  helperInstallPath,
  HOOK_FILES,
  OVERRIDE_HOOKS_DIR,
  type InstallLayout,
} from '../core/paths.js'

/** One line of `status`: what was checked, whether it is fine, and what to do when it is not. */
export interface Check {
  name: string
  ok: boolean
  detail: string
  fix?: string
}

export interface Status {
  ok: boolean
  checks: Check[]
  installed: boolean
  hookFiles: string[]
  recorder: HelperStatus | null
  spool: string[]
  /** containerd: its version (null when not found) and each config install --containerd was given. */
  containerd: {version: string | null; configs: ContainerdConfigStatus[]}
}

const CAP_SYS_ADMIN = 21n
const CAP_BPF = 39n

async function version(command: string, args = ['--version']): Promise<string | undefined> {
  const result = await execa(command, args, {reject: false, timeout: 5000})
  return result.exitCode === 0 ? `${result.stdout}`.split('\n')[0]!.trim() : undefined
}

function effectiveCaps(): bigint {
  const line = readFileSync('/proc/self/status', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('CapEff:'))
  return BigInt(`0x${line?.split(/\s+/)[1] ?? '0'}`)
}

function mounted(type: string): boolean {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[2] === type)
}

/** Hooks dirs named in CRI-O's and podman's configs, when present. */
function configuredHooksDirs(): Array<{file: string; dirs: string[]}> {
  const files = [
    '/etc/crio/crio.conf',
    ...(existsSync('/etc/crio/crio.conf.d')
      ? readdirSync('/etc/crio/crio.conf.d').map((f) => join('/etc/crio/crio.conf.d', f))
      : []),
    '/etc/containers/containers.conf',
    '/usr/share/containers/containers.conf',
  ]
  const found: Array<{file: string; dirs: string[]}> = []
  for (const file of files) {
    if (!existsSync(file)) continue
    const match = /^\s*hooks_dir\s*=\s*\[([^\]]*)\]/m.exec(readFileSync(file, 'utf8'))
    if (match) found.push({file, dirs: [...match[1]!.matchAll(/"([^"]+)"/g)].map((m) => m[1]!)})
  }
  return found
}

export async function diagnose(layout: InstallLayout): Promise<Status> {
  const checks: Check[] = []
  const caps = effectiveCaps()
  const root = process.getuid?.() === 0
  const hasBpfCap = ((caps >> CAP_BPF) & 1n) === 1n || ((caps >> CAP_SYS_ADMIN) & 1n) === 1n
  checks.push({
    name: 'privileges',
    ok: root && hasBpfCap,
    detail: root ? (hasBpfCap ? 'root with CAP_BPF/CAP_SYS_ADMIN' : 'root without CAP_BPF') : 'not root',
    fix: 'run as root (the hook and the recorder load BPF programs)',
  })
  checks.push({
    name: 'BTF',
    ok: existsSync('/sys/kernel/btf/vmlinux'),
    detail: '/sys/kernel/btf/vmlinux',
    fix: 'a kernel built with CONFIG_DEBUG_INFO_BTF=y is needed (CO-RE)',
  })
  checks.push({
    name: 'bpffs',
    ok: mounted('bpf'),
    detail: mounted('bpf') ? 'mounted' : 'not mounted (the helper mounts it at /sys/fs/bpf on first use)',
    fix: 'mount -t bpf bpf /sys/fs/bpf',
  })
  checks.push({
    name: 'tracefs',
    ok: true,
    detail: mounted('tracefs') ? 'mounted' : 'not mounted (not needed: BTF tracepoints attach without it)',
  })
  for (const [command, pkg] of [
    ['clang', 'clang'],
    ['bpftool', 'bpftool'],
  ] as const) {
    const v = await version(command, command === 'bpftool' ? ['version'] : ['--version'])
    checks.push({name: command, ok: v !== undefined, detail: v ?? 'not found', fix: `apt-get install ${pkg}`})
  }
  const flock = systemFlock()
  checks.push({
    name: 'flock',
    ok: flock !== undefined,
    detail: flock ?? 'not found (every lock of the hook, record, gc and publish is taken with it)',
    fix: 'apt-get install util-linux',
  })
  for (const [header, pkg] of [
    ['/usr/include/bpf/libbpf.h', 'libbpf-dev'],
    ['/usr/include/seccomp.h', 'libseccomp-dev'],
  ] as const) {
    checks.push({
      name: pkg,
      ok: existsSync(header),
      detail: existsSync(header) ? header : `${header} missing`,
      fix: `apt-get install ${pkg}`,
    })
  }
  const runtimes: string[] = []
  for (const runtime of ['runc', 'crun', 'podman', 'crio']) {
    const v = await version(runtime)
    if (v) runtimes.push(`${runtime} (${v})`)
  }
  checks.push({
    name: 'runtimes',
    ok: runtimes.length > 0,
    detail: runtimes.join(', ') || 'none found',
    fix: 'apt-get install runc crun podman',
  })

  const manifest = await readManifest(layout).catch(() => undefined)
  const hookFiles = (manifest?.files ?? []).filter((f) => f.kind === 'hooks.d' && existsSync(f.path)).map((f) => f.path)
  const installed = manifest !== undefined && existsSync(helperInstallPath(layout))
  checks.push({
    name: 'hook',
    ok: true,
    detail: installed
      ? `installed (${hookFiles.length} hooks.d files)`
      : 'not installed: run `seccomp-recorder install` to record containers',
  })
  for (const {file, dirs} of configuredHooksDirs()) {
    const ours = dirs.some((d) => existsSync(join(d, HOOK_FILES.prestart)))
    checks.push({
      name: `hooks_dir in ${file}`,
      ok: !installed || ours || dirs.length === 0,
      detail: dirs.join(', ') || '(none)',
      fix: `seccomp-recorder install --hooks-dir ${dirs[0] ?? DEFAULT_HOOKS_DIR}`,
    })
  }
  void OVERRIDE_HOOKS_DIR
  const containerd = await containerdStatus(manifest)
  for (const c of containerd.configs) {
    const problems = [
      !c.specPresent && `base spec ${c.baseSpec} missing`,
      c.specPresent && !c.specCurrent && `base spec ${c.baseSpec} is not what install writes now`,
      !c.linesPresent && `${c.config} does not name it for handler ${c.handler}`,
    ].filter((p): p is string => typeof p === 'string')
    checks.push({
      name: `containerd ${c.config}`,
      ok: problems.length === 0,
      detail:
        problems.length === 0
          ? `configured (handler ${c.handler}, base spec ${c.baseSpec}; ${containerd.version ?? 'containerd not found'})`
          : problems.join('; '),
      fix: 'seccomp-recorder install --containerd [--write-containerd-config], then restart containerd',
    })
  }

  const helper = installed ? helperInstallPath(layout) : helperPath()
  const recorder = existsSync(helper) ? await helperStatus(helper).catch(() => null) : null
  const active = recorder?.targets.filter((t) => t.state !== 'nested').length ?? 0
  checks.push({
    name: 'recorder',
    ok: true,
    detail: recorder?.attached
      ? `attached, ${active} active recording(s) (programs ${recorder.prog_ids.join(', ')})`
      : 'not attached (no overhead)',
  })
  const config = await loadConfig().catch(() => undefined)
  const spool = config && existsSync(config.spool) ? readdirSync(config.spool).filter((f) => f.endsWith('.json')) : []
  return {ok: checks.every((c) => c.ok), checks, installed, hookFiles, recorder, spool, containerd}
}

/** containerd's version and, for each config install --containerd was given, whether it is configured. */
async function containerdStatus(manifest: InstallManifest | undefined): Promise<Status['containerd']> {
  const version = (await containerdVersion().catch(() => undefined)) ?? null
  const installs = manifest?.containerd ?? []
  const current =
    installs.length > 0 && manifest
      ? await containerdDefaultSpec().then(
          (spec) => renderSpec(baseRuntimeSpec(spec, manifest.commands)),
          () => undefined,
        )
      : undefined
  const configs: ContainerdConfigStatus[] = []
  for (const entry of installs) {
    const spec = existsSync(entry.baseSpec) ? readFileSync(entry.baseSpec, 'utf8') : undefined
    const read = await readContainerdConfig(entry.config, {forWrite: false}).catch(() => undefined)
    let linesPresent = false
    try {
      linesPresent =
        read !== undefined &&
        hasOurSettings(parseContainerdConfig(read.text, entry.config), {
          handler: entry.handler,
          baseSpec: entry.baseSpec,
        })
    } catch {
      linesPresent = false
    }
    configs.push({
      config: entry.config,
      handler: entry.handler,
      baseSpec: entry.baseSpec,
      specPresent: spec !== undefined,
      specCurrent: spec !== undefined && spec === current,
      linesPresent,
    })
  }
  return {version, configs}
}
