import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {execa} from 'execa'
import {loadConfig} from '../config/config.js'
import {helperStatus, helperPath, type HelperStatus} from '../kernel/native-helper.js'
import {systemFlock} from '../fs/lock.js'
import {readManifest, type InstallManifest} from './install.js'
import {readRefusals, refusalLogPath, type Refusal} from '../spool/refusals.js'
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

/**
 * How much a line of `status` matters: `error` (the machine cannot record: exit 4), `warning` (recording works, but
 * not everywhere it may be expected to), `info` (worth knowing, nothing to fix), `ok`.
 */
export type CheckLevel = 'ok' | 'info' | 'warning' | 'error'
export const CHECK_LEVELS: readonly CheckLevel[] = ['ok', 'info', 'warning', 'error']

/** One line of `status`: what was checked, how much it matters, and what to do when it is not `ok`. */
export interface Check {
  name: string
  level: CheckLevel
  /** Nothing to fix: level `ok` or `info`. */
  ok: boolean
  detail: string
  fix?: string
}

/** A check at `level` (`error` and `warning` unless fine), `ok` when `fine`. */
function check(
  name: string,
  fine: boolean,
  level: 'error' | 'warning' | 'info',
  line: Omit<Check, 'name' | 'level' | 'ok'>,
): Check {
  const at: CheckLevel = fine ? 'ok' : level
  return {name, level: at, ok: at === 'ok' || at === 'info', ...line}
}

export interface Status {
  /** Every check `ok` or `info`: nothing to fix. The exit status is 4 only when a check is an `error`. */
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
  checks.push(
    check('privileges', root && hasBpfCap, 'error', {
      detail: root ? (hasBpfCap ? 'root with CAP_BPF/CAP_SYS_ADMIN' : 'root without CAP_BPF') : 'not root',
      fix: 'run as root (the hook and the recorder load BPF programs): sudo seccomp-recorder status',
    }),
  )
  checks.push(
    check('BTF', existsSync('/sys/kernel/btf/vmlinux'), 'error', {
      detail: existsSync('/sys/kernel/btf/vmlinux') ? '/sys/kernel/btf/vmlinux' : '/sys/kernel/btf/vmlinux missing',
      fix: "boot a kernel built with CONFIG_DEBUG_INFO_BTF=y (the recorder is CO-RE: it needs the kernel's BTF)",
    }),
  )
  checks.push(
    check('bpffs', mounted('bpf'), 'info', {
      detail: mounted('bpf') ? 'mounted' : 'not mounted',
      fix: 'nothing to do: the helper mounts it at /sys/fs/bpf on first use (or: mount -t bpf bpf /sys/fs/bpf)',
    }),
  )
  checks.push(
    check('tracefs', mounted('tracefs'), 'info', {
      detail: mounted('tracefs') ? 'mounted' : 'not mounted',
      fix: 'nothing to do: BTF tracepoints attach without it',
    }),
  )
  for (const [command, pkg] of [
    ['clang', 'clang'],
    ['bpftool', 'bpftool'],
  ] as const) {
    const v = await version(command, command === 'bpftool' ? ['version'] : ['--version'])
    checks.push(check(command, v !== undefined, 'error', {detail: v ?? 'not found', fix: `apt-get install ${pkg}`}))
  }
  const flock = systemFlock()
  checks.push(
    check('flock', flock !== undefined, 'error', {
      detail: flock ?? 'not found (every lock of the hook, record, gc and publish is taken with it)',
      fix: 'apt-get install util-linux',
    }),
  )
  for (const [header, pkg] of [
    ['/usr/include/bpf/libbpf.h', 'libbpf-dev'],
    ['/usr/include/seccomp.h', 'libseccomp-dev'],
  ] as const) {
    checks.push(
      check(pkg, existsSync(header), 'error', {
        detail: existsSync(header) ? header : `${header} missing`,
        fix: `apt-get install ${pkg}`,
      }),
    )
  }
  const runtimes: string[] = []
  for (const runtime of ['runc', 'crun', 'podman', 'crio']) {
    const v = await version(runtime)
    if (v) runtimes.push(`${runtime} (${v})`)
  }
  checks.push(
    check('runtimes', runtimes.length > 0, 'warning', {
      detail: runtimes.join(', ') || 'none found (`seccomp-recorder record -- COMMAND` works without one)',
      fix: 'to record containers: apt-get install runc crun podman',
    }),
  )

  const manifest = await readManifest(layout).catch(() => undefined)
  const hookFiles = (manifest?.files ?? []).filter((f) => f.kind === 'hooks.d' && existsSync(f.path)).map((f) => f.path)
  const installed = manifest !== undefined && existsSync(helperInstallPath(layout))
  checks.push(
    check('hook', installed, 'info', {
      detail: installed ? `installed (${hookFiles.length} hooks.d files)` : 'not installed',
      fix: 'to record containers: sudo seccomp-recorder install (`seccomp-recorder record -- COMMAND` works without it)',
    }),
  )
  for (const {file, dirs} of configuredHooksDirs()) {
    const ours = dirs.some((d) => existsSync(join(d, HOOK_FILES.prestart)))
    checks.push(
      check(`hooks_dir in ${file}`, !installed || ours || dirs.length === 0, 'warning', {
        detail: `${dirs.join(', ') || '(none)'}${installed && !ours ? ' (our hook is not in it: only `--hooks-dir` runs record)' : ''}`,
        fix: `sudo seccomp-recorder install --hooks-dir ${dirs[0] ?? DEFAULT_HOOKS_DIR}`,
      }),
    )
  }
  void OVERRIDE_HOOKS_DIR
  const containerd = await containerdStatus(manifest)
  for (const c of containerd.configs) {
    const problems = [
      !c.specPresent && `base spec ${c.baseSpec} missing`,
      c.specPresent && !c.specCurrent && `base spec ${c.baseSpec} is not what install writes now`,
      !c.linesPresent && `${c.config} does not name it for handler ${c.handler}`,
    ].filter((p): p is string => typeof p === 'string')
    checks.push(
      check(`containerd ${c.config}`, problems.length === 0, 'error', {
        detail:
          problems.length === 0
            ? `configured (handler ${c.handler}, base spec ${c.baseSpec}; ${containerd.version ?? 'containerd not found'})`
            : problems.join('; '),
        fix: 'sudo seccomp-recorder install --containerd [--write-containerd-config], then restart containerd',
      }),
    )
  }

  const helper = installed ? helperInstallPath(layout) : helperPath()
  const recorder = existsSync(helper) ? await helperStatus(helper).catch(() => null) : null
  const active = recorder?.targets.filter((t) => t.state !== 'nested').length ?? 0
  checks.push({
    name: 'recorder',
    level: 'ok',
    ok: true,
    detail: recorder?.attached
      ? `attached, ${active} active recording(s) (programs ${recorder.prog_ids.join(', ')})`
      : 'not attached (no overhead)',
  })
  const config = await loadConfig().catch(() => undefined)
  const spool = config && existsSync(config.spool) ? readdirSync(config.spool).filter((f) => f.endsWith('.json')) : []
  checks.push(
    check('spool', spool.length === 0, 'info', {
      detail:
        spool.length === 0
          ? 'no container waiting to be finalised'
          : `${spool.length} container(s) registered and not yet finalised (running ones, or a poststop that never ran)`,
      fix: 'seccomp-recorder gc finishes those whose containers are gone (`gc --dry-run` shows which)',
    }),
  )
  if (config) checks.push(refusalCheck(config.spool, await readRefusals(config.spool)))
  return {ok: checks.every((c) => c.ok), checks, installed, hookFiles, recorder, spool, containerd}
}

/** The poststop's refusals (logged because runtimes show a poststop's stderr nowhere): a warning while any is logged. */
function refusalCheck(spool: string, refusals: Refusal[]): Check {
  const last = refusals.at(-1)
  const printable = (text: string) => text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?')
  return check('refused', last === undefined, 'warning', {
    detail: last
      ? `${refusals.length} recording(s) refused by the poststop hook; last ${last.time}: ${printable(last.reason)}`
      : 'no recording refused',
    fix: `read ${refusalLogPath(spool)} (one JSON line each), fix the annotations (of:/if: under outputRoots, no symlink below the root), run the containers again, then remove the log`,
  })
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
