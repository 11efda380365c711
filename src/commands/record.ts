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
import {labelProblem, profileNameProblem} from '../store/names.js'
import {recordContainer, type ContainerRunner} from '../container-record/record-container.js'
import {ContainerRecordReport, type ContainerRecordJson} from '../cli/formatters/container-record-report.js'

export default class Record extends BaseCommand {
  static override summary = 'Record the syscalls of a command and its children into a seccomp profile.'
  static override description = `Runs CMD in a private mount namespace that the in-kernel recorder watches; every syscall CMD and its children make from CMD's execve on is marked in the kernel (nothing per syscall reaches user space). When CMD exits, the marks become a flat OCI profile: defaultAction SCMP_ACT_ERRNO (EPERM), the architectures of the ABIs seen, one SCMP_ACT_ALLOW rule.
Needs root and a kernel with BTF; the BPF recorder is built with clang on first use.
Without --output the profile goes to stdout and CMD's stdout goes to stderr. seccomp-recorder exits with CMD's exit status (128+N when signal N ended it).

With --podman, the arguments after -- are those of \`podman run\` (pass what podman needs on the machine, e.g. --ulimit, --storage-driver); with --bundle DIR --runtime runc|crun, the OCI bundle DIR is run (its config.json is copied, never edited). One container run is recorded through a hook that exists only for it — a private hooks directory (podman --hooks-dir) or the copied config.json, matching only this run's one-time annotation, with a spool and config of its own — and is removed afterwards, also on Ctrl-C, SIGTERM and failure; no \`install\` is needed. With --name the run is kept in the store and the profile is built from every run of that name (the union, with provenance in its coverage sidecar: \`profiles why\`); --label tags the run.`
  static override examples = [
    {
      description: 'Record a shell snippet into a profile',
      command: "<%= config.bin %> <%= command.id %> --output sh.json -- busybox sh -c 'ls /; sleep 0.1'",
    },
    {
      description: 'Keep the run in the recordings store, to aggregate with other runs',
      command: '<%= config.bin %> <%= command.id %> --name ci/my-tool --output my-tool.json -- my-tool --selftest',
    },
    {description: 'Profile on stdout', command: '<%= config.bin %> <%= command.id %> -- /bin/true > true.json'},
    {
      description: 'Result and profile as JSON for scripts',
      command: '<%= config.bin %> <%= command.id %> --json -- ls -l /',
    },
    {
      description: 'CI: record one podman run under crun, aggregated with earlier runs of ci/web, labelled',
      command:
        '<%= config.bin %> <%= command.id %> --podman --runtime crun --name ci/web --label e2e/checkout-flow --output web.json -- --rm --rootfs ./rootfs /bin/app --selftest',
    },
    {
      description: 'Record a plain OCI bundle under runc',
      command: '<%= config.bin %> <%= command.id %> --bundle ./bundle --runtime runc --output app.json',
    },
  ]
  static override strict = false
  static override args = {
    command: Args.string({
      ignoreStdin: true,
      description: 'the command to record, after -- (with --podman: the arguments of podman run)',
    }),
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
    label: Flags.string({
      description:
        'a label kept with the run for provenance (e.g. e2e/checkout-flow): a letter or digit, then letters, digits and ._:/@+=-, at most 128',
    }),
    podman: Flags.boolean({description: 'record one `podman run` (its arguments after --)', exclusive: ['bundle']}),
    bundle: Flags.string({
      description: 'record one run of this OCI bundle directory (needs --runtime)',
      helpValue: 'DIR',
    }),
    runtime: Flags.option({
      description: 'the OCI runtime for --podman or --bundle',
      options: ['runc', 'crun'] as const,
    })(),
    boundary: Flags.string({
      description:
        'where recording starts: at the execve of CMD (default), after a seccomp filter is installed, or at once',
      options: ['exec', 'seccomp', 'exec,seccomp', 'all'],
      default: 'exec',
    }),
  }

  async run(): Promise<RecordJson | ContainerRecordJson> {
    const {argv, flags} = await this.parse(Record)
    // The words after `--` as given: oclif's argv regroups repeated flag-like words (`--ulimit a --ulimit b`).
    const dashes = this.argv.indexOf('--')
    const command = dashes >= 0 ? this.argv.slice(dashes + 1) : (argv as string[])
    const profileOnStdout = flags.output === undefined && !this.jsonEnabled()
    if (flags.podman || flags.bundle !== undefined) return this.recordContainer(command, flags, profileOnStdout)
    if (flags.runtime !== undefined)
      throw new UserError('--runtime goes with --podman or --bundle', {exit: EXIT.USAGE, code: 'bad-flags'})
    if (command.length === 0)
      throw new UserError('record needs a command after --', {
        exit: EXIT.USAGE,
        code: 'usage',
        suggestions: ['seccomp-recorder record --output out.json -- CMD ARGS…'],
      })
    const problem = flags.name === undefined ? null : profileNameProblem(flags.name)
    if (problem) throw new UserError(`--name ${flags.name}: ${problem}`, {exit: EXIT.REFUSED, code: 'bad-name'})
    const labelRefused = flags.label === undefined ? null : labelProblem(flags.label)
    if (labelRefused) throw new UserError(`--label: ${labelRefused}`, {exit: EXIT.REFUSED, code: 'hostile-name'})
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
                label: flags.label,
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

  /** --podman / --bundle: one container run through a one-time hook (src/container-record). */
  private async recordContainer(
    args: string[],
    flags: {
      podman: boolean
      bundle?: string
      runtime?: 'runc' | 'crun'
      name?: string
      label?: string
      output?: string
      store: string
    },
    profileOnStdout: boolean,
  ): Promise<ContainerRecordJson> {
    if (flags.bundle !== undefined && flags.runtime === undefined)
      throw new UserError('--bundle needs --runtime runc or --runtime crun', {exit: EXIT.USAGE, code: 'bad-flags'})
    const runner: ContainerRunner =
      flags.bundle !== undefined
        ? {kind: 'bundle', runtime: flags.runtime!, bundle: flags.bundle, args}
        : {kind: 'podman', runtime: flags.runtime, args}
    const spinner = ora({text: 'building the BPF recorder (first use)', stream: process.stderr})
    const helper = await ensureHelper({onBuild: () => spinner.start()})
    spinner.stop()
    const result = await recordContainer({
      runner,
      helper,
      store: flags.store,
      name: flags.name,
      label: flags.label,
      output: flags.output,
      stdoutToStderr: profileOnStdout || this.jsonEnabled(),
      onSignal: (signal) =>
        process.stderr.write(`${signal}: finishing the run's recording and removing its one-time hook first\n`),
    })
    if (profileOnStdout) process.stdout.write(result.text)
    const report = new ContainerRecordReport(result)
    if (!this.jsonEnabled())
      process.stderr.write(`${report.display(terminalColours(process.env, Boolean(process.stderr.isTTY)))}\n`)
    if (result.recording.incomplete)
      throw new UserError(
        `the recording ${result.recording.id} is incomplete: the profile may lack syscalls the workload needs`,
        {
          exit: EXIT.RUNTIME,
          code: 'recording-incomplete',
          suggestions: ['Record the workload again.'],
        },
      )
    this.setExitCode(result.exitCode as never)
    return report.getJson()
  }
}
