import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Args, Flags} from '@oclif/core'
import ora from 'ora'
import {BaseCommand} from '../cli/base-command.js'
import {terminalColours} from '../cli/output.js'
import {loadProfile} from '../profile/load.js'
import {bootTimeMicros, readDenialsSince, type Denial} from '../launch/denials.js'
import {compileEnforceSpec} from '../launch/enforce-spec.js'
import {enforceCommand} from '../launch/launch.js'
import {ensureHelper} from '../kernel/native-helper.js'

interface RunJson {
  command: string[]
  profile: string
  exitCode: number
  signal: string | null
  durationMs: number
  /** Denials the kernel logged while the command ran; null when the kernel log could not be read. */
  denied: Denial[] | null
}

export default class Run extends BaseCommand {
  static override summary = 'Run a command under a seccomp profile, to try a profile before publishing it.'
  static override description = `The native helper builds the filter with libseccomp from the profile (flat OCI format), installs it and execs CMD, as a container runtime would. Syscalls the profile denies are reported by name afterwards: the filter is loaded with SECCOMP_FILTER_FLAG_LOG, so the kernel logs each denial to /dev/kmsg (needs root; records of other processes denied in the same moment may show too).
seccomp-recorder exits with CMD's exit status (128+N when signal N ended it).`
  static override examples = [
    {
      description: 'Try a recorded profile',
      command: "<%= config.bin %> <%= command.id %> --profile sh.json -- busybox sh -c 'ls /; sleep 0.1'",
    },
    {
      description: 'As JSON, with the denied syscalls',
      command: '<%= config.bin %> <%= command.id %> --json --profile true.json -- /bin/true',
    },
  ]
  static override strict = false
  static override args = {
    command: Args.string({ignoreStdin: true, description: 'the command to run, after --', required: true}),
  }
  static override flags = {
    profile: Flags.string({char: 'p', description: 'the seccomp profile to enforce (flat OCI JSON)', required: true}),
    'report-denied': Flags.boolean({
      description: 'log denials in the kernel and report them (default on)',
      default: true,
      allowNo: true,
    }),
  }

  async run(): Promise<RunJson> {
    const {argv, flags} = await this.parse(Run)
    const command = argv as string[]
    const {profile} = await loadProfile(flags.profile)
    const spec = compileEnforceSpec(profile)
    const spinner = ora({text: 'building the native helper (first use)', stream: process.stderr})
    const helper = await ensureHelper({onBuild: () => spinner.start()})
    spinner.stop()

    const dir = await mkdtemp(join(tmpdir(), 'seccomp-recorder-run-'))
    try {
      const specPath = join(dir, 'filter.spec')
      await writeFile(specPath, spec, {mode: 0o600})
      const since = bootTimeMicros()
      const result = await enforceCommand(helper, specPath, command, {
        log: flags['report-denied'],
        stdoutToStderr: this.jsonEnabled(),
      })
      const denied = flags['report-denied'] ? readDenialsSince(since) : null
      const json: RunJson = {
        command,
        profile: flags.profile,
        exitCode: result.exitCode,
        signal: result.signal,
        durationMs: result.durationMs,
        denied: denied ?? null,
      }
      if (!this.jsonEnabled()) process.stderr.write(describeDenials(json))
      this.setExitCode(result.exitCode as never)
      return json
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
  }
}

function describeDenials(json: RunJson): string {
  const c = terminalColours(process.env, Boolean(process.stderr.isTTY))
  if (json.denied === null) return ''
  if (json.denied.length === 0) return ''
  const seen = new Map<string, Denial>()
  for (const d of json.denied) seen.set(`${d.abi}:${d.nr}:${d.comm}`, d)
  const lines = [...seen.values()].map((d) => `  ${c.red(d.name ?? `#${d.nr}`)} (${d.abi}) by ${d.comm} [pid ${d.pid}]`)
  return `${c.yellow(`denied by ${json.profile}:`)}\n${lines.join('\n')}\n`
}
