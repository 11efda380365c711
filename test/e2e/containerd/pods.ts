/**
 * Pods as the kubelet starts them through the CRI (RunPodSandbox, then CreateContainer and StartContainer per
 * container), on the node's network since the test containerd has no CNI, and the requests the seed scenario's
 * containers serve (HTTP from nginx, RESP from redis).
 */
import {mkdirSync, readFileSync} from 'node:fs'
import {connect} from 'node:net'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import type {ContainerConfig, ContainerStatus, CriClient, PodSandboxConfig, SecurityProfile} from './cri-client.js'

export interface PodContainer {
  name: string
  image: string
  command?: string[]
  args?: string[]
  seccomp?: SecurityProfile
}

export interface RunningPod {
  sandboxId: string
  config: PodSandboxConfig
  containers: Map<string, string>
  logDirectory: string
}

/**
 * A pod sandbox config: host network, a pid namespace per container (the kubelet's defaults otherwise). No
 * hostname: the kubelet sets one only for pods with their own network (runc refuses one without a UTS namespace).
 */
export function podConfig(options: {
  namespace: string
  name: string
  uid: string
  annotations?: Record<string, string>
  logDirectory: string
  cgroupParent: string
}): PodSandboxConfig {
  return {
    metadata: {name: options.name, uid: options.uid, namespace: options.namespace, attempt: 0},
    log_directory: options.logDirectory,
    labels: {
      'io.kubernetes.pod.name': options.name,
      'io.kubernetes.pod.namespace': options.namespace,
      'io.kubernetes.pod.uid': options.uid,
    },
    annotations: options.annotations ?? {},
    linux: {
      cgroup_parent: options.cgroupParent,
      security_context: {namespace_options: {network: 'NODE', pid: 'CONTAINER', ipc: 'POD'}},
    },
  }
}

/** RunPodSandbox (with the runtime handler, '' for containerd's default), then each container created and started in order, as the kubelet does. */
export async function runPod(
  cri: CriClient,
  config: PodSandboxConfig,
  containers: PodContainer[],
  runtimeHandler = '',
): Promise<RunningPod> {
  mkdirSync(config.log_directory!, {recursive: true})
  const sandboxId = await cri.runPodSandbox(config, runtimeHandler)
  const pod: RunningPod = {sandboxId, config, containers: new Map(), logDirectory: config.log_directory!}
  for (const container of containers) {
    const containerConfig: ContainerConfig = {
      metadata: {name: container.name, attempt: 0},
      image: {image: container.image},
      ...(container.command ? {command: container.command} : {}),
      ...(container.args ? {args: container.args} : {}),
      labels: {'io.kubernetes.container.name': container.name},
      log_path: `${container.name}.log`,
      linux: {
        security_context: {
          namespace_options: {network: 'NODE', pid: 'CONTAINER', ipc: 'POD'},
          seccomp: container.seccomp ?? {profile_type: 'Unconfined'},
        },
      },
    }
    const id = await cri.createContainer(sandboxId, containerConfig, config)
    pod.containers.set(container.name, id)
    await cri.startContainer(id)
  }
  return pod
}

/** StopPodSandbox (stops every container, so each poststop hook runs) and RemovePodSandbox. */
export async function removePod(cri: CriClient, pod: RunningPod): Promise<void> {
  await cri.stopPodSandbox(pod.sandboxId)
  await cri.removePodSandbox(pod.sandboxId)
}

/** Waits for a container to exit; its status then. */
export async function waitExited(cri: CriClient, containerId: string, timeoutMs = 20_000): Promise<ContainerStatus> {
  const deadline = Date.now() + timeoutMs
  let status = await cri.containerStatus(containerId)
  while (status.state !== 'CONTAINER_EXITED') {
    if (Date.now() > deadline)
      throw new Error(`container ${status.metadata.name} still ${status.state} after ${timeoutMs} ms`)
    await sleep(100)
    status = await cri.containerStatus(containerId)
  }
  return status
}

/** The messages of a container's CRI log (`<time> <stream> <tag> <message>` lines). */
export function containerLog(pod: RunningPod, name: string): string {
  try {
    return readFileSync(join(pod.logDirectory, `${name}.log`), 'utf8')
      .split('\n')
      .map((line) => line.split(' ').slice(3).join(' '))
      .join('\n')
  } catch {
    return '(no log)'
  }
}

/** Retries `attempt` until it succeeds or the deadline passes; fails with the last error. */
export async function eventually<T>(what: string, attempt: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      return await attempt()
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms: ${(error as Error).message}`)
      await sleep(200)
    }
  }
}

/** One HTTP GET; the body (fails on a status other than 200). */
export async function httpGet(url: string): Promise<string> {
  const response = await fetch(url, {signal: AbortSignal.timeout(3_000)})
  const body = await response.text()
  if (response.status !== 200) throw new Error(`GET ${url}: ${response.status} ${body.slice(0, 200)}`)
  return body
}

/** One redis command over a fresh TCP connection in RESP; the raw reply. */
export function redisCommand(port: number, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({host: '127.0.0.1', port})
    let reply = ''
    socket.setTimeout(3_000, () => socket.destroy(new Error(`redis ${args[0]}: no reply within 3 s`)))
    socket.on('connect', () =>
      socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`),
    )
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString()
      if (reply.endsWith('\r\n') && !/^\$[0-9]+\r\n$/.test(reply)) {
        socket.end()
        resolve(reply)
      }
    })
    socket.on('error', reject)
  })
}
