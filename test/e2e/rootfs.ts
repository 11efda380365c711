/**
 * Root file systems for the end-to-end tests, built from what is on the machine (no registry): busybox-static and
 * its applet links, Debian packages unpacked with `dpkg-deb -x` (their shared libraries from the host when the
 * packages do not carry them), and the host's python3 with the part of its standard library http.server loads.
 * The containerd images (containerd/images.ts packs them as OCI archives) and the podman `--rootfs` workloads
 * (argument-workloads.test.ts) both build on these.
 */
import {execFileSync} from 'node:child_process'
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import {dirname, join} from 'node:path'
import {REPO_ROOT} from '../helpers/cli.js'
import {BUSYBOX} from './harness.js'

/** Where .ci/setup downloads the .deb files the root file systems are built from. */
export const DEB_DIR = join(REPO_ROOT, 'build', 'debs')

const BUSYBOX_APPLETS = [
  'sh',
  'sleep',
  'cat',
  'echo',
  'ls',
  'mkdir',
  'rm',
  'true',
  'false',
  'id',
  'uname',
  'touch',
  'chmod',
  'df',
  'uptime',
  'wc',
  'head',
]

/**
 * A root file system with busybox and its applet links (the usual ones and `applets`), /etc/passwd and /etc/group,
 * /tmp and the mount points.
 */
export function baseRootfs(rootfs: string, applets: readonly string[] = []): string {
  for (const dir of ['bin', 'etc', 'tmp', 'proc', 'sys', 'dev', 'run', 'var/tmp'])
    mkdirSync(join(rootfs, dir), {recursive: true})
  chmodSync(join(rootfs, 'tmp'), 0o1777)
  copyFileSync(BUSYBOX, join(rootfs, 'bin', 'busybox'))
  chmodSync(join(rootfs, 'bin', 'busybox'), 0o755)
  for (const applet of [...BUSYBOX_APPLETS, ...applets]) {
    if (!existsSync(join(rootfs, 'bin', applet))) symlinkSync('busybox', join(rootfs, 'bin', applet))
  }
  writeFileSync(
    join(rootfs, 'etc', 'passwd'),
    'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
  )
  writeFileSync(join(rootfs, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n')
  return rootfs
}

/** The .deb file of `pkg` in DEB_DIR; fails with the fix when .ci/setup has not downloaded it. */
export function debFile(pkg: string): string {
  const found = existsSync(DEB_DIR)
    ? readdirSync(DEB_DIR).filter((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'))
    : []
  if (found.length === 0)
    throw new Error(
      `${pkg}_*.deb not found in ${DEB_DIR}: run bash .ci/setup (it downloads the packages the test root file systems are built from)`,
    )
  return join(DEB_DIR, found.sort().at(-1)!)
}

/** Unpacks the packages into the root file system (files only: no maintainer scripts run). */
export function unpackDebs(rootfs: string, packages: string[]): void {
  for (const pkg of packages) execFileSync('dpkg-deb', ['-x', debFile(pkg), rootfs])
}

/**
 * Copies into the root file system the shared libraries (and the dynamic loader) that `binaries` (paths inside
 * it) need and that it does not already hold, from the host at the same paths.
 */
export function copyHostLibraries(rootfs: string, binaries: string[]): void {
  const inRootfs = ['usr/lib/x86_64-linux-gnu', 'lib/x86_64-linux-gnu'].map((d) => join(rootfs, d)).join(':')
  for (const binary of binaries) {
    const listing = execFileSync('ldd', [join(rootfs, binary)], {
      encoding: 'utf8',
      env: {...process.env, LD_LIBRARY_PATH: inRootfs},
    })
    for (const line of listing.split('\n')) {
      if (/not found/.test(line))
        throw new Error(`${binary}: ${line.trim()} (neither in the root file system's packages nor on the host)`)
      const path = /=>\s+(\/\S+)/.exec(line)?.[1] ?? /^\s*(\/\S+)\s+\(/.exec(line)?.[1]
      if (path === undefined || path.startsWith(rootfs)) continue
      const target = join(rootfs, path)
      if (existsSync(target)) continue
      mkdirSync(dirname(target), {recursive: true})
      copyFileSync(path, target)
    }
  }
}

/** nginx serving /srv on 127.0.0.1:`port` in the foreground, as user nobody, logging errors to stderr. */
export const nginxConf = (port: number) => `daemon off;
user nobody nogroup;
worker_processes 1;
pid /tmp/nginx.pid;
error_log stderr warn;
events { worker_connections 64; }
http {
  access_log off;
  default_type text/plain;
  client_body_temp_path /tmp/client-body;
  proxy_temp_path /tmp/proxy;
  fastcgi_temp_path /tmp/fastcgi;
  uwsgi_temp_path /tmp/uwsgi;
  scgi_temp_path /tmp/scgi;
  server {
    listen 127.0.0.1:${port};
    root /srv;
  }
}
`

/** Debian's nginx in `rootfs` (a baseRootfs): /usr/sbin/nginx -e stderr -c /etc/nginx/nginx.conf serves `index`. */
export function nginxRootfs(rootfs: string, port: number, index: string): string {
  unpackDebs(rootfs, ['nginx'])
  copyHostLibraries(rootfs, ['usr/sbin/nginx'])
  for (const dir of ['etc/nginx', 'srv', 'var/log/nginx', 'var/lib/nginx'])
    mkdirSync(join(rootfs, dir), {recursive: true})
  writeFileSync(join(rootfs, 'etc', 'nginx', 'nginx.conf'), nginxConf(port))
  writeFileSync(join(rootfs, 'srv', 'index.html'), index)
  return rootfs
}

/**
 * Debian's redis in `rootfs` (a baseRootfs), from redis-tools: redis-check-rdb is redis-server under another name
 * (the redis-server package only adds the link), it acts on argv[0]. Start it as /usr/bin/redis-server
 * ...redisServerArgs(port).
 */
export function redisRootfs(rootfs: string): string {
  unpackDebs(rootfs, ['redis-tools', 'libjemalloc2', 'liblzf1'])
  copyHostLibraries(rootfs, ['usr/bin/redis-check-rdb'])
  symlinkSync('redis-check-rdb', join(rootfs, 'usr', 'bin', 'redis-server'))
  return rootfs
}

/** redis on 127.0.0.1:`port` in the foreground, nothing persisted. */
export const redisServerArgs = (port: number): string[] => [
  '--port',
  String(port),
  '--bind',
  '127.0.0.1',
  '--save',
  '',
  '--appendonly',
  'no',
  '--protected-mode',
  'no',
  '--dir',
  '/tmp',
  '--daemonize',
  'no',
]

/** The host's Debian python3 (python3-seccomp, installed by .ci/setup, brings it). */
const HOST_PYTHON = '/usr/bin/python3'

/**
 * The host's python3 in `rootfs` (a baseRootfs) with the part of its standard library that `-m http.server`
 * loads to serve a file, measured by python-http-modules.py on the host (it runs the server and serves one GET),
 * with their compiled __pycache__ files (timestamps kept, so they stay valid), the extension modules among them and
 * every shared library these need. Run it as `/usr/bin/python3 -S -B -m http.server` (-S: no site packages; -B:
 * nothing is written into the root file system).
 */
export function pythonRootfs(rootfs: string): string {
  if (!existsSync(HOST_PYTHON))
    throw new Error(`${HOST_PYTHON} not found: apt-get install python3 (or run bash .ci/setup)`)
  const python = join(dirname(HOST_PYTHON), readlinkSync(HOST_PYTHON))
  const files = execFileSync(python, ['-S', '-B', join(REPO_ROOT, 'test', 'e2e', 'python-http-modules.py')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  })
    .trim()
    .split('\n')
    .filter((file) => existsSync(file))
  for (const file of new Set([python, ...files])) {
    const target = join(rootfs, file)
    mkdirSync(dirname(target), {recursive: true})
    copyFileSync(file, target)
    const {atime, mtime} = statSync(file)
    utimesSync(target, atime, mtime)
  }
  symlinkSync(readlinkSync(HOST_PYTHON), join(rootfs, HOST_PYTHON))
  const extensions = files.filter((file) => file.endsWith('.so'))
  copyHostLibraries(rootfs, [python, ...extensions])
  return rootfs
}
