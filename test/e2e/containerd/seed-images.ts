/**
 * The images of the seed scenario, built from the machine's packages: a busybox image (the pod sandbox's pause
 * process and a small probe container), nginx serving one static file, and redis; each listens on 127.0.0.1 at an
 * unusual port, since the pods share the node's network.
 */
import {mkdirSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import type {Containerd} from './containerd-daemon.js'
import {baseRootfs, copyHostLibraries, ociImageArchive, unpackDebs} from './images.js'

export const BUSYBOX_IMAGE = 'docker.io/seccomp-recorder-e2e/busybox:1'
export const NGINX_IMAGE = 'docker.io/seccomp-recorder-e2e/nginx:1'
export const REDIS_IMAGE = 'docker.io/seccomp-recorder-e2e/redis:1'

export const NGINX_PORT = 38471
export const REDIS_PORT = 38472
export const INDEX_HTML = 'seccomp-recorder seed scenario\n'

const NGINX_CONF = `daemon off;
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
    listen 127.0.0.1:${NGINX_PORT};
    root /srv;
  }
}
`

function busyboxImage(work: string): string {
  const rootfs = baseRootfs(join(work, 'rootfs'))
  return ociImageArchive(rootfs, work, {name: BUSYBOX_IMAGE, cmd: ['/bin/sleep', '86400'], env: ['PATH=/bin']})
}

function nginxImage(work: string): string {
  const rootfs = baseRootfs(join(work, 'rootfs'))
  unpackDebs(rootfs, ['nginx'])
  copyHostLibraries(rootfs, ['usr/sbin/nginx'])
  for (const dir of ['etc/nginx', 'srv', 'var/log/nginx', 'var/lib/nginx'])
    mkdirSync(join(rootfs, dir), {recursive: true})
  writeFileSync(join(rootfs, 'etc', 'nginx', 'nginx.conf'), NGINX_CONF)
  writeFileSync(join(rootfs, 'srv', 'index.html'), INDEX_HTML)
  return ociImageArchive(rootfs, work, {
    name: NGINX_IMAGE,
    entrypoint: ['/usr/sbin/nginx'],
    cmd: ['-e', 'stderr', '-c', '/etc/nginx/nginx.conf'],
  })
}

function redisImage(work: string): string {
  const rootfs = baseRootfs(join(work, 'rootfs'))
  unpackDebs(rootfs, ['redis-tools', 'libjemalloc2', 'liblzf1'])
  copyHostLibraries(rootfs, ['usr/bin/redis-check-rdb'])
  const args = [
    '--port',
    String(REDIS_PORT),
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
  // redis-check-rdb is redis-server under another name (the redis-server package only adds this link): it acts on argv[0].
  symlinkSync('redis-check-rdb', join(rootfs, 'usr', 'bin', 'redis-server'))
  return ociImageArchive(rootfs, work, {name: REDIS_IMAGE, entrypoint: ['/usr/bin/redis-server'], cmd: args})
}

/** Builds the three images in `work` and imports them into the daemon. */
export function importSeedImages(containerd: Containerd, work: string): void {
  for (const [name, build] of [
    ['busybox', busyboxImage],
    ['nginx', nginxImage],
    ['redis', redisImage],
  ] as const) {
    const dir = join(work, name)
    mkdirSync(dir, {recursive: true})
    containerd.importImage(build(dir))
  }
}
