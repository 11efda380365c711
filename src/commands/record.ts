import {join} from 'node:path'
import {Args, Flags} from '@oclif/core'
import ora from 'ora'
import {BaseCommand} from '../cli/base-command.js'
import {UserError} from '../core/errors.js'
import {loadConfig} from '../config/config.js'
import {EXIT} from '../core/exit-codes.js'
import {outputTarget, writeOutputFile} from '../fs/output-file.js'
import {terminalColours} from '../cli/output.js'
import {RecordReport, type RecordJson} from '../cli/formatters/record-report.js'
import {profileFromSyscalls} from '../profile/from-syscalls.js'
import {formatProfileJson} from '../profile/normalise.js'
import {recordCommand} from '../launch/launch.js'
import {ensureHelper, type Boundary} from '../kernel/native-helper.js'
import {storeFlag} from '../cli/flags/recording.js'
import {incompleteReasons} from '../store/incomplete.js'
import {createRecording} from '../store/model.js'
import {RecordingStore} from '../store/store.js'
import {nameKernelSyscalls} from '../syscalls/syscall-set.js'
import {quotaExceeded} from '../kernel/quotas.js'
import {profileNameProblem} from '../store/names.js'

export default class Record extends BaseCommand {
  static override summary = 'Record the syscalls of a command and its children into a seccomp profile.'
  static override description = `Runs CMD in a private mount namespace that the in-kernel recorder watches; every syscall CMD and its children make from CMD's execve on is marked in the kernel (nothing per syscall reaches user space). When CMD exits, the marks become a flat OCI profile: defaultAction SCMP_ACT_ERRNO (EPERM), the architectures of the ABIs seen, one SCMP_ACT_ALLOW rule.
Needs root and a kernel with BTF; the BPF recorder is built with clang on first use.
Without --output the profile goes to stdout and CMD's stdout goes to stderr. seccomp-recorder exits with CMD's exit status (128+N when signal N ended it).`
  static override examples = [
    {
      description: 'Record a shell snippet into a profile',
      command: "<%= config.bin %> <%= command.id %> --output sh.json -- busybox sh -c 'ls /; sleep 0.1'",
    },
    {description: 'Profile on stdout', command: '<%= config.bin %> <%= command.id %> -- /bin/true > true.json'},
    {
      description: 'Result and profile as JSON for scripts',
      command: '<%= config.bin %> <%= command.id %> --json -- ls -l /',
    },
    {
      description: 'Keep the run in the recordings store, to aggregate with other runs',
      command: '<%= config.bin %> <%= command.id %> --name ci/my-tool --output my-tool.json -- my-tool --selftest',
    },
  ]
  static override strict = false
  static override args = {
    command: Args.string({ignoreStdin: true, description: 'the command to record, after --', required: true}),
  }
  static override flags = {
    output: Flags.string({
      char: 'o',
      description:
        'write the profile to this file (atomically) instead of stdout; a FIFO or character device is written through, never replaced',
    }),
    name: Flags.string({
      description:
        'also save the run in the recordings store under this profile name (e.g. team/app/tool); `profiles build` aggregates it',
    }),
    store: storeFlag,
    boundary: Flags.string({
      description:
        'where recording starts: at the execve of CMD (default), after a seccomp filter is installed, or at once',
      options: ['exec', 'seccomp', 'exec,seccomp', 'all'],
      default: 'exec',
    }),
  }

  async run(): Promise<RecordJson> {
    const {argv, flags} = await this.parse(Record)
    const command = argv as string[]
    const profileOnStdout = flags.output === undefined && !this.jsonEnabled()
    const problem = flags.name === undefined ? null : profileNameProblem(flags.name)
    if (problem) throw new UserError(`--name ${flags.name}: ${problem}`, {exit: EXIT.REFUSED, code: 'bad-name'})
    // A directory, socket or block device as --output is refused before the command runs, not after.
    if (flags.output !== undefined) outputTarget(flags.output)
    const startedAt = new Date()
    const spinner = ora({text: 'building the BPF recorder (first use)', stream: process.stderr})
    const helper = await ensureHelper({onBuild: () => spinner.start()})
    spinner.stop()

    const store = new RecordingStore(flags.store)
    const spool = await loadConfig().then(
      (c) => c.spool,
      () => undefined,
    )
    let recordingId: string | undefined
    let endedAt: Date | undefined
    const run = await recordCommand(helper, command, {
      boundary: flags.boundary as Boundary,
      stdoutToStderr: profileOnStdout || this.jsonEnabled(),
      spool,
      // With --name the run is saved before its target leaves the kernel (same id if saved again): a `record`
      // killed at any point leaves either the recording or the target, which `gc` salvages.
      persist:
        flags.name === undefined
          ? undefined
          : async (target, status, marking) => {
              endedAt ??= new Date()
              const recording = createRecording({
                id: recordingId,
                source: 'record',
                name: flags.name!,
                runtime: 'record',
                set: nameKernelSyscalls(target),
                lost: target.lost,
                interrupted: target.interrupted,
                quota: target.quota,
                arguments: target.args,
                startedAt,
                endedAt,
                command,
                exitCode: status.exitCode,
              })
              recordingId = recording.id
              await marking(join(store.recordingDir(recording.name), `${recording.id}.json`))
              await store.save(recording)
            },
    })
    const set = nameKernelSyscalls(run.target)
    const profile = profileFromSyscalls(set)
    if (flags.output !== undefined) await writeOutputFile(flags.output, formatProfileJson(profile))
    if (flags.name === undefined && profileOnStdout) process.stdout.write(formatProfileJson(profile))

    const report = new RecordReport({
      command,
      exitCode: run.exitCode,
      signal: run.signal,
      durationMs: run.durationMs,
      syscalls: set.names,
      unknown: set.unknown,
      lost: run.target.lost,
      quota: {nested: run.target.quota?.nested ?? 0, words: run.target.quota?.words ?? 0},
      ...(run.target.args === undefined ? {} : {arguments: run.target.args}),
      output: flags.output ?? null,
      profile,
    })
    if (!this.jsonEnabled())
      process.stderr.write(`${report.display(terminalColours(process.env, Boolean(process.stderr.isTTY)))}\n`)
    if (run.target.lost > 0) {
      throw new UserError(`the kernel could not store ${run.target.lost} syscalls: the profile is incomplete`, {
        exit: EXIT.RUNTIME,
        code: 'lost-syscalls',
      })
    }
    if (run.target.interrupted) {
      throw new UserError(
        'the kernel recorder was detached while the command ran (its pins in bpffs were removed): the profile is incomplete',
        {
          exit: EXIT.RUNTIME,
          code: 'recorder-interrupted',
          suggestions: ['Record again; do not remove /sys/fs/bpf/seccomp-recorder while recordings run.'],
        },
      )
    }
    if (quotaExceeded(run.target.quota)) {
      throw new UserError(
        `the profile is incomplete: ${incompleteReasons({lost: 0, quota: run.target.quota}).join('; ')}`,
        {
          exit: EXIT.RUNTIME,
          code: 'quota-exceeded',
          suggestions: [
            'The quotas keep one recording from filling the kernel recorder for everyone (see bpf/README.md, "Quotas"); record a workload that stays within them.',
          ],
        },
      )
    }
    this.setExitCode(run.exitCode as never)
    return report.getJson()
  }
}
