import type {ChalkInstance} from 'chalk'
import type {SeccompProfile} from '../../profile/model.js'
import type {ProfileSummary} from '../../profile/summary.js'
import {formatViolation, type Violation} from '../../json/violations.js'

export interface ProfileViewJson {
  path: string
  summary: ProfileSummary
  normalised: SeccompProfile
  warnings: Violation[]
}

/** `profiles show`: a readable summary of one profile and its normalised form. */
export class ProfileView {
  constructor(
    readonly path: string,
    readonly summary: ProfileSummary,
    readonly normalised: SeccompProfile,
    readonly warnings: Violation[],
  ) {}

  getJson(): ProfileViewJson {
    return {path: this.path, summary: this.summary, normalised: this.normalised, warnings: this.warnings}
  }

  display(c: ChalkInstance, options: {names?: boolean} = {}): string {
    const s = this.summary
    const errno = s.defaultErrnoRet === null ? '' : ` (errno ${s.defaultErrnoRet})`
    const lines = [
      c.bold(this.path),
      `  format          ${s.format}${s.format === 'docker' ? c.dim(' (archMap/includes/excludes: resolve before loading flat)') : ''}`,
      `  default action  ${s.defaultAction}${errno}`,
      `  architectures   ${s.architectures.length > 0 ? s.architectures.join(', ') : c.dim('native only')}`,
    ]
    if (s.flags.length > 0) lines.push(`  flags           ${s.flags.join(', ')}`)
    lines.push(
      `  rules           ${s.rules}`,
      `  allowed         ${c.green(String(s.allowed.length))} syscalls unconditionally`,
      `  denied          ${c.red(String(s.denied.length))} syscalls listed with a denying action`,
      `  conditional     ${c.yellow(String(s.conditional.length))} rules`,
    )
    if (options.names) {
      lines.push('', c.bold('Allowed'), wrap(s.allowed), '', c.bold('Denied'), wrap(s.denied))
    }
    if (s.allowedValues.length > 0) {
      lines.push('', c.bold('Allowed only with these argument values'))
      for (const {name, values} of s.allowedValues) lines.push(`  ${name}: ${values.join(', ')}`)
    }
    if (s.conditional.length > 0) {
      lines.push('', c.bold('Conditional rules'))
      for (const rule of s.conditional)
        lines.push(
          `  ${rule.action.padEnd(16)} ${rule.names.join(', ')}  ${c.dim(`if ${rule.conditions.join(' and ')}`)}`,
        )
    }
    for (const w of this.warnings) lines.push(`${c.yellow('warning')} ${formatViolation(w, this.path)}`)
    return lines.join('\n')
  }
}

function wrap(names: string[], width = 100): string {
  if (names.length === 0) return '  (none)'
  const lines: string[] = []
  let line = ' '
  for (const name of names) {
    if (line.length + name.length + 1 > width) {
      lines.push(line)
      line = ' '
    }
    line += ` ${name}`
  }
  lines.push(line)
  return lines.join('\n')
}
