/**
 * Container images for the containerd end-to-end tests, built from what is on the machine (no registry): root file
 * systems from ../rootfs.ts (busybox-static, Debian packages, host libraries), packed as an OCI image layout archive
 * (one uncompressed layer, the config, the manifest, the index) and imported into containerd's `k8s.io` namespace
 * with `ctr images import`.
 */
import {execFileSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join, relative} from 'node:path'
import {REPO_ROOT} from '../../helpers/cli.js'

export interface ImageSpecConfig {
  /** The image's name as CRI sees it, e.g. `docker.io/library/scr-pause:1`. */
  name: string
  entrypoint?: string[]
  cmd?: string[]
  env?: string[]
  workingDir?: string
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
