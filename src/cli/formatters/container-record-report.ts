import type {ChalkInstance} from 'chalk'
import type {ContainerRecordResult} from '../../container-record/record-container.js'

export type ContainerRecordJson = Omit<ContainerRecordResult, 'text'>

/** `record --podman` / `record --bundle`: the run, its recording, the profile of all runs of its name. */
export class ContainerRecordReport {
  readonly json: ContainerRecordJson

  constructor(result: ContainerRecordResult) {
    const {text: _text, ...json} = result
    this.json = json
  }

  getJson(): ContainerRecordJson {
    return this.json
  }

  display(c: ChalkInstance): string {
    const j = this.json
    const ended = j.signal ? `killed by ${j.signal}` : `exit ${j.exitCode}`
    const how = j.mode === 'podman' ? `podman${j.runtime ? ` (${j.runtime})` : ''}` : `${j.runtime} bundle`
    const lines = [
      `${c.bold('recorded')} ${j.recording.syscalls} syscalls of a ${how} container run (${ended}, ${Math.round(j.durationMs)} ms)${j.label ? ` label ${j.label}` : ''}`,
      `  recording ${j.recording.id}${j.name ? ` under ${c.cyan(j.name)}` : ''}`,
    ]
    if (j.recording.incomplete) lines.push(c.red('  this recording is incomplete (see the runtime’s hook output)'))
    const from = `${j.profile.recordings} run${j.profile.recordings === 1 ? '' : 's'}`
    lines.push(`  profile: ${j.profile.syscalls} syscalls from ${from} → ${j.profile.output ?? 'stdout'}`)
    if (j.profile.store !== null) lines.push(`  built into the store: ${j.profile.store}`)
    if (j.finalisedAtCleanup > 0)
      lines.push(c.yellow(`  ${j.finalisedAtCleanup} run(s) finalised at clean-up (their poststop did not run)`))
    return lines.join('\n')
  }
}
