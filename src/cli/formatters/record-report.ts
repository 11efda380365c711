import type {ChalkInstance} from 'chalk'
import type {SeccompProfile} from '../../profile/model.js'
import {incompleteReasons} from '../../store/incomplete.js'
import {allNames, type SyscallSet} from '../../syscalls/syscall-set.js'
import {type QuotaExceeded} from '../../kernel/quotas.js'
import {argumentOverflowNotes} from '../../store/argument-notes.js'
import type {ArgumentsBySyscall} from '../../syscalls/arguments.js'

export interface RecordJson {
  command: string[]
  exitCode: number
  signal: string | null
  durationMs: number
  /** Names per ABI, sorted. */
  syscalls: SyscallSet['names']
  /** Numbers no table names: kept in the recording, absent from the profile (a flat profile lists names). */
  unknown: SyscallSet['unknown']
  /** Syscalls the kernel could not store; non-zero means the recording is incomplete. */
  lost: number
  /** Refused because the recording reached a kernel quota (nested namespaces not followed, unknown numbers not stored); non-zero: incomplete. */
  quota: QuotaExceeded
  /** Argument values seen for the curated syscalls (x86_64): the recording's `arguments`. */
  arguments?: ArgumentsBySyscall
  output: string | null
  profile: SeccompProfile
}

/** `record`: what was recorded and where the profile went. */
export class RecordReport {
  constructor(readonly json: RecordJson) {}

  getJson(): RecordJson {
    return this.json
  }

  display(c: ChalkInstance): string {
    const j = this.json
    const names = allNames({names: j.syscalls, unknown: j.unknown})
    const ended = j.signal ? `killed by ${j.signal}` : `exit ${j.exitCode}`
    const lines = [
      `${c.bold('recorded')} ${names.length} syscalls of ${c.cyan(j.command.join(' '))} (${ended}, ${Math.round(j.durationMs)} ms)`,
    ]
    for (const [abi, list] of Object.entries(j.syscalls)) lines.push(`  ${abi.padEnd(7)} ${list.length} syscalls`)
    for (const u of j.unknown)
      lines.push(c.yellow(`  unknown syscall number ${u.nr} on ${u.abi}: kept in the recording, not in the profile`))
    if (j.lost > 0)
      lines.push(c.red(`  ${j.lost} syscalls could not be stored by the kernel: this recording is incomplete`))
    for (const reason of incompleteReasons({lost: 0, quota: j.quota}))
      lines.push(c.red(`  ${reason}: this recording is incomplete`))
    const args = Object.entries(j.arguments ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))
    if (args.length > 0)
      lines.push(
        `  arguments: ${args.map(([name, r]) => `${name} ${r.values.length}${r.overflow ? '+' : ''}`).join(', ')} distinct values`,
      )
    for (const note of argumentOverflowNotes(j.arguments)) lines.push(c.yellow(`  ${note}`))
    lines.push(j.output === null ? '  profile written to stdout' : `  profile written to ${j.output}`)
    return lines.join('\n')
  }
}
