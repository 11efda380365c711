import {createHash} from 'node:crypto'
import {posix} from 'node:path'
import {UserError} from '../core/errors.js'
import {EXIT} from '../core/exit-codes.js'
import {formatYaml} from '../core/yaml.js'
import {configMapKey} from './names.js'
import type {PreparedProfile} from './publish.js'

/**
 * `publish --kubernetes`: Kubernetes is the distribution engine. A ConfigMap carries the profiles; a DaemonSet
 * puts one small pod on every node (every taint tolerated) whose init container copies them into the node's
 * kubelet seccomp root — atomically, like `publish` does — and whose main container only sleeps, so the
 * DaemonSet shows Ready once every node has them. Changing a profile changes a hash annotation of the pod
 * template, which rolls the DaemonSet and reinstalls. The installer runs as root (the seccomp root belongs to
 * root) but with every capability dropped, no privilege escalation, a read-only root file system and
 * RuntimeDefault seccomp; the only writable thing it sees is the hostPath `<seccomp root>/<prefix>`.
 */

export const DEFAULT_IMAGE = 'busybox:1.36'
export const DEFAULT_NAMESPACE = 'kube-system'
export const DEFAULT_RESOURCE_NAME = 'seccomp-recorder-profiles'
/** etcd's limit for one object is 1.5 MiB; the API server refuses ConfigMaps whose data exceed 1 MiB. */
export const MAX_CONFIGMAP_DATA_BYTES = 1024 * 1024

export interface KubernetesOptions {
  /** The seccomp root on the nodes (default /var/lib/kubelet/seccomp). */
  seccompRoot: string
  prefix: string
  namespace: string
  resourceName: string
  image: string
}

export interface KubernetesProfile {
  name: string
  localhostProfile: string
  configMapKey: string
  sha256: string
  bytes: number
}

export interface KubernetesManifests {
  configMap: Record<string, unknown>
  daemonSet: Record<string, unknown>
  profiles: KubernetesProfile[]
  /** Where the DaemonSet writes on every node: `<seccomp root>/<prefix>`. */
  hostPath: string
  /** Both objects as multi-document YAML, ConfigMap first. */
  yaml: string
}

/** Where the init container sees the ConfigMap and the host directory. */
const PROFILES_MOUNT = '/profiles'
const HOST_MOUNT = '/host-seccomp'
/** A DNS-1123 label (names of containers, volumes) and subdomain (object names). */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

export function checkKubernetesOptions(options: KubernetesOptions): void {
  const bad = (message: string) => new UserError(message, {exit: EXIT.USAGE, code: 'usage'})
  // The DaemonSet's pods are named <name>-<5 chars>: keep room for that within a 63-character label.
  if (!DNS_LABEL.test(options.resourceName) || options.resourceName.length > 57)
    throw bad(
      `--resource-name ${JSON.stringify(options.resourceName)} must be a DNS label: lower-case letters, digits and "-", at most 57 characters`,
    )
  if (!DNS_LABEL.test(options.namespace) || options.namespace.length > 63)
    throw bad(`--namespace ${JSON.stringify(options.namespace)} is not a valid namespace name`)
  if (!/^[^\s'"\\$`]+$/.test(options.image))
    throw bad(`--image ${JSON.stringify(options.image)} is not an image reference`)
  // It ends up in the pod spec and in a shell script: plain absolute paths only.
  if (!/^\/[A-Za-z0-9._\/-]*$/.test(options.seccompRoot) || options.seccompRoot.split('/').includes('..')) {
    throw bad(
      `the seccomp root on the nodes must be a plain absolute path (letters, digits, ".", "_", "-", "/"; got ${JSON.stringify(options.seccompRoot)})`,
    )
  }
}

export function buildKubernetesManifests(profiles: PreparedProfile[], options: KubernetesOptions): KubernetesManifests {
  checkKubernetesOptions(options)
  const data: Record<string, string> = {}
  const listed: KubernetesProfile[] = []
  for (const profile of [...profiles].sort((a, b) =>
    compare(a.location.localhostProfile, b.location.localhostProfile),
  )) {
    const key = configMapKey(profile.location.name)
    if (data[key] !== undefined)
      throw new UserError(`two profiles map to the ConfigMap key ${key}`, {exit: EXIT.USAGE, code: 'duplicate-name'})
    data[key] = profile.bytes.toString('utf8')
    listed.push({
      name: profile.location.name,
      localhostProfile: profile.location.localhostProfile,
      configMapKey: key,
      sha256: profile.sha256,
      bytes: profile.bytes.length,
    })
  }
  const dataBytes = Object.entries(data).reduce(
    (sum, [key, value]) => sum + Buffer.byteLength(key) + Buffer.byteLength(value),
    0,
  )
  if (dataBytes > MAX_CONFIGMAP_DATA_BYTES) {
    throw new UserError(
      `the profiles add up to ${dataBytes} bytes; a ConfigMap holds at most ${MAX_CONFIGMAP_DATA_BYTES}`,
      {
        exit: EXIT.REFUSED,
        code: 'too-large',
        suggestions: ['Publish them in several groups, each with its own --resource-name.'],
      },
    )
  }

  const hostPath = options.prefix === '' ? options.seccompRoot : posix.join(options.seccompRoot, options.prefix)
  const labels = {
    'app.kubernetes.io/name': options.resourceName,
    'app.kubernetes.io/component': 'seccomp-profile-installer',
    'app.kubernetes.io/managed-by': 'seccomp-recorder',
  }
  const selector = {
    'app.kubernetes.io/name': options.resourceName,
    'app.kubernetes.io/component': 'seccomp-profile-installer',
  }
  const profilesHash = createHash('sha256').update(JSON.stringify(data)).digest('hex')
  const locked = {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    privileged: false,
    capabilities: {drop: ['ALL']},
  }

  const configMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {name: options.resourceName, namespace: options.namespace, labels},
    data,
  }
  const daemonSet = {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: {name: options.resourceName, namespace: options.namespace, labels},
    spec: {
      selector: {matchLabels: selector},
      updateStrategy: {type: 'RollingUpdate', rollingUpdate: {maxUnavailable: '10%'}},
      template: {
        metadata: {labels, annotations: {'seccomp-recorder/profiles-sha256': profilesHash}},
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          nodeSelector: {'kubernetes.io/os': 'linux'},
          // Every node, whatever its taints: a profile missing on a node makes pods there fail to start.
          tolerations: [{operator: 'Exists'}],
          terminationGracePeriodSeconds: 5,
          securityContext: {seccompProfile: {type: 'RuntimeDefault'}},
          initContainers: [
            {
              name: 'install',
              image: options.image,
              imagePullPolicy: 'IfNotPresent',
              command: ['/bin/sh', '-c', installScript(listed, hostPath, options.prefix)],
              // uid 0 owns the kubelet's seccomp directory: as its owner, root writes there without any capability.
              securityContext: {...locked, runAsUser: 0, runAsGroup: 0, runAsNonRoot: false},
              resources: {requests: {cpu: '10m', memory: '16Mi'}, limits: {cpu: '100m', memory: '32Mi'}},
              volumeMounts: [
                {name: 'profiles', mountPath: PROFILES_MOUNT, readOnly: true},
                {name: 'seccomp', mountPath: HOST_MOUNT},
              ],
            },
          ],
          containers: [
            {
              name: 'sleep',
              image: options.image,
              imagePullPolicy: 'IfNotPresent',
              command: ['/bin/sh', '-c', "trap 'exit 0' TERM INT; while true; do sleep 3600 & wait $!; done"],
              securityContext: {...locked, runAsUser: 65534, runAsGroup: 65534, runAsNonRoot: true},
              resources: {requests: {cpu: '1m', memory: '4Mi'}, limits: {cpu: '10m', memory: '16Mi'}},
            },
          ],
          volumes: [
            {name: 'profiles', configMap: {name: options.resourceName, defaultMode: 0o444}},
            {name: 'seccomp', hostPath: {path: hostPath, type: 'DirectoryOrCreate'}},
          ],
        },
      },
    },
  }
  const yaml = [configMap, daemonSet].map((doc) => formatYaml(doc, {blockQuote: 'literal'})).join('---\n')
  return {
    configMap,
    daemonSet,
    profiles: listed,
    hostPath,
    yaml: `# Generated by seccomp-recorder publish --kubernetes: ${listed.length} seccomp profile${listed.length === 1 ? '' : 's'} for ${hostPath} on every node.\n${yaml}`,
  }
}

/**
 * The init container's script (busybox sh): each profile is copied to a temp file next to its target, all are
 * synced, then renamed into place — a reader on the node sees the old or the new profile, never part of one.
 * Names, keys and the host path are checked to `[A-Za-z0-9._/-]` before they get here: single quotes quote them.
 */
export function installScript(profiles: KubernetesProfile[], hostPath: string, prefix: string): string {
  const relative = (p: KubernetesProfile) =>
    prefix === '' ? p.localhostProfile : p.localhostProfile.slice(prefix.length + 1)
  const lines = [
    'set -eu',
    'umask 022',
    `dest=${HOST_MOUNT}`,
    `src=${PROFILES_MOUNT}`,
    '# leftovers of an installer killed half-way',
    'find "$dest" -type f -name ".seccomp-recorder-install.*" -exec rm -f {} \\;',
    '# stage KEY PATH N: copy the ConfigMap key KEY next to PATH (below $dest) as temp file N',
    'stage() { d="$dest/$(dirname "$2")"; mkdir -p "$d"; cp "$src/$1" "$d/.seccomp-recorder-install.$$.$3"; chmod 0644 "$d/.seccomp-recorder-install.$$.$3"; }',
    '# commit KEY PATH N: rename temp file N over PATH',
    'commit() { mv -f "$dest/$(dirname "$2")/.seccomp-recorder-install.$$.$3" "$dest/$2"; }',
  ]
  profiles.forEach((p, i) => lines.push(`stage '${p.configMapKey}' '${relative(p)}' ${i}`))
  lines.push('sync')
  profiles.forEach((p, i) => lines.push(`commit '${p.configMapKey}' '${relative(p)}' ${i}`))
  lines.push(
    'sync',
    `echo 'installed ${profiles.length} seccomp profile${profiles.length === 1 ? '' : 's'} into ${hostPath}'`,
  )
  return `${lines.join('\n')}\n`
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
