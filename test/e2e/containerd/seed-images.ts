/**
 * The images of the seed scenario, built from the machine's packages: a busybox image (the pod sandbox's pause
 * process and a small probe container), nginx serving one static file, and redis; each listens on 127.0.0.1 at an
 * unusual port, since the pods share the node's network.
 */
import {mkdirSync} from 'node:fs'
import {join} from 'node:path'
import type {Containerd} from './containerd-daemon.js'
import {baseRootfs, nginxRootfs, redisRootfs, redisServerArgs} from '../rootfs.js'
import {ociImageArchive} from './images.js'

export const BUSYBOX_IMAGE = 'docker.io/seccomp-recorder-e2e/busybox:1'
export const NGINX_IMAGE = 'docker.io/seccomp-recorder-e2e/nginx:1'
export const REDIS_IMAGE = 'docker.io/seccomp-recorder-e2e/redis:1'

export const NGINX_PORT = 38471
export const REDIS_PORT = 38472
export const INDEX_HTML = 'seccomp-recorder seed scenario\n'

function busyboxImage(work: string): string {
  const rootfs = baseRootfs(join(work, 'rootfs'))
  return ociImageArchive(rootfs, work, {name: BUSYBOX_IMAGE, cmd: ['/bin/sleep', '86400'], env: ['PATH=/bin']})
}

function nginxImage(work: string): string {
  const rootfs = nginxRootfs(baseRootfs(join(work, 'rootfs')), NGINX_PORT, INDEX_HTML)
  return ociImageArchive(rootfs, work, {
    name: NGINX_IMAGE,
    entrypoint: ['/usr/sbin/nginx'],
    cmd: ['-e', 'stderr', '-c', '/etc/nginx/nginx.conf'],
  })
}

function redisImage(work: string): string {
  const rootfs = redisRootfs(baseRootfs(join(work, 'rootfs')))
  return ociImageArchive(rootfs, work, {
    name: REDIS_IMAGE,
    entrypoint: ['/usr/bin/redis-server'],
    cmd: redisServerArgs(REDIS_PORT),
  })
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
