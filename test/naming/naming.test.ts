import assert from 'node:assert/strict'
import {mkdtempSync, mkdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import fc from 'fast-check'
import {AnnotationError} from '../../src/oci/annotations.js'
import {GENERATED_ALPHABET, workloadFromPodName} from '../../src/naming/workload.js'
import {profileNameFor} from '../../src/naming/profile-name.js'
import {namingFromOciAnnotations} from '../../src/naming/oci-annotations.js'
import {podmanNameFromBundle} from '../../src/naming/podman.js'
import {OBJECT_NAME} from '../../src/oci/containerd-keys.js'
import {profileNameProblem} from '../../src/store/names.js'

const generated = (min: number, max: number) =>
  fc.string({unit: fc.constantFrom(...GENERATED_ALPHABET), minLength: min, maxLength: max})
/** Workload names that do not themselves end like something Kubernetes generates: every segment starts with a vowel. */
const workloadName = fc.stringMatching(/^a[a-z0-9]{0,8}(-e[a-z0-9]{0,8}){0,2}$/)

describe('workloadFromPodName', () => {
  const cases: Array<[string, string, string]> = [
    ['Deployment', 'web-7d4b9c8f6d-x2k4q', 'web'],
    ['Deployment, dashed name', 'my-web-app-5f6b9c7d8-hj2lw', 'my-web-app'],
    ['StatefulSet', 'db-0', 'db'],
    ['StatefulSet, ordinal 12', 'kafka-broker-12', 'kafka-broker'],
    ['Job', 'migrate-x2k4q', 'migrate'],
    ['CronJob', 'backup-28373640-x2k4q', 'backup'],
    ['indexed Job', 'render-3-x2k4q', 'render'],
    ['DaemonSet', 'agent-x2k4q', 'agent'],
    ['DaemonSet, all-digit suffix', 'agent-24567', 'agent'],
    ['bare pod', 'nginx', 'nginx'],
    ['bare pod with dashes', 'web-server', 'web-server'],
    ['suffix with vowels is not generated', 'cache-redis', 'cache-redis'],
    ['four characters are not a random suffix', 'api-bcdf', 'api-bcdf'],
    ['leading zero is not an ordinal', 'db-00', 'db-00'],
    ['a hash alone is not enough', 'web-7d4b9c8f6d', 'web-7d4b9c8f6d'],
    ['not a valid pod name stays whole', 'My_Pod-x2k4q', 'My_Pod-x2k4q'],
    ['no name before the suffix', 'x2k4q', 'x2k4q'],
    ['empty', '', ''],
  ]
  for (const [what, pod, workload] of cases)
    it(`${what}: ${pod} → ${workload}`, () => assert.equal(workloadFromPodName(pod), workload))

  it('recovers the Deployment name from any generated pod name', () => {
    fc.assert(
      fc.property(
        workloadName,
        generated(6, 10),
        generated(5, 5),
        (name, hash, suffix) => workloadFromPodName(`${name}-${hash}-${suffix}`) === name,
      ),
      {numRuns: 500},
    )
  })

  it('recovers Job/DaemonSet and StatefulSet names', () => {
    fc.assert(
      fc.property(workloadName, generated(5, 5), fc.nat(9999), (name, suffix, ordinal) => {
        assert.equal(workloadFromPodName(`${name}-${suffix}`), name)
        assert.equal(workloadFromPodName(`${name}-${ordinal}`), name)
      }),
      {numRuns: 300},
    )
  })

  it('keeps names that do not end in a generated suffix', () => {
    fc.assert(
      fc.property(workloadName, (name) => workloadFromPodName(name) === name),
      {numRuns: 300},
    )
  })
})
describe('profileNameFor', () => {
  it('names Kubernetes containers <namespace>/<workload>/<container>', () => {
    assert.equal(profileNameFor({namespace: 'shop', pod: 'web-7d4b9c8f6d-x2k4q', container: 'nginx'}), 'shop/web/nginx')
    assert.equal(profileNameFor({namespace: 'shop', pod: 'db-0', container: 'postgres'}), 'shop/db/postgres')
  })

  it('takes the explicit name first, then the annotation scoped to the namespace', () => {
    assert.equal(profileNameFor({explicit: 'my/app', namespace: 'shop', pod: 'web-0', container: 'c'}), 'my/app')
    assert.equal(profileNameFor({annotation: 'custom', namespace: 'shop', pod: 'web-0', container: 'c'}), 'shop/custom')
    assert.equal(
      profileNameFor({annotation: 'shop/custom', namespace: 'shop', pod: 'web-0', container: 'c'}),
      'shop/custom',
    )
    // A pod cannot write into another namespace's profile by naming it.
    assert.equal(
      profileNameFor({annotation: 'kube-system/coredns/coredns', namespace: 'evil', pod: 'x-0', container: 'c'}),
      'evil/kube-system/coredns/coredns',
    )
    assert.equal(profileNameFor({annotation: 'podman-app', podmanName: 'sleepy_wozniak'}), 'podman-app')
    assert.equal(profileNameFor({annotation: 'bad//name', podmanName: 'web'}), 'web')
  })

  it('uses a template, podman names and a last resort', () => {
    assert.equal(
      profileNameFor({
        namespace: 'shop',
        pod: 'web-7d4b9c8f6d-x2k4q',
        container: 'nginx',
        template: '{namespace}-{workload}',
      }),
      'shop-web',
    )
    assert.equal(profileNameFor({podmanName: 'my_ctr'}), 'my_ctr')
    assert.equal(profileNameFor({container: 'nginx'}), 'nginx')
    assert.equal(profileNameFor({id: '2e32c47b8c0c794e65debfb8'}), 'unnamed/2e32c47b8c0c')
    assert.equal(profileNameFor({}), 'unnamed')
    // Hostile parts are ignored, not used.
    assert.equal(profileNameFor({namespace: '../..', pod: 'web-0', container: 'c'}), 'c')
  })

  it('passes over names a container chose that end like a sidecar, and refuses such a name given explicitly', () => {
    // podman run --name web.coverage: its profile would be written over web's coverage sidecar.
    assert.equal(profileNameFor({podmanName: 'web.coverage', id: '2e32c47b8c0c794e'}), 'unnamed/2e32c47b8c0c')
    assert.equal(profileNameFor({podmanName: 'web.complain', container: 'nginx'}), 'nginx')
    // A template ending in a pod-controlled value (a pod name may hold dots): the next rule.
    assert.equal(
      profileNameFor({namespace: 'shop', pod: 'web.complain', container: 'nginx', template: '{namespace}/{pod}'}),
      'shop/nginx',
    )
    assert.equal(
      profileNameFor({namespace: 'shop', pod: 'p-0', container: 'web.coverage', id: 'abc'}),
      'shop/unnamed/abc',
    )
    assert.equal(profileNameFor({annotation: 'web.coverage', podmanName: 'web'}), 'web')
    assert.throws(() => profileNameFor({explicit: 'shop/web.complain'}), /ends in "\.complain"/)
  })

  it('refuses bad explicit names and templates', () => {
    assert.throws(() => profileNameFor({explicit: '/abs'}), /empty segments/)
    assert.throws(() => profileNameFor({explicit: 'a/../b'}), /"\." and "\.\."/)
    assert.throws(
      () => profileNameFor({namespace: 'a', pod: 'b', container: 'c', template: '{nope}'}),
      /unknown placeholder/,
    )
    assert.throws(() => profileNameFor({namespace: 'a', pod: 'b', container: 'c', template: 'fixed'}), /no placeholder/)
    assert.match(profileNameProblem('a\nb') ?? '', /control/)
    assert.match(profileNameProblem('x'.repeat(513)) ?? '', /at most 512/)
    assert.equal(profileNameProblem('default/web/nginx'), null)
  })
})

describe('namingFromOciAnnotations', () => {
  const labels = JSON.stringify({
    'io.kubernetes.container.name': 'nginx',
    'io.kubernetes.pod.name': 'web-7d4b9c8f6d-x2k4q',
    'io.kubernetes.pod.namespace': 'shop',
    'io.kubernetes.pod.uid': 'u',
  })
  const crioName = 'k8s_nginx_web-7d4b9c8f6d-x2k4q_shop_0d6f-11_2'

  it('reads CRI-O ContainerName and Labels', () => {
    const naming = namingFromOciAnnotations({
      'io.kubernetes.cri-o.ContainerType': 'container',
      'io.kubernetes.cri-o.ContainerName': crioName,
      'io.kubernetes.cri-o.Labels': labels,
    })
    assert.deepEqual(naming, {
      manager: 'cri-o',
      kubernetes: true,
      container: 'nginx',
      pod: 'web-7d4b9c8f6d-x2k4q',
      namespace: 'shop',
      sandbox: false,
      annotation: null,
    })
    assert.equal(profileNameFor(naming), 'shop/web/nginx')
  })

  it('recognises the sandbox (infra) container', () => {
    assert.equal(namingFromOciAnnotations({'io.kubernetes.cri-o.ContainerType': 'sandbox'}).sandbox, true)
    assert.equal(
      namingFromOciAnnotations({'io.kubernetes.cri-o.ContainerName': 'k8s_POD_web-0_shop_uid_0'}).sandbox,
      true,
    )
    assert.equal(
      namingFromOciAnnotations({
        'io.kubernetes.cri.container-type': 'sandbox',
        'io.kubernetes.cri.sandbox-name': 'web-0',
      }).sandbox,
      true,
    )
  })

  it('reads containerd keys', () => {
    const naming = namingFromOciAnnotations({
      'io.kubernetes.cri.container-type': 'container',
      'io.kubernetes.cri.container-name': 'app',
      'io.kubernetes.cri.sandbox-name': 'api-0',
      'io.kubernetes.cri.sandbox-namespace': 'ns',
    })
    assert.deepEqual(
      [naming.manager, naming.container, naming.pod, naming.namespace],
      ['containerd', 'app', 'api-0', 'ns'],
    )
  })

  it('knows podman, whose annotations carry CRI-O keys but no name (as seen with podman 4.3)', () => {
    const naming = namingFromOciAnnotations({
      'io.container.manager': 'libpod',
      'io.kubernetes.cri-o.Created': '2026-11-22T13:46:54.80452957Z',
      'io.kubernetes.cri-o.TTY': 'false',
      'io.podman.annotations.autoremove': 'TRUE',
      'org.opencontainers.image.stopSignal': '15',
    })
    assert.deepEqual(naming, {
      manager: 'podman',
      kubernetes: false,
      container: null,
      pod: null,
      namespace: null,
      sandbox: false,
      annotation: null,
    })
  })

  it("takes an explicit name from seccomp-recorder.io/record, under the pod's namespace", () => {
    const base = {'io.kubernetes.cri-o.ContainerName': crioName}
    assert.equal(namingFromOciAnnotations({...base, 'seccomp-recorder.io/record': 'team/web'}).annotation, 'team/web')
    assert.equal(namingFromOciAnnotations({...base, 'seccomp-recorder.io/record': 'auto'}).annotation, null)
    assert.equal(namingFromOciAnnotations({...base, 'seccomp-recorder.io/record': '../x'}).annotation, null)
    assert.equal(
      profileNameFor(namingFromOciAnnotations({...base, 'seccomp-recorder.io/record': 'custom'})),
      'shop/custom',
    )
    assert.equal(
      profileNameFor(namingFromOciAnnotations({...base, 'seccomp-recorder.io/record': 'payments/api/web'})),
      'shop/payments/api/web',
    )
  })

  it('ignores hostile values in the names', () => {
    const hostile: unknown[] = [
      null,
      'string',
      [],
      {'io.kubernetes.cri-o.Labels': 5},
      Object.assign(Object.create({'io.kubernetes.cri-o.ContainerName': crioName}), {}),
      {'io.container.manager': 'libpod', 'io.kubernetes.cri-o.ContainerType': 'container'},
    ]
    for (const annotations of hostile) {
      const naming = namingFromOciAnnotations(annotations)
      assert.equal(naming.container, null, JSON.stringify(annotations)?.slice(0, 80))
      assert.equal(naming.pod, null)
      assert.equal(naming.namespace, null)
    }
    assert.equal(({} as Record<string, unknown>)['io.kubernetes.container.name'], undefined, 'no prototype pollution')
  })

  it('only returns valid names or refuses with an AnnotationError, whatever the input', () => {
    const values = fc.oneof(fc.string(), fc.json(), fc.anything())
    const keys = fc.constantFrom(
      'io.kubernetes.cri-o.Labels',
      'io.kubernetes.cri-o.ContainerType',
      'io.kubernetes.cri-o.ContainerName',
      'io.kubernetes.cri.sandbox-name',
      'io.kubernetes.cri.sandbox-namespace',
      'io.container.manager',
      'seccomp-recorder.io/record',
      'x',
    )
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.dictionary(keys, values)), (annotations) => {
        let naming
        try {
          naming = namingFromOciAnnotations(annotations)
        } catch (error) {
          assert.ok(error instanceof AnnotationError, String(error))
          return
        }
        for (const v of [naming.container, naming.pod, naming.namespace]) if (v !== null) assert.match(v, OBJECT_NAME)
        if (naming.annotation !== null) assert.equal(profileNameProblem(naming.annotation), null)
        if (naming.kubernetes && !naming.sandbox) assert.notEqual(naming.namespace, null)
        profileNameFor(naming)
      }),
      {numRuns: 500},
    )
  })
})

describe('podmanNameFromBundle', () => {
  const root = mkdtempSync(join(tmpdir(), 'naming-'))
  after(() => rmSync(root, {recursive: true, force: true}))

  it('finds the name in c/storage containers.json', async () => {
    const id = '52efe30d0fc1031cef50d39319aeb6f2a583e491f3dbf89b8e37e5d37a7bd214'
    const bundle = join(root, 'vfs-containers', id, 'userdata')
    mkdirSync(bundle, {recursive: true})
    writeFileSync(
      join(root, 'vfs-containers', 'containers.json'),
      JSON.stringify([
        {id: 'other', names: ['x']},
        {id, names: ['my_ctr2'], image: ''},
      ]),
    )
    assert.equal(await podmanNameFromBundle(bundle, id), 'my_ctr2')
    assert.equal(await podmanNameFromBundle(bundle, 'nope'), null)
    assert.equal(await podmanNameFromBundle(join(root, 'elsewhere'), id), null)
  })
})
