import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {
  AnnotationError,
  parseRecordName,
  parseTraceSyscall,
  recordingRequests,
  runtimeTailOverride,
  runtimeThreadsOverride,
  traceSyscallKey,
} from '../../src/oci/annotations.js'

describe('io.containers.trace-syscall', () => {
  it('reads of: and if: in either order', () => {
    assert.deepEqual(parseTraceSyscall('of:/out/a.json'), {output: '/out/a.json', base: null})
    assert.deepEqual(parseTraceSyscall('of:/out/a.json;if:/out/base.json'), {
      output: '/out/a.json',
      base: '/out/base.json',
    })
    assert.deepEqual(parseTraceSyscall('if:/out/base.json;of:/out/a.json'), {
      output: '/out/a.json',
      base: '/out/base.json',
    })
  })

  for (const [value, why] of [
    ['', /not of:PATH/],
    ['/out/a.json', /not of:PATH/],
    ['if:/out/base.json', /missing of:/],
    ['of:out/a.json', /must be absolute/],
    ['of:/out/../etc/passwd', /"\.\." components/],
    ['of:/out/./a.json', /"\.\." components/],
    ['of:/out/a.json;of:/out/b.json', /given twice/],
    ['of:/out/a.json;xf:/x', /unknown field/],
    ['of:/out/a\u0000.json', /NUL or control/],
    ['of:/out/a\n.json', /NUL or control/],
    ['of:/out/', /directory/],
    [`of:/${'a'.repeat(5000)}`, /longer than/],
  ] as const) {
    it(`refuses ${JSON.stringify(value.slice(0, 40))}`, () => {
      assert.throws(
        () => parseTraceSyscall(value),
        (error: unknown) => error instanceof AnnotationError && why.test(error.message),
      )
    })
  }
})

describe('seccomp-recorder.io/record', () => {
  it('derives the name for auto, true or empty, and keeps an explicit one', () => {
    assert.equal(parseRecordName('auto'), null)
    assert.equal(parseRecordName(''), null)
    assert.equal(parseRecordName('true'), null)
    assert.equal(parseRecordName('team/web'), 'team/web')
  })

  it('refuses hostile names', () => {
    for (const bad of [
      '../x',
      '/etc/x',
      'a/../b',
      'a b',
      'a/b/c/d',
      '.hidden',
      'x\u0000y',
      'é',
      'web.coverage',
      'a/web.complain',
    ]) {
      assert.throws(() => parseRecordName(bad), AnnotationError, bad)
    }
  })
})

describe('recordingRequests', () => {
  it('lists what the annotations ask for', () => {
    assert.deepEqual(
      recordingRequests({
        'io.containers.trace-syscall': 'of:/o/x.json',
        'seccomp-recorder.io/record': 'auto',
        other: 'x',
      }),
      [
        {kind: 'trace-syscall', output: '/o/x.json', base: null},
        {kind: 'store', name: null},
      ],
    )
    assert.deepEqual(recordingRequests({}), [])
  })

  describe('the per-container form io.containers.trace-syscall/<container> (containerd passes it through unchanged)', () => {
    const containerd = (name: string) => ({
      'io.kubernetes.cri.container-type': 'container',
      'io.kubernetes.cri.container-name': name,
      'io.kubernetes.cri.sandbox-namespace': 'shop',
    })
    const nginx = 'io.containers.trace-syscall/nginx'

    it("is a containerd container's request when it names that container, and only then", () => {
      assert.deepEqual(recordingRequests({...containerd('nginx'), [nginx]: 'of:/o/nginx.json'}), [
        {kind: 'trace-syscall', output: '/o/nginx.json', base: null},
      ])
      assert.deepEqual(recordingRequests({...containerd('redis'), [nginx]: 'of:/o/nginx.json'}), [])
      assert.equal(
        traceSyscallKey({...containerd('redis'), [nginx]: 'x', 'io.containers.trace-syscall/redis': 'y'}),
        'io.containers.trace-syscall/redis',
      )
    })

    it('wins over the plain key, which still applies to the containers it does not name', () => {
      const pod = {'io.containers.trace-syscall': 'of:/o/all.json', [nginx]: 'of:/o/nginx.json'}
      assert.deepEqual(recordingRequests({...containerd('nginx'), ...pod}), [
        {kind: 'trace-syscall', output: '/o/nginx.json', base: null},
      ])
      assert.deepEqual(recordingRequests({...containerd('redis'), ...pod}), [
        {kind: 'trace-syscall', output: '/o/all.json', base: null},
      ])
    })

    it('is checked as the plain key is', () => {
      assert.throws(() => recordingRequests({...containerd('nginx'), [nginx]: 'of:/o/../etc/passwd'}), AnnotationError)
    })

    it('is ignored where no container could be named by it: not containerd (CRI-O rewrites it, hosts never get it), or a name that is no Kubernetes name', () => {
      assert.deepEqual(
        recordingRequests({
          'io.kubernetes.cri-o.ContainerName': 'k8s_nginx_web-1_shop_u_0',
          [nginx]: 'of:/o/nginx.json',
        }),
        [],
      )
      assert.deepEqual(recordingRequests({'io.container.manager': 'libpod', [nginx]: 'of:/o/nginx.json'}), [])
      assert.deepEqual(recordingRequests({[nginx]: 'of:/o/nginx.json'}), [])
      assert.deepEqual(
        recordingRequests({...containerd('../x'), 'io.containers.trace-syscall/../x': 'of:/o/x.json'}),
        [],
      )
      assert.deepEqual(recordingRequests({...containerd(''), 'io.containers.trace-syscall/': 'of:/o/x.json'}), [])
      const long = 'a'.repeat(254)
      assert.deepEqual(
        recordingRequests({...containerd(long), [`io.containers.trace-syscall/${long}`]: 'of:/o/x.json'}),
        [],
      )
      assert.equal(
        traceSyscallKey(
          JSON.parse('{"__proto__": "x", "io.kubernetes.cri.container-name": "__proto__"}') as Record<string, string>,
        ),
        null,
      )
    })
  })

  it('reads the runtime-tail override', () => {
    assert.equal(runtimeTailOverride({'seccomp-recorder.io/runtime-tail': 'own'}), 'own')
    assert.equal(runtimeTailOverride({}), undefined)
    assert.throws(() => runtimeTailOverride({'seccomp-recorder.io/runtime-tail': 'all'}), AnnotationError)
  })

  it('reads the runtime-threads override: exactly "true" or "false"', () => {
    assert.equal(runtimeThreadsOverride({'seccomp-recorder.io/runtime-threads': 'true'}), true)
    assert.equal(runtimeThreadsOverride({'seccomp-recorder.io/runtime-threads': 'false'}), false)
    assert.equal(runtimeThreadsOverride({}), undefined)
    for (const bad of ['yes', 'TRUE', '1', '', 'true\n'])
      assert.throws(
        () => runtimeThreadsOverride({'seccomp-recorder.io/runtime-threads': bad}),
        /seccomp-recorder.io\/runtime-threads.*must be "true" or "false"/,
      )
  })
})
