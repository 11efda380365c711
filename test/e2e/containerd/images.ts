/**
 * Container images for the containerd end-to-end tests, built from what is on the machine (no registry): root file
 * systems from busybox-static and from Debian packages unpacked with `dpkg -x` (their shared libraries from the
 * host when the packages do not carry them), packed as an OCI image layout archive (one uncompressed layer, the
 * config, the manifest, the index) and imported into containerd's `k8s.io` namespace with `ctr images import`.
 */
import {execFileSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import {dirname, join, relative} from 'node:path'
import {REPO_ROOT} from '../../helpers/cli.js'
import {BUSYBOX} from '../harness.js'

/** Where .ci/setup downloads the .deb files the images are built from. */
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

export interface ImageSpecConfig {
  /** The image's name as CRI sees it, e.g. `docker.io/library/scr-pause:1`. */
  name: string
  entrypoint?: string[]
  cmd?: string[]
  env?: string[]
  workingDir?: string
}

/** A root file system with busybox and its applet links, /etc/passwd and /etc/group, /tmp and the mount points. */
export function baseRootfs(rootfs: string): string {
  for (const dir of ['bin', 'etc', 'tmp', 'proc', 'sys', 'dev', 'run', 'var/tmp'])
    mkdirSync(join(rootfs, dir), {recursive: true})
  chmodSync(join(rootfs, 'tmp'), 0o1777)
  copyFileSync(BUSYBOX, join(rootfs, 'bin', 'busybox'))
  chmodSync(join(rootfs, 'bin', 'busybox'), 0o755)
  for (const applet of BUSYBOX_APPLETS) {
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
      `${pkg}_*.deb not found in ${DEB_DIR}: run bash .ci/setup (it downloads the packages the containerd test images are built from)`,
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
        throw new Error(`${binary}: ${line.trim()} (neither in the image's packages nor on the host)`)
      const path = /=>\s+(\/\S+)/.exec(line)?.[1] ?? /^\s*(\/\S+)\s+\(/.exec(line)?.[1]
      if (path === undefined || path.startsWith(rootfs)) continue
      const target = join(rootfs, path)
      if (existsSync(target)) continue
      mkdirSync(dirname(target), {recursive: true})
      copyFileSync(path, target)
    }
  }
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex')

/**
 * Packs `rootfs` as an OCI image layout archive at `archive`: blobs/sha256/{layer, config, manifest}, index.json
 * naming the image (`io.containerd.image.name`, which `ctr images import` takes as the full name) and oci-layout.
 */
export function ociImageArchive(rootfs: string, work: string, image: ImageSpecConfig): string {
  const layout = join(work, 'layout')
  const blobs = join(layout, 'blobs', 'sha256')
  mkdirSync(blobs, {recursive: true})
  const layerTar = join(work, 'layer.tar')
  execFileSync('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', rootfs, '-cf', layerTar, '.'])
  const layer = readFileSync(layerTar)
  const layerDigest = sha256(layer)
  writeFileSync(join(blobs, layerDigest), layer)
  const config = JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    config: {
      ...(image.entrypoint ? {Entrypoint: image.entrypoint} : {}),
      ...(image.cmd ? {Cmd: image.cmd} : {}),
      Env: image.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      WorkingDir: image.workingDir ?? '/',
    },
    rootfs: {type: 'layers', diff_ids: [`sha256:${layerDigest}`]},
    history: [{created_by: `seccomp-recorder e2e: ${relative(REPO_ROOT, rootfs)}`}],
  })
  const configDigest = sha256(config)
  writeFileSync(join(blobs, configDigest), config)
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      digest: `sha256:${configDigest}`,
      size: Buffer.byteLength(config),
    },
    layers: [
      {mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: `sha256:${layerDigest}`, size: layer.length},
    ],
  })
  const manifestDigest = sha256(manifest)
  writeFileSync(join(blobs, manifestDigest), manifest)
  const tag = image.name.slice(image.name.lastIndexOf(':') + 1)
  const index = {
    schemaVersion: 2,
    manifests: [
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: `sha256:${manifestDigest}`,
        size: Buffer.byteLength(manifest),
        platform: {architecture: 'amd64', os: 'linux'},
        annotations: {'io.containerd.image.name': image.name, 'org.opencontainers.image.ref.name': tag},
      },
    ],
  }
  writeFileSync(join(layout, 'index.json'), JSON.stringify(index))
  writeFileSync(join(layout, 'oci-layout'), JSON.stringify({imageLayoutVersion: '1.0.0'}))
  const archive = join(work, 'image.tar')
  execFileSync('tar', ['--numeric-owner', '-C', layout, '-cf', archive, '.'])
  return archive
}
