import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {askedForNothing} from '../../src/hook/not-asked.js'

const state = (annotations: Record<string, string>) =>
  JSON.stringify({ociVersion: '1.0.2', id: 'c1', status: 'stopped', bundle: '/b', annotations})
const containerd = (name: string) => ({
  'io.kubernetes.cri.container-type': 'container',
  'io.kubernetes.cri.container-name': name,
  'io.kubernetes.cri.sandbox-namespace': 'shop',
})

describe('askedForNothing (the poststop fast path, as bpf/admission.c step 0)', () => {
  it('lets go a container whose annotations ask for nothing', () => {
    assert.equal(askedForNothing(state(containerd('nginx'))), 'c1')
  })

  it('takes the full path when the plain key or the record key asks', () => {
    assert.equal(
      askedForNothing(state({...containerd('nginx'), 'io.containers.trace-syscall': 'of:/o/x.json'})),
      undefined,
    )
    assert.equal(askedForNothing(state({'seccomp-recorder.io/record': 'auto'})), undefined)
  })

  it('counts io.containers.trace-syscall/<name> only for the containerd container of that name', () => {
    assert.equal(
      askedForNothing(state({...containerd('nginx'), 'io.containers.trace-syscall/nginx': 'of:/o/x.json'})),
      undefined,
    )
    assert.equal(
      askedForNothing(state({...containerd('redis'), 'io.containers.trace-syscall/nginx': 'of:/o/x.json'})),
      'c1',
    )
    assert.equal(
      askedForNothing(state({'io.container.manager': 'cri-o', 'io.containers.trace-syscall/nginx': 'of:/o/x.json'})),
      'c1',
    )
    assert.equal(askedForNothing(state({'io.containers.trace-syscall/nginx': 'of:/o/x.json'})), 'c1')
  })

  it('leaves a state without annotations, or one that does not parse, to the full path', () => {
    assert.equal(askedForNothing(state({})), undefined)
    assert.equal(askedForNothing('{'), undefined)
  })
})
