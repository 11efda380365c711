import {randomBytes} from 'node:crypto'
import {mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {execa} from 'execa'
import {buildProfiles} from '../aggregate/build.js'
import {loadConfig} from '../config/config.js'
import {UserError} from '../core/errors.js'
import {EXIT} from '../core/exit-codes.js'
import {outputTarget, writeOutputFile} from '../fs/output-file.js'
import {readOciConfig} from '../install/install.js'
import {AnnotationError, parseRecordName} from '../oci/annotations.js'
import {coveragePathFor, formatCoverageJson} from '../store/coverage.js'
import {isIncomplete, type Recording} from '../store/model.js'
import {labelProblem} from '../store/names.js'
import {RecordingStore} from '../store/store.js'
import {createOneTimeHook, bundleConfigForRun, type OneTimeHook} from './one-time-hook.js'
import {
  bundleCommand,
  checkPodmanArguments,
  podmanCommand,
  podmanFlagValue,
  type ContainerRuntime,
} from './runtime-command.js'
import {withRunSignals, type RunSignals} from './signals.js'
import {RUN_OUTPUTS_TIMEOUT_MS, waitForRunOutputs} from './wait.js'

/**
 * `record --podman` / `record --bundle`: one container run recorded with a hook that exists only for it
 * (one-time-hook.ts), no `install` needed. The run's recording goes into the store under NAME (so runs of one
 * name aggregate; without NAME into a private store removed afterwards), the profile of all of NAME's runs is
 * built (with provenance in its sidecar) and written; the caller exits with the container's status.
 */

export type ContainerRunner =
  | {kind: 'podman'; runtime?: ContainerRuntime; args: string[]}
  | {kind: 'bundle'; runtime: ContainerRuntime; bundle: string; args: string[]}

export interface ContainerRecordOptions {
  runner: ContainerRunner
  helper: string
  /** The store's root; used only with `name`. */
  store: string
  name?: string
  label?: string
  output?: string
  /** The container's stdout to our stderr (our stdout carries the profile or JSON). */
  stdoutToStderr: boolean
  /** Hears a signal that came while the runtime did not run (the run is finished and cleaned up all the same). */
  onSignal?: (signal: NodeJS.Signals) => void
}

export interface ContainerRecordResult {
  mode: 'podman' | 'bundle'
  runtime: string | null
  name: string | null
  label: string | null
  containerId: string | null
  exitCode: number
  signal: string | null
  durationMs: number
  recording: {id: string; syscalls: number; incomplete: boolean}
  profile: {
    recordings: number
    syscalls: number
    output: string | null
    coverage: string | null
    store: string | null
  }
  /** Notes a poststop had not finalised, finalised at clean-up (a runtime killed before its poststop). */
  finalisedAtCleanup: number
  /** The rendered profile (flat OCI JSON). */
  text: string
}

const PRIVATE_NAME = 'record/container'

/** Checks what can be checked before anything runs: the name, the label, the output, the runtime arguments. */
export function checkContainerRecordOptions(
  options: Pick<ContainerRecordOptions, 'runner' | 'name' | 'label' | 'output'>,
): void {
  if (options.name !== undefined) {
    try {
      if (parseRecordName(options.name) === null) throw new AnnotationError('--name', 'must be a name, not auto')
    } catch (error) {
      throw new UserError(`--name ${options.name}: ${(error as Error).message.replace(/^annotation [^:]+: /, '')}`, {
        exit: EXIT.REFUSED,
        code: 'bad-name',
        suggestions: [
          'A container run is named like the seccomp-recorder.io/record annotation: 1-3 segments of [A-Za-z0-9._-], e.g. ci/web.',
        ],
      })
    }
  }
  const problem = options.label === undefined ? null : labelProblem(options.label)
  if (problem !== null) throw new UserError(`--label: ${problem}`, {exit: EXIT.REFUSED, code: 'hostile-name'})
  if (options.output !== undefined) outputTarget(options.output)
  if (options.runner.kind === 'podman') checkPodmanArguments(options.runner.args)
}

export async function recordContainer(options: ContainerRecordOptions): Promise<ContainerRecordResult> {
  checkContainerRecordOptions(options)
  const privateStore = options.name === undefined ? await mkdtemp(join(tmpdir(), 'seccomp-recorder-run-')) : null
  const storeRoot = privateStore ?? options.store
  const name = options.name ?? PRIVATE_NAME
  let hook: OneTimeHook | undefined
  let finalisedAtCleanup = 0
  // Ctrl-C and SIGTERM go to the runtime (podman passes them on to the container); we stay to clean up.
  const run = async (signals: RunSignals): Promise<ContainerRecordResult> => {
    hook = await createOneTimeHook({
      helper: options.helper,
      store: storeRoot,
      name,
      label: options.label,
      base: await loadConfig(),
    })
    const started = performance.now()
    const launch = await runtimeLaunch(options.runner, hook)
    if (signals.caught !== null) throw interrupted(signals.caught)
    const child = execa(launch.file, launch.args, {
      stdio: ['inherit', options.stdoutToStderr ? process.stderr : 'inherit', 'inherit'],
      reject: false,
    })
    signals.forwardTo(child)
    const result = await child
    signals.forwardTo(undefined)
    const durationMs = performance.now() - started
    const containerId = await launch.containerId()
    const waited = await waitForRunOutputs({spool: hook.config.spool, containerId, timeoutMs: RUN_OUTPUTS_TIMEOUT_MS})
    if (waited === 'timeout')
      throw new UserError(`the run's recording was not written within ${RUN_OUTPUTS_TIMEOUT_MS / 1000} s of its end`, {
        exit: EXIT.RUNTIME,
        code: 'output-failed',
        suggestions: [
          'The runtime shows why its poststop hook failed; `seccomp-recorder gc` finishes a recording left behind.',
        ],
      })
    const store = new RecordingStore(storeRoot)
    const recording = await findRecording(store, name, containerId)
    if (recording === undefined) throw notRecorded(options.runner, result.exitCode)
    const built = (await buildProfiles(store, {filter: {names: [name]}})).built[0]!
    const written = options.output === undefined ? null : await writeWithSidecar(options.output, built)
    const status = exitStatus(result.exitCode, result.signal)
    return {
      mode: options.runner.kind,
      runtime: options.runner.runtime ?? null,
      name: options.name ?? null,
      label: options.label ?? null,
      containerId,
      ...status,
      durationMs,
      recording: {
        id: recording.id,
        syscalls: new Set(Object.values(recording.syscalls).flat()).size,
        incomplete: isIncomplete(recording),
      },
      profile: {
        recordings: built.coverage.recordings,
        syscalls: Object.keys(built.coverage.syscalls).length,
        output: written?.profile ?? null,
        coverage: written?.coverage ?? null,
        store: privateStore === null ? built.written.profile : null,
      },
      finalisedAtCleanup: 0,
      text: built.text,
    }
  }
  const cleanup = async () => {
    if (hook) finalisedAtCleanup = (await hook.remove()).finalised
    if (privateStore !== null) await rm(privateStore, {recursive: true, force: true})
  }
  const outcome = await withRunSignals(run, cleanup, options.onSignal)
  return {...outcome, finalisedAtCleanup}
}

/** A signal came before the runtime started: it is not started. */
function interrupted(signal: NodeJS.Signals): UserError {
  return new UserError(`${signal} before the container started: nothing was run`, {
    exit: EXIT.RUNTIME,
    code: 'interrupted',
  })
}

/** What to start, and how to learn the container's id afterwards. */
async function runtimeLaunch(
  runner: ContainerRunner,
  hook: OneTimeHook,
): Promise<{file: string; args: string[]; containerId: () => Promise<string | null>}> {
  if (runner.kind === 'podman') {
    const given = podmanFlagValue(runner.args, 'cidfile')
    const cidfile = given === undefined ? join(hook.dir, 'cid') : null
    const args = podmanCommand({
      runtime: runner.runtime,
      hooksDir: hook.hooksDir,
      cidfile,
      annotations: hook.annotations,
      args: runner.args,
    })
    const readId = async () => {
      const text = await readFile(cidfile ?? resolve(given!), 'utf8').catch(() => '')
      return /^[0-9a-f]{64}$/.test(text.trim()) ? text.trim() : null
    }
    return {file: 'podman', args, containerId: readId}
  }
  const bundleDir = resolve(runner.bundle)
  const config = bundleConfigForRun(await readOciConfig(join(bundleDir, 'config.json')), bundleDir, hook)
  const copy = join(hook.dir, 'bundle')
  const stateDir = join(hook.dir, 'state')
  await mkdir(copy, {mode: 0o700})
  await mkdir(stateDir, {mode: 0o700})
  await writeFile(join(copy, 'config.json'), `${JSON.stringify(config, null, 2)}\n`, {mode: 0o600})
  const id = `seccomp-recorder-${randomBytes(6).toString('hex')}`
  return {
    file: runner.runtime,
    args: bundleCommand({stateDir, bundle: copy, id, args: runner.args}),
    containerId: async () => id,
  }
}

/** This run's recording among the name's: the one of its container (the newest of the name without an id). */
async function findRecording(
  store: RecordingStore,
  name: string,
  containerId: string | null,
): Promise<Recording | undefined> {
  const {recordings} = await store.scanName(name)
  const ours = recordings.filter((r) => containerId === null || r.container.id === containerId)
  return ours.sort((a, b) => (a.endedAt < b.endedAt ? 1 : -1))[0]
}

/** The profile at --output and its sidecar (with provenance) beside it; a FIFO or device gets no sidecar. */
async function writeWithSidecar(
  output: string,
  built: Awaited<ReturnType<typeof buildProfiles>>['built'][number],
): Promise<{profile: string; coverage: string | null}> {
  const coverage = outputTarget(output).kind === 'file' ? coveragePathFor(output) : null
  if (coverage !== null)
    await writeOutputFile(coverage, formatCoverageJson({...built.coverage, provenance: built.provenance}))
  await writeOutputFile(output, built.text)
  return {profile: output, coverage}
}

function notRecorded(runner: ContainerRunner, exitCode: number | undefined): UserError {
  const tool = runner.kind === 'podman' ? 'podman' : runner.runtime
  return new UserError(`the container was not recorded (${tool} exited with ${exitCode ?? 'a signal'})`, {
    exit: EXIT.RUNTIME,
    code: 'recording-gone',
    suggestions: [
      `${tool} says above why the container did not run, or why its hook refused it.`,
      runner.kind === 'podman'
        ? 'Pass what podman needs on this machine after --, e.g. --ulimit, --storage-driver, --cgroup-manager.'
        : 'Check the bundle with `runc run` / `crun run` alone.',
    ],
  })
}

/** The runtime's status, or 128 + N when signal N ended it. */
function exitStatus(
  exitCode: number | undefined,
  signal: string | undefined,
): {exitCode: number; signal: string | null} {
  if (signal) {
    const numbers: Record<string, number> = {SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15}
    return {exitCode: 128 + (numbers[signal] ?? 0), signal}
  }
  return {exitCode: exitCode ?? 0, signal: null}
}
