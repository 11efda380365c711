import type {ChalkInstance} from 'chalk'
import type {PublishAction, PublishedProfile, PublishResult} from '../../publish/publish.js'
import type {SkippedInput} from '../../publish/inputs.js'
import type {KubernetesManifests} from '../../publish/kubernetes.js'
import {securityContextFor, securityContextYaml, type LocalhostSecurityContext} from '../../publish/snippet.js'
import {formatViolation, type Violation} from '../../json/violations.js'

/** A published profile as --json shows it: the publish result, plus what the user pastes and the ConfigMap key. */
export interface PublishedProfileJson extends Omit<PublishedProfile, 'action'> {
  /** The file: on this host, or (with --kubernetes) on every node. */
  path: string
  /** `configmap` with --kubernetes: carried by the ConfigMap, installed by the DaemonSet. */
  action: PublishAction | 'configmap'
  configMapKey: string | null
  securityContext: LocalhostSecurityContext
}

export interface PublishJson {
  mode: 'directory' | 'kubernetes'
  /** The seccomp root: here, or (with --kubernetes) on the nodes. */
  root: string
  prefix: string
  dryRun: boolean
  profiles: PublishedProfileJson[]
  /** Files given but not published: coverage sidecars (`<name>.coverage.json`). */
  skipped: SkippedInput[]
  cleaned: string[]
  kubernetes: null | {
    namespace: string
    configMap: string
    daemonSet: string
    image: string
    hostPath: string
    /** The file the YAML was written to; null when it went to stdout (or nowhere, with --dry-run). */
    output: string | null
    yaml: string
  }
}

const DONE: Record<PublishAction, string> = {
  create: 'created',
  update: 'updated',
  replace: 'replaced',
  unchanged: 'unchanged',
}
const WOULD: Record<PublishAction, string> = {
  create: 'would create',
  update: 'would update',
  replace: 'would replace',
  unchanged: 'unchanged',
}

/** `publish`: what landed where, and the securityContext that uses it. */
export class PublishReport {
  constructor(readonly json: PublishJson) {}

  static fromDirectory(result: PublishResult, skipped: SkippedInput[] = []): PublishReport {
    return new PublishReport({
      mode: 'directory',
      root: result.root,
      prefix: result.prefix,
      dryRun: result.dryRun,
      profiles: result.profiles.map((p) => ({
        ...p,
        configMapKey: null,
        securityContext: securityContextFor(p.localhostProfile),
      })),
      skipped,
      cleaned: result.cleaned,
      kubernetes: null,
    })
  }

  static fromKubernetes(
    manifests: KubernetesManifests,
    options: {
      root: string
      prefix: string
      dryRun: boolean
      namespace: string
      resourceName: string
      image: string
      output: string | null
    },
    sources: Map<string, {source: string; warnings: Violation[]}>,
    skipped: SkippedInput[] = [],
  ): PublishReport {
    return new PublishReport({
      mode: 'kubernetes',
      root: options.root,
      prefix: options.prefix,
      dryRun: options.dryRun,
      profiles: manifests.profiles.map((p) => ({
        source: sources.get(p.localhostProfile)?.source ?? '-',
        name: p.name,
        localhostProfile: p.localhostProfile,
        path: `${options.root}/${p.localhostProfile}`,
        sha256: p.sha256,
        bytes: p.bytes,
        action: 'configmap' as const,
        backup: null,
        tracked: false,
        createdDirs: [],
        configMapKey: p.configMapKey,
        securityContext: securityContextFor(p.localhostProfile),
        warnings: sources.get(p.localhostProfile)?.warnings ?? [],
      })),
      skipped,
      cleaned: [],
      kubernetes: {
        namespace: options.namespace,
        configMap: options.resourceName,
        daemonSet: options.resourceName,
        image: options.image,
        hostPath: manifests.hostPath,
        output: options.output,
        yaml: manifests.yaml,
      },
    })
  }

  getJson(): PublishJson {
    return this.json
  }

  display(c: ChalkInstance): string {
    const j = this.json
    const lines: string[] = []
    if (j.kubernetes !== null) {
      const k = j.kubernetes
      const total = j.profiles.reduce((sum, p) => sum + p.bytes, 0)
      lines.push(
        `${c.bold('ConfigMap')} ${k.namespace}/${k.configMap}: ${j.profiles.length} profile${j.profiles.length === 1 ? '' : 's'} (${size(total)})`,
        `${c.bold('DaemonSet')} ${k.namespace}/${k.daemonSet}: installs them into ${c.cyan(k.hostPath)} on every node (image ${k.image})`,
      )
      for (const p of j.profiles)
        lines.push(
          `  ${p.localhostProfile}  ${c.dim(`key ${p.configMapKey}, ${size(p.bytes)}, sha256 ${p.sha256.slice(0, 12)}`)}`,
        )
      if (j.dryRun) lines.push(c.yellow('dry run: no manifest file written'))
      else if (k.output === null) lines.push('manifests written to stdout')
      else
        lines.push(
          `manifests written to ${c.cyan(k.output)}`,
          '',
          c.bold('Roll them out'),
          `  kubectl apply -f ${k.output}`,
          `  kubectl -n ${k.namespace} rollout status daemonset/${k.daemonSet}`,
        )
    } else {
      const verbs = j.dryRun ? WOULD : DONE
      const width = Math.max(...j.profiles.map((p) => verbs[p.action as PublishAction].length))
      for (const p of j.profiles) {
        const verb = verbs[p.action as PublishAction].padEnd(width)
        const colour = p.action === 'unchanged' ? c.dim : p.action === 'replace' ? c.yellow : c.green
        lines.push(
          `${colour(verb)}  ${c.bold(p.localhostProfile)} ${c.dim('→')} ${p.path} ${c.dim(`(${size(p.bytes)}, sha256 ${p.sha256.slice(0, 12)})`)}`,
        )
        if (p.backup !== null)
          lines.push(`  ${c.yellow('the previous file was not published by seccomp-recorder; kept as')} ${p.backup}`)
        else if (p.action === 'replace')
          lines.push(`  ${c.yellow('the previous file was not published by seccomp-recorder; a backup would be kept')}`)
        if (p.action === 'unchanged' && !p.tracked)
          lines.push(
            `  ${c.dim('identical file not published by seccomp-recorder: left alone and not tracked (--force adopts it)')}`,
          )
      }
      if (j.cleaned.length > 0)
        lines.push(
          c.dim(
            `removed ${j.cleaned.length} temp file${j.cleaned.length === 1 ? '' : 's'} left by an interrupted publish`,
          ),
        )
      if (j.dryRun) lines.push(c.yellow('dry run: nothing written'))
    }
    if (j.skipped.length > 0)
      lines.push(
        c.dim(
          `skipped ${j.skipped.length} coverage sidecar${j.skipped.length === 1 ? '' : 's'} (not profiles): ${j.skipped.map((s) => s.path).join(', ')}`,
        ),
      )
    for (const p of j.profiles)
      for (const w of p.warnings) lines.push(`${c.yellow('warning')} ${formatViolation(w, p.source)}`)
    lines.push(
      '',
      c.bold(`Use ${j.profiles.length === 1 ? 'it' : 'them'} in a pod spec`) +
        c.dim(" (a container's securityContext, or the pod's for all its containers):"),
    )
    for (const p of j.profiles) {
      if (j.profiles.length > 1) lines.push('', c.dim(`  # ${p.name}`))
      lines.push(securityContextYaml(p.localhostProfile, 2))
    }
    return lines.join('\n')
  }
}

export function size(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`
}
