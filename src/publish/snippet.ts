import {formatYaml} from '../core/yaml.js'

/** What a pod spec needs to use a published profile (pod-level `spec.securityContext` or a container's). */
export interface LocalhostSecurityContext {
  seccompProfile: {type: 'Localhost'; localhostProfile: string}
}

export function securityContextFor(localhostProfile: string): LocalhostSecurityContext {
  return {seccompProfile: {type: 'Localhost', localhostProfile}}
}

/** The securityContext as YAML, ready to paste into a container (or the pod) spec, indented by `indent` spaces. */
export function securityContextYaml(localhostProfile: string, indent = 0): string {
  const text = formatYaml({securityContext: securityContextFor(localhostProfile)})
  const pad = ' '.repeat(indent)
  return text
    .trimEnd()
    .split('\n')
    .map((line) => `${pad}${line}`)
    .join('\n')
}
