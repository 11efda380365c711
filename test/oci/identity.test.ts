import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {AnnotationError} from '../../src/oci/annotations.js'
import {containerIdentity} from '../../src/oci/identity.js'

const crio = {
  'io.container.manager': 'cri-o',
  'io.kubernetes.cri-o.ContainerType': 'container',
  'io.kubernetes.cri-o.ContainerName': 'k8s_api_api-7d4b9c8f6d-x2k4q_payments_0d6f-11_0',
}
const containerd = {
  'io.kubernetes.cri.container-type': 'container',
  'io.kubernetes.cri.container-name': 'api',
  'io.kubernetes.cri.sandbox-name': 'api-7d4b9c8f6d-x2k4q',
  'io.kubernetes.cri.sandbox-namespace': 'payments',
}
const labels = (namespace: string, pod = 'api-7d4b9c8f6d-x2k4q') =>
  JSON.stringify({
    'io.kubernetes.container.name': 'api',
    'io.kubernetes.pod.name': pod,
    'io.kubernetes.pod.namespace': namespace,
  })

describe('containerIdentity', () => {
  it("takes CRI-O's and containerd's own keys", () => {
    assert.deepEqual(containerIdentity(crio), {
      manager: 'cri-o',
      kubernetes: true,
      namespace: 'payments',
      pod: 'api-7d4b9c8f6d-x2k4q',
      container: 'api',
      sandbox: false,
    })
    assert.deepEqual(containerIdentity(containerd), {
      manager: 'containerd',
      kubernetes: true,
      namespace: 'payments',
      pod: 'api-7d4b9c8f6d-x2k4q',
      container: 'api',
      sandbox: false,
    })
    assert.equal(containerIdentity({...crio, 'io.kubernetes.cri-o.Labels': labels('payments')}).namespace, 'payments')
  })

  it('tells podman (also in a pod, where it sets CRI-O ContainerType and SandboxID) and plain runtimes apart', () => {
    const pod = {
      'io.container.manager': 'libpod',
      'io.kubernetes.cri-o.ContainerType': 'container',
      'io.kubernetes.cri-o.SandboxID': 'abc',
    }
    assert.deepEqual(containerIdentity(pod), {
      manager: 'podman',
      kubernetes: false,
      namespace: null,
      pod: null,
      container: null,
      sandbox: false,
    })
    assert.equal(containerIdentity({}).manager, 'none')
    assert.equal(containerIdentity({'io.kubernetes.cri-o.ContainerType': 'sandbox'}).sandbox, true)
    // Only "cri-o" and "libpod" claim a manager: another value, as a podman user may set, claims nothing.
    assert.equal(containerIdentity({...containerd, 'io.container.manager': ''}).manager, 'containerd')
    // CRI-O's other keys identify nobody (podman writes Created and TTY): under containerd they are ignored.
    assert.deepEqual(
      containerIdentity({
        ...containerd,
        'io.kubernetes.cri-o.ContainerType': 'sandbox',
        'io.kubernetes.cri-o.TTY': 'false',
      }).sandbox,
      false,
    )
    assert.throws(() => containerIdentity({'io.container.manager': 'cri-o'}), /namespace cannot be told/)
  })

  it("refuses a pod that sets another manager's keys (a spoof under a passthrough)", () => {
    const spoofs: Array<[string, Record<string, string>]> = [
      ['CRI-O labels under containerd', {...containerd, 'io.kubernetes.cri-o.Labels': labels('payments')}],
      [
        'CRI-O name under containerd',
        {...containerd, 'io.kubernetes.cri-o.ContainerName': 'k8s_api_api-0_payments_u_0'},
      ],
      ['containerd keys under CRI-O', {...crio, 'io.kubernetes.cri.sandbox-namespace': 'payments'}],
      ['podman under CRI-O', {...crio, 'io.container.manager': 'libpod'}],
      ['a CRI-O claim under containerd', {...containerd, 'io.container.manager': 'cri-o'}],
      ['podman under containerd', {...containerd, 'io.container.manager': 'libpod'}],
    ]
    for (const [what, annotations] of spoofs) {
      assert.throws(
        () => containerIdentity(annotations),
        (e: unknown) => e instanceof AnnotationError && /contradictory keys/.test(e.message),
        what,
      )
    }
  })

  it("refuses CRI-O labels that name another namespace or pod than CRI-O's container name", () => {
    assert.throws(
      () => containerIdentity({...crio, 'io.kubernetes.cri-o.Labels': labels('evil')}),
      /different namespaces/,
    )
    assert.throws(
      () => containerIdentity({...crio, 'io.kubernetes.cri-o.Labels': labels('payments', 'other-0')}),
      /different pods/,
    )
  })

  it('refuses a Kubernetes container whose namespace cannot be told, but still recognises its sandbox', () => {
    assert.throws(
      () =>
        containerIdentity({
          'io.kubernetes.cri.container-type': 'container',
          'io.kubernetes.cri.sandbox-namespace': '../payments',
        }),
      /namespace cannot be told/,
    )
    assert.throws(
      () => containerIdentity({'io.kubernetes.cri-o.Labels': labels('payments')}),
      /namespace cannot be told/,
    )
    assert.equal(containerIdentity({'io.kubernetes.cri.container-type': 'sandbox'}).sandbox, true)
  })

  it('reads own string properties only', () => {
    assert.equal(containerIdentity(Object.create(containerd)).manager, 'none')
    assert.equal(containerIdentity(null).manager, 'none')
    assert.equal(containerIdentity(['io.kubernetes.cri.container-type']).manager, 'none')
  })
})
