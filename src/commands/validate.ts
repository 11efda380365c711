import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {EXIT} from '../core/exit-codes.js'
import {terminalColours} from '../cli/output.js'
import {ValidationReport, type ValidatedFile, type ValidationJson} from '../cli/formatters/validation-report.js'
import {checkProfileFile, ProfileReadError} from '../profile/load.js'

export default class Validate extends BaseCommand {
  static override summary = 'Check seccomp profiles against the OCI runtime-spec and the docker/moby format.'
  static override description = `Reports every violation with its JSON pointer and line:column: JSON syntax, duplicate keys, unknown keys, wrong types, unknown actions and operators, more than 6 argument comparisons, empty names.
Also warns about profiles that validate but bite: syscall names unknown for the profile's architectures, one name with different unconditional actions, SCMP_ACT_ALLOW as default action, errnoRet that is ignored.
Exit status: 0 when every profile is valid, 1 when one is invalid (or has warnings, with --strict), 2 when a file cannot be read.`
  static override examples = [
    {description: 'Validate a recorded profile', command: '<%= config.bin %> <%= command.id %> my-app.json'},
    {description: 'Fail CI on warnings too', command: '<%= config.bin %> <%= command.id %> --strict profiles/*.json'},
    {description: 'Machine-readable report', command: '<%= config.bin %> <%= command.id %> --json my-app.json'},
  ]
  static override strict = false
  static override args = {
    profile: Args.string({ignoreStdin: true, description: 'profile file(s) to check (JSON)', required: true}),
  }
  static override flags = {strict: Flags.boolean({description: 'treat warnings as failures', default: false})}

  async run(): Promise<ValidationJson> {
    const {argv, flags} = await this.parse(Validate)
    const files: ValidatedFile[] = []
    for (const path of argv as string[]) files.push(await validateFile(path))
    const report = new ValidationReport(files, flags.strict)
    if (!this.jsonEnabled()) this.log(report.display(terminalColours()))
    if (report.unreadable.length > 0) this.setExitCode(EXIT.USAGE)
    else if (report.failed.length > 0) this.setExitCode(EXIT.CHECK_FAILED)
    return report.getJson()
  }
}

async function validateFile(path: string): Promise<ValidatedFile> {
  try {
    const check = await checkProfileFile(path)
    return {
      path,
      valid: check.valid,
      readable: true,
      format: check.format ?? null,
      errors: check.errors,
      warnings: check.warnings,
    }
  } catch (error) {
    if (!(error instanceof ProfileReadError)) throw error
    return {
      path,
      valid: false,
      readable: false,
      format: null,
      errors: [{severity: 'error', code: `io.${error.code}`, pointer: '', message: error.reason}],
      warnings: [],
    }
  }
}
