import {cpSync, mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {createRecording, type Recording} from '../../../src/store/model.js'
import {fixture} from '../../helpers/cli.js'
import {workloadFromPodName} from '../../../src/naming/workload.js'

/** A valid recording for tests: a Kubernetes container run unless `name` is given. */
export function makeRecording(options: {
  name?: string
  namespace?: string
  pod?: string
  container?: string
  syscalls?: string[]
  x86?: string[]
  unknown?: Recording['unknown']
  lost?: number
  startedAt?: string
  endedAt?: string
  source?: Recording['source']
  runtime?: string
}): Recording {
  const namespace = options.namespace ?? 'default'
  const pod = options.pod ?? 'web-7d4b9c8f6d-x2k4q'
  const container = options.container ?? 'nginx'
  const names: Recording['syscalls'] = {x86_64: options.syscalls ?? ['read', 'write']}
  if (options.x86) names.x86 = options.x86
  return createRecording({
    source: options.source ?? 'hook',
    name: options.name ?? `${namespace}/${workloadFromPodName(pod)}/${container}`,
    container: {id: 'c0ffee', name: container, pod, namespace, workload: workloadFromPodName(pod)},
    runtime: options.runtime ?? 'runc',
    set: {names, unknown: options.unknown ?? []},
    lost: options.lost ?? 0,
    startedAt: new Date(options.startedAt ?? '2026-05-01T10:00:00Z'),
    endedAt: new Date(options.endedAt ?? '2026-05-01T10:01:00Z'),
  })
}

/** A private copy of fixtures/recordings/store (commands write into the store they read). */
export function copyFixtureStore(): string {
  const dir = mkdtempSync(join(tmpdir(), 'store-'))
  cpSync(fixture('recordings', 'store'), dir, {recursive: true})
  return dir
}

export function tempDir(prefix = 'seccomp-recorder-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}
