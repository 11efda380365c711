import type {ChalkInstance} from 'chalk'
import type {ProfileFormat} from '../../profile/model.js'
import {countViolations, formatViolation, type Violation} from '../../json/violations.js'

export interface ValidatedFile {
  path: string
  /** false also when the file could not be read */
  valid: boolean
  readable: boolean
  format: ProfileFormat | null
  errors: Violation[]
  warnings: Violation[]
}

export interface ValidationJson {
  valid: boolean
  strict: boolean
  profiles: ValidatedFile[]
}

/** The result of `validate`: every violation with its pointer and line:column, per file. */
export class ValidationReport {
  constructor(
    readonly files: ValidatedFile[],
    readonly strict: boolean,
  ) {}

  /** Invalid files, plus files with warnings under --strict. */
  get failed(): ValidatedFile[] {
    return this.files.filter((f) => !f.valid || (this.strict && f.warnings.length > 0))
  }

  get unreadable(): ValidatedFile[] {
    return this.files.filter((f) => !f.readable)
  }

  getJson(): ValidationJson {
    return {valid: this.failed.length === 0, strict: this.strict, profiles: this.files}
  }

  display(c: ChalkInstance): string {
    const lines: string[] = []
    for (const file of this.files) {
      const warningCount = countViolations(file.warnings)
      const errorCount = countViolations(file.errors)
      const warnings = warningCount === 0 ? '' : `, ${warningCount} warning${warningCount === 1 ? '' : 's'}`
      if (file.valid) lines.push(`${c.green('valid')}    ${file.path} (${file.format} format${warnings})`)
      else
        lines.push(`${c.red('invalid')}  ${file.path} (${errorCount} error${errorCount === 1 ? '' : 's'}${warnings})`)
      for (const v of file.errors) lines.push(`  ${c.red('error')}   ${formatViolation(v, file.path)}`)
      for (const v of file.warnings) lines.push(`  ${c.yellow('warning')} ${formatViolation(v, file.path)}`)
    }
    const failed = this.failed.length
    lines.push(
      failed === 0
        ? c.green(`${this.files.length} profile${this.files.length === 1 ? '' : 's'} valid`)
        : c.red(
            `${failed} of ${this.files.length} profile${this.files.length === 1 ? '' : 's'} failed${this.strict ? ' (--strict: warnings fail)' : ''}`,
          ),
    )
    return lines.join('\n')
  }
}
