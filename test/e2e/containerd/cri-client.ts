/**
 * A CRI client for the end-to-end tests: the calls the kubelet makes to start and stop a pod, over containerd's
 * gRPC socket, with the runtime.v1 subset in runtime-v1.proto. Every call has a deadline and fails with the call's
 * name and containerd's message.
 */
import {join} from 'node:path'
import * as grpc from '@grpc/grpc-js'
import * as protoLoader from '@grpc/proto-loader'
import {REPO_ROOT} from '../../helpers/cli.js'

export const CRI_PROTO = join(REPO_ROOT, 'test', 'e2e', 'containerd', 'runtime-v1.proto')

export type NamespaceMode = 'POD' | 'CONTAINER' | 'NODE' | 'TARGET'
export type ContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN'

export interface SecurityProfile {
  profile_type: 'RuntimeDefault' | 'Unconfined' | 'Localhost'
  localhost_ref?: string
}

export interface PodSandboxConfig {
  metadata: {name: string; uid: string; namespace: string; attempt?: number}
  hostname?: string
  log_directory?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
  linux?: {
    cgroup_parent?: string
    security_context?: {
      namespace_options?: {network?: NamespaceMode; pid?: NamespaceMode; ipc?: NamespaceMode}
      seccomp?: SecurityProfile
    }
  }
}

export interface ContainerConfig {
  metadata: {name: string; attempt?: number}
  image: {image: string}
  command?: string[]
  args?: string[]
  working_dir?: string
  envs?: Array<{key: string; value: string}>
  labels?: Record<string, string>
  annotations?: Record<string, string>
  log_path?: string
  linux?: {
    security_context?: {
      namespace_options?: {network?: NamespaceMode; pid?: NamespaceMode; ipc?: NamespaceMode}
      seccomp?: SecurityProfile
      no_new_privs?: boolean
    }
  }
}

export interface ContainerStatus {
  id: string
  metadata: {name: string; attempt: number}
  state: ContainerState
  exit_code: number
  reason: string
  message: string
  annotations: Record<string, string>
  log_path: string
}

/** The parts of an OCI runtime spec the tests look at. */
export interface OciSpec {
  annotations?: Record<string, string>
  hooks?: Record<string, Array<{path: string; args?: string[]}>>
  linux?: {seccomp?: {defaultAction: string; syscalls?: Array<{names: string[]; action: string}>}}
}

type Unary = (
  request: object,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, response: unknown) => void,
) => void
type ServiceClient = grpc.Client & Record<string, Unary>
type ServiceClientConstructor = new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: object,
) => ServiceClient

const DEFAULT_DEADLINE_MS = 60_000

function loadServices(): {runtime: ServiceClientConstructor; image: ServiceClientConstructor} {
  const definition = protoLoader.loadSync(CRI_PROTO, {
    keepCase: true,
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
  })
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    runtime: {v1: {RuntimeService: ServiceClientConstructor; ImageService: ServiceClientConstructor}}
  }
  return {runtime: pkg.runtime.v1.RuntimeService, image: pkg.runtime.v1.ImageService}
}

export class CriClient {
  private readonly runtime: ServiceClient
  private readonly image: ServiceClient

  /** `socket`: the path of containerd's gRPC socket. */
  constructor(readonly socket: string) {
    const services = loadServices()
    const address = `unix://${socket}`
    const credentials = grpc.credentials.createInsecure()
    this.runtime = new services.runtime(address, credentials)
    this.image = new services.image(address, credentials)
  }

  private call<T>(
    client: ServiceClient,
    method: string,
    request: object,
    deadlineMs = DEFAULT_DEADLINE_MS,
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      const deadline = new Date(Date.now() + deadlineMs)
      client[method]!.call(client, request, new grpc.Metadata(), {deadline}, (error, response) => {
        if (error)
          reject(
            new Error(
              `CRI ${method} failed (${grpc.status[error.code] ?? error.code}): ${error.details || error.message}`,
            ),
          )
        else resolve(response as T)
      })
    })
  }

  version(): Promise<{version: string; runtime_name: string; runtime_version: string; runtime_api_version: string}> {
    return this.call(this.runtime, 'Version', {version: 'v1'}, 5_000)
  }

  /** The image's id and tags, or null when containerd does not have it. */
  async imageStatus(image: string): Promise<{id: string; repo_tags: string[]} | null> {
    const response = await this.call<{image: {id: string; repo_tags: string[]} | null}>(this.image, 'ImageStatus', {
      image: {image},
    })
    return response.image && response.image.id !== '' ? response.image : null
  }

  async runPodSandbox(config: PodSandboxConfig, runtimeHandler = ''): Promise<string> {
    const response = await this.call<{pod_sandbox_id: string}>(this.runtime, 'RunPodSandbox', {
      config,
      runtime_handler: runtimeHandler,
    })
    return response.pod_sandbox_id
  }

  async stopPodSandbox(podSandboxId: string): Promise<void> {
    await this.call(this.runtime, 'StopPodSandbox', {pod_sandbox_id: podSandboxId})
  }

  async removePodSandbox(podSandboxId: string): Promise<void> {
    await this.call(this.runtime, 'RemovePodSandbox', {pod_sandbox_id: podSandboxId})
  }

  async createContainer(
    podSandboxId: string,
    config: ContainerConfig,
    sandboxConfig: PodSandboxConfig,
  ): Promise<string> {
    const response = await this.call<{container_id: string}>(this.runtime, 'CreateContainer', {
      pod_sandbox_id: podSandboxId,
      config,
      sandbox_config: sandboxConfig,
    })
    return response.container_id
  }

  async startContainer(containerId: string): Promise<void> {
    await this.call(this.runtime, 'StartContainer', {container_id: containerId})
  }

  /** Stops with SIGTERM, then SIGKILL after `timeoutSeconds`, as the kubelet does. */
  async stopContainer(containerId: string, timeoutSeconds = 5): Promise<void> {
    await this.call(
      this.runtime,
      'StopContainer',
      {container_id: containerId, timeout: timeoutSeconds},
      (timeoutSeconds + 30) * 1000,
    )
  }

  async removeContainer(containerId: string): Promise<void> {
    await this.call(this.runtime, 'RemoveContainer', {container_id: containerId})
  }

  async containerStatus(containerId: string): Promise<ContainerStatus> {
    const response = await this.call<{status: ContainerStatus}>(this.runtime, 'ContainerStatus', {
      container_id: containerId,
    })
    return response.status
  }

  /** containerd's verbose status: the container's OCI runtime spec as it was given to runc. */
  async containerRuntimeSpec(containerId: string): Promise<OciSpec> {
    const response = await this.call<{info: Record<string, string>}>(this.runtime, 'ContainerStatus', {
      container_id: containerId,
      verbose: true,
    })
    const info = response.info['info']
    if (info === undefined) throw new Error(`CRI ContainerStatus ${containerId}: no verbose info`)
    return (JSON.parse(info) as {runtimeSpec: OciSpec}).runtimeSpec
  }

  close(): void {
    this.runtime.close()
    this.image.close()
  }
}
