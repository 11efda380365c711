import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {Ajv, type ValidateFunction} from 'ajv'
import {parseAllDocuments} from 'yaml'
import {UserError} from '../../src/core/errors.js'
import {EXIT} from '../../src/core/exit-codes.js'
import {
  buildKubernetesManifests,
  DEFAULT_IMAGE,
  DEFAULT_NAMESPACE,
  DEFAULT_RESOURCE_NAME,
  type KubernetesOptions,
} from '../../src/publish/kubernetes.js'
import {locateProfile} from '../../src/publish/names.js'
import {prepareProfile, prepareProfiles, type PreparedProfile} from '../../src/publish/publish.js'
import {fixture} from '../helpers/cli.js'
import {snapshot, tempDir} from './helpers.js'

/** The Kubernetes OpenAPI definitions kept as a fixture (see fixtures/kubernetes/README.md). */
interface Definitions {
  definitions: Record<
    string,
    | false
    | {
        type?: string
        properties?: Record<string, unknown>
        additionalProperties?: unknown
        'x-kubernetes-group-version-kind'?: Array<{group: string; version: string; kind: string}>
      }
  >
}
const openapi = JSON.parse(readFileSync(fixture('kubernetes', 'openapi-definitions.json'), 'utf8')) as Definitions

/**
 * One validator per kind. Upstream leaves objects open; like `kubectl apply --validate=strict` and the API server's
 * strict field validation, unknown fields are errors here: every object definition gets additionalProperties false.
 */
function validators(): Map<string, ValidateFunction> {
  const strict = structuredClone(openapi.definitions)
  for (const definition of Object.values(strict)) {
    if (definition !== false && definition.properties !== undefined && definition.additionalProperties === undefined)
      definition.additionalProperties = false
  }
  const ajv = new Ajv({allErrors: true, strict: false})
  const int = (bits: number) => ({
    type: 'number' as const,
    validate: (n: number) => Number.isInteger(n) && n >= -(2 ** (bits - 1)) && n < 2 ** (bits - 1),
  })
  ajv.addFormat('int32', int(32))
  ajv.addFormat('int64', int(64))
  ajv.addFormat('byte', /^[A-Za-z0-9+/]*={0,2}$/)
  ajv.addFormat('date-time', true)
  ajv.addFormat('int-or-string', true)
  const byKind = new Map<string, ValidateFunction>()
  for (const [name, definition] of Object.entries(strict)) {
    for (const gvk of (definition !== false && definition['x-kubernetes-group-version-kind']) || []) {
      const apiVersion = gvk.group === '' ? gvk.version : `${gvk.group}/${gvk.version}`
      byKind.set(`${apiVersion}/${gvk.kind}`, ajv.compile({definitions: strict, $ref: `#/definitions/${name}`}))
    }
  }
  return byKind
}
const byKind = validators()

function openApiErrors(doc: {apiVersion: string; kind: string}): string[] {
  const validate = byKind.get(`${doc.apiVersion}/${doc.kind}`)
  assert.ok(validate, `no OpenAPI definition for ${doc.apiVersion} ${doc.kind} in the fixture`)
  return validate(doc)
    ? []
    : (validate.errors ?? []).map(
        (e) =>
          `${e.instancePath} ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`,
      )
}

// --- What the API server checks beyond the OpenAPI document (k8s.io/apimachinery validation, core/apps validation) ---
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const CONFIGMAP_KEY = /^[-._a-zA-Z0-9]+$/
const QUANTITY = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/

function quantity(value: string): number {
  const match = /^([0-9.]+)(m|Ki|Mi|Gi|k|M|G)?$/.exec(value)
  assert.ok(match, `quantity ${value}`)
  const scale: Record<string, number> = {m: 1e-3, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, k: 1e3, M: 1e6, G: 1e9}
  return Number(match[1]) * (match[2] ? scale[match[2]]! : 1)
}

interface Container {
  name: string
  image: string
  imagePullPolicy?: string
  command?: string[]
  securityContext?: {
    allowPrivilegeEscalation?: boolean
    readOnlyRootFilesystem?: boolean
    privileged?: boolean
    capabilities?: {add?: string[]; drop?: string[]}
    runAsUser?: number
    runAsNonRoot?: boolean
    seccompProfile?: {type: string}
  }
  resources?: {requests?: Record<string, string>; limits?: Record<string, string>}
  volumeMounts?: Array<{name: string; mountPath: string; readOnly?: boolean}>
}
interface DaemonSet {
  apiVersion: string
  kind: string
  metadata: {name: string; namespace: string; labels: Record<string, string>}
  spec: {
    selector: {matchLabels: Record<string, string>}
    updateStrategy: {type: string; rollingUpdate?: {maxUnavailable?: string | number}}
    template: {
      metadata: {labels: Record<string, string>; annotations: Record<string, string>}
      spec: {
        initContainers: Container[]
        containers: Container[]
        tolerations: Array<{operator?: string; key?: string; value?: string; effect?: string}>
        securityContext: {seccompProfile: {type: string}}
        volumes: Array<{
          name: string
          configMap?: {name: string; defaultMode?: number}
          hostPath?: {path: string; type?: string}
        }>
        hostNetwork?: boolean
        hostPID?: boolean
        restartPolicy?: string
        automountServiceAccountToken?: boolean
      }
    }
  }
}
interface ConfigMap {
  apiVersion: string
  kind: string
  metadata: {name: string; namespace: string; labels: Record<string, string>}
  data: Record<string, string>
}

/** The API server's own validation rules that apply to these two objects. */
function apiServerErrors(configMap: ConfigMap, daemonSet: DaemonSet): string[] {
  const errors: string[] = []
  const check = (ok: boolean, what: string) => ok || errors.push(what)
  for (const o of [configMap, daemonSet]) {
    check(DNS_SUBDOMAIN.test(o.metadata.name) && o.metadata.name.length <= 253, `${o.kind} name ${o.metadata.name}`)
    check(DNS_LABEL.test(o.metadata.namespace) && o.metadata.namespace.length <= 63, `${o.kind} namespace`)
    for (const [k, v] of Object.entries(o.metadata.labels))
      check(LABEL_VALUE.test(v) && v.length <= 63 && k.length <= 316, `label ${k}=${v}`)
  }
  let dataBytes = 0
  for (const [key, value] of Object.entries(configMap.data)) {
    check(
      CONFIGMAP_KEY.test(key) && key.length <= 253 && key !== '.' && key !== '..' && !key.startsWith('..'),
      `ConfigMap key ${key}`,
    )
    dataBytes += key.length + Buffer.byteLength(value)
  }
  check(dataBytes <= 1024 * 1024, 'ConfigMap data over 1 MiB')
  const spec = daemonSet.spec
  const pod = spec.template.spec
  for (const [k, v] of Object.entries(spec.selector.matchLabels))
    check(spec.template.metadata.labels[k] === v, `selector ${k} does not match the template`)
  check(['RollingUpdate', 'OnDelete'].includes(spec.updateStrategy.type), 'updateStrategy.type')
  check(pod.restartPolicy === undefined || pod.restartPolicy === 'Always', 'a DaemonSet pod must restart Always')
  const volumes = new Map(pod.volumes.map((v) => [v.name, v]))
  check(volumes.size === pod.volumes.length, 'volume names unique')
  for (const v of pod.volumes) {
    check(DNS_LABEL.test(v.name), `volume name ${v.name}`)
    check([v.configMap, v.hostPath].filter(Boolean).length === 1, `volume ${v.name} has exactly one source`)
    if (v.hostPath) {
      check(
        v.hostPath.path.startsWith('/') && !v.hostPath.path.split('/').includes('..'),
        'hostPath path absolute, no ..',
      )
      check(
        ['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice'].includes(
          v.hostPath.type ?? '',
        ),
        'hostPath type',
      )
    }
    if (v.configMap?.defaultMode !== undefined)
      check(v.configMap.defaultMode >= 0 && v.configMap.defaultMode <= 0o777, 'defaultMode')
  }
  const all = [...pod.initContainers, ...pod.containers]
  check(new Set(all.map((c) => c.name)).size === all.length, 'container names unique')
  for (const c of all) {
    check(DNS_LABEL.test(c.name), `container name ${c.name}`)
    check(c.image.trim() !== '', 'image')
    check(['Always', 'IfNotPresent', 'Never', undefined].includes(c.imagePullPolicy), 'imagePullPolicy')
    const mountPaths = new Set<string>()
    for (const m of c.volumeMounts ?? []) {
      check(volumes.has(m.name), `${c.name} mounts unknown volume ${m.name}`)
      check(m.mountPath.startsWith('/') && !mountPaths.has(m.mountPath), `${c.name} mountPath ${m.mountPath}`)
      mountPaths.add(m.mountPath)
    }
    for (const [resource, value] of Object.entries({...c.resources?.requests, ...c.resources?.limits}))
      check(QUANTITY.test(value) && ['cpu', 'memory'].includes(resource), `${c.name} ${resource}: ${value}`)
    for (const [resource, request] of Object.entries(c.resources?.requests ?? {})) {
      const limit = c.resources?.limits?.[resource]
      check(
        limit === undefined || quantity(request) <= quantity(limit),
        `${c.name} ${resource} request above its limit`,
      )
    }
    const sc = c.securityContext
    if (sc?.runAsNonRoot) check(sc.runAsUser === undefined || sc.runAsUser !== 0, `${c.name} runAsNonRoot with uid 0`)
    if (sc?.allowPrivilegeEscalation === false)
      check(
        !sc.privileged &&
          !(sc.capabilities?.add ?? []).includes('CAP_SYS_ADMIN') &&
          !(sc.capabilities?.add ?? []).includes('SYS_ADMIN'),
        `${c.name} allowPrivilegeEscalation false needs no privileged / SYS_ADMIN`,
      )
  }
  for (const t of pod.tolerations) {
    check(['Exists', 'Equal', undefined].includes(t.operator), 'toleration operator')
    if (t.operator === 'Exists') check(t.value === undefined || t.value === '', 'an Exists toleration has no value')
    check(['NoSchedule', 'PreferNoSchedule', 'NoExecute', undefined].includes(t.effect), 'toleration effect')
  }
  check(
    ['RuntimeDefault', 'Localhost', 'Unconfined'].includes(pod.securityContext.seccompProfile.type),
    'seccompProfile type',
  )
  return errors
}

async function profiles(...specs: Array<[string, string]>): Promise<PreparedProfile[]> {
  const out: PreparedProfile[] = []
  for (const [file, name] of specs) out.push(...(await prepareProfiles([fixture('publish', file)], {name, prefix: ''})))
  return out
}

function withPrefix(list: PreparedProfile[], prefix: string): PreparedProfile[] {
  return list.map((p) => ({...p, location: locateProfile(p.location.name, prefix)}))
}

const defaults: KubernetesOptions = {
  seccompRoot: '/var/lib/kubelet/seccomp',
  prefix: '',
  namespace: DEFAULT_NAMESPACE,
  resourceName: DEFAULT_RESOURCE_NAME,
  image: DEFAULT_IMAGE,
}

function build(list: PreparedProfile[], options: Partial<KubernetesOptions> = {}) {
  const o = {...defaults, ...options}
  const manifests = buildKubernetesManifests(withPrefix(list, o.prefix), o)
  const docs = parseAllDocuments(manifests.yaml).map((d) => {
    assert.deepEqual(d.errors, [])
    return d.toJS() as {apiVersion: string; kind: string}
  })
  return {manifests, configMap: docs[0] as unknown as ConfigMap, daemonSet: docs[1] as unknown as DaemonSet, docs}
}

describe('publish --kubernetes manifests', () => {
  it('are valid against the Kubernetes OpenAPI schema of their kinds and the API server rules, in every configuration', async () => {
    const list = await profiles(['busybox-allow.json', 'web'], ['busybox-deny-uname-mkdir.json', 'team/app_1/deny'])
    const configurations: Array<Partial<KubernetesOptions>> = [
      {},
      {prefix: 'seccomp-recorder'},
      {
        prefix: 'a/b.c/d_e',
        namespace: 'security',
        resourceName: 'team-profiles',
        image: 'registry.example:5000/tools/busybox@sha256:' + 'a'.repeat(64),
      },
      {seccompRoot: '/data/kubelet/seccomp'},
    ]
    for (const configuration of configurations) {
      const {docs, configMap, daemonSet} = build(list, configuration)
      assert.deepEqual(
        docs.map((d) => `${d.apiVersion} ${d.kind}`),
        ['v1 ConfigMap', 'apps/v1 DaemonSet'],
      )
      for (const doc of docs) assert.deepEqual(openApiErrors(doc), [], `${doc.kind} ${JSON.stringify(configuration)}`)
      assert.deepEqual(apiServerErrors(configMap, daemonSet), [], JSON.stringify(configuration))
    }
  })

  it('the schema check is not vacuous: misspelt, mistyped, missing and unused-definition fields fail', async () => {
    const {daemonSet, configMap} = build(await profiles(['busybox-allow.json', 'web']))
    const broken = (edit: (d: any) => void) => {
      const copy = structuredClone(daemonSet) as any
      edit(copy)
      return openApiErrors(copy)
    }
    assert.match(
      broken((d) => (d.spec.template.spec.initContainers[0].securityContext.readOnlyRootFS = true)).join(),
      /must NOT have additional properties \(readOnlyRootFS\)/,
    )
    assert.match(broken((d) => (d.spec.template.spec.terminationGracePeriodSeconds = '5')).join(), /must be integer/)
    assert.match(
      broken((d) => delete d.spec.template.spec.containers).join(),
      /must have required property 'containers'/,
    )
    assert.match(broken((d) => delete d.spec.selector).join(), /must have required property 'selector'/)
    assert.match(
      broken((d) => (d.spec.template.spec.volumes[0].hostPath = {type: 'Directory'})).join(),
      /required property 'path'/,
    )
    assert.match(
      broken((d) => (d.spec.template.spec.containers[0].livenessProbe = {exec: {command: ['true']}})).join(),
      /boolean schema is false/,
    )
    assert.match(broken((d) => (d.spec.template.spec.priority = 2 ** 31)).join(), /must match format "int32"/)
    const badConfigMap = structuredClone(configMap) as any
    badConfigMap.data = {k: 1}
    assert.match(openApiErrors(badConfigMap).join(), /must be string/)
    assert.match(
      apiServerErrors({...configMap, data: {'a/b.json': '{}'}}, daemonSet).join(),
      /ConfigMap key a\/b\.json/,
    )
  })

  it('carry every profile byte for byte, under its escaped key, with the install script naming each', async () => {
    const list = await profiles(['busybox-allow.json', 'team/app/web'], ['busybox-deny-uname-mkdir.json', 'deny'])
    const {configMap, daemonSet, manifests} = build(list, {prefix: 'sr'})
    assert.deepEqual(Object.keys(configMap.data).sort(), ['deny.json', 'team_2fapp_2fweb.json'])
    for (const p of list)
      assert.equal(
        configMap.data[p.location.name === 'deny' ? 'deny.json' : 'team_2fapp_2fweb.json'],
        p.bytes.toString('utf8'),
      )
    const script = daemonSet.spec.template.spec.initContainers[0]!.command![2]!
    assert.match(script, /^stage 'team_2fapp_2fweb\.json' 'team\/app\/web\.json' \d$/m)
    assert.match(script, /^commit 'deny\.json' 'deny\.json' \d$/m)
    assert.equal(manifests.hostPath, '/var/lib/kubelet/seccomp/sr')
    assert.deepEqual(
      manifests.profiles.map((p) => p.localhostProfile),
      ['sr/deny.json', 'sr/team/app/web.json'],
    )
  })

  it('lock the installer down: no privilege, no capability, read-only root, writable only in <seccomp root>/<prefix>, every node', async () => {
    const {daemonSet} = build(await profiles(['busybox-allow.json', 'web']), {prefix: 'seccomp-recorder'})
    const pod = daemonSet.spec.template.spec
    for (const c of [...pod.initContainers, ...pod.containers]) {
      assert.deepEqual(c.securityContext?.capabilities, {drop: ['ALL']}, c.name)
      assert.equal(c.securityContext?.allowPrivilegeEscalation, false)
      assert.equal(c.securityContext?.readOnlyRootFilesystem, true)
      assert.equal(c.securityContext?.privileged, false)
      assert.ok(
        c.resources?.requests?.cpu &&
          c.resources.requests.memory &&
          c.resources.limits?.cpu &&
          c.resources.limits.memory,
        `${c.name} has requests and limits`,
      )
    }
    assert.equal(pod.containers[0]!.securityContext?.runAsNonRoot, true, 'the long-running container is not root')
    assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault')
    assert.equal(pod.automountServiceAccountToken, false)
    assert.ok(!pod.hostNetwork && !pod.hostPID)
    assert.deepEqual(pod.tolerations, [{operator: 'Exists'}], 'an Exists toleration without key tolerates every taint')
    const writable = [...pod.initContainers, ...pod.containers].flatMap((c) =>
      (c.volumeMounts ?? []).filter((m) => !m.readOnly).map((m) => m.name),
    )
    assert.deepEqual(writable, ['seccomp'])
    assert.deepEqual(pod.volumes.find((v) => v.name === 'seccomp')!.hostPath, {
      path: '/var/lib/kubelet/seccomp/seccomp-recorder',
      type: 'DirectoryOrCreate',
    })
  })

  it('roll out again when a profile changes, not otherwise', async () => {
    const [allow] = await profiles(['busybox-allow.json', 'web'])
    const [deny] = await profiles(['busybox-deny-uname-mkdir.json', 'web'])
    const hash = (p: PreparedProfile) =>
      build([p]).daemonSet.spec.template.metadata.annotations['seccomp-recorder/profiles-sha256']
    assert.equal(hash(allow!), hash(allow!))
    assert.notEqual(hash(allow!), hash(deny!))
  })

  it('refuse profiles that do not fit one ConfigMap, and bad names for the objects', async () => {
    const [allow] = await profiles(['busybox-allow.json', 'web'])
    const many = Array.from({length: 140}, (_, i) => ({...allow!, location: locateProfile(`p${i}`, '')}))
    assert.throws(
      () => buildKubernetesManifests(many, defaults),
      (e: unknown) => e instanceof UserError && e.exit === EXIT.REFUSED && /at most 1048576/.test(e.message),
    )
    for (const bad of [
      {resourceName: 'Upper'},
      {namespace: 'a_b'},
      {image: 'busybox; rm -rf /'},
      {seccompRoot: 'relative/seccomp'},
      {seccompRoot: '/x/$(reboot)'},
      {seccompRoot: '/a/../b'},
    ]) {
      assert.throws(
        () => buildKubernetesManifests([allow!], {...defaults, ...bad}),
        (e: unknown) => e instanceof UserError && e.exit === EXIT.USAGE,
        JSON.stringify(bad),
      )
    }
  })

  it("the installer script installs atomically and idempotently (run with this machine's busybox sh)", async () => {
    const list = await profiles(['busybox-allow.json', 'team/app/web'], ['busybox-deny-uname-mkdir.json', 'deny'])
    const {configMap, daemonSet} = build(list, {prefix: 'sr'})
    const base = tempDir()
    const [src, dest] = [join(base, 'profiles'), join(base, 'host-seccomp')]
    mkdirSync(src)
    mkdirSync(join(dest, 'team', 'app'), {recursive: true})
    for (const [key, value] of Object.entries(configMap.data)) writeFileSync(join(src, key), value)
    writeFileSync(join(dest, 'team', 'app', '.seccomp-recorder-install.99.0'), 'left by a killed installer')
    writeFileSync(join(dest, 'team', 'app', 'web.json'), 'old')
    writeFileSync(join(dest, 'unrelated.json'), 'keep')
    const script = daemonSet.spec.template.spec.initContainers[0]!.command![2]!.replace(
      'dest=/host-seccomp',
      `dest=${dest}`,
    ).replace('src=/profiles', `src=${src}`)
    const run = () => spawnSync('busybox', ['sh', '-c', script], {encoding: 'utf8'})
    const first = run()
    assert.equal(first.status, 0, first.stderr)
    assert.match(first.stdout, /installed 2 seccomp profiles into \/var\/lib\/kubelet\/seccomp\/sr/)
    for (const p of list) assert.deepEqual(readFileSync(join(dest, p.location.localhostProfile)), p.bytes)
    const after = snapshot(dest)
    assert.deepEqual(
      Object.keys(after).filter((k) => k.includes('.seccomp-recorder-install')),
      [],
    )
    assert.equal(after['./team/app/web.json']!.split(' ')[1], '644')
    assert.equal(readFileSync(join(dest, 'unrelated.json'), 'utf8'), 'keep')
    assert.equal(run().status, 0)
    const again = snapshot(dest)
    for (const p of list)
      assert.equal(
        again[`./${p.location.localhostProfile}`]!.split(' ')[2] ===
          after[`./${p.location.localhostProfile}`]!.split(' ')[2],
        false,
        'replaced by a rename (new inode) on each run',
      )
  })

  it('use a prepared profile as is (normalised, the same bytes as a local publish)', async () => {
    const [p] = await profiles(['busybox-allow.json', 'web'])
    const again = prepareProfile(JSON.parse(p!.bytes.toString('utf8')), p!.location, p!.source)
    assert.deepEqual(
      again.bytes,
      p!.bytes,
      'normalising is idempotent: the ConfigMap holds exactly what publish writes',
    )
  })
})
