import type {FinaliseResult} from '../spool/finalise.js'

/** What `gc` did (or, in a dry run, would do) and what it left alone: its JSON output (cli/output-schemas/gc.ts). */

export type GcActionKind = 'finalise' | 'salvage' | 'discard' | 'release' | 'clean'

export interface GcAction {
  action: GcActionKind
  /** What it is about: `container <id>`, `orphan-<ns_id>.json`, `mount namespace N (ns_id M)`, a file path. */
  subject: string
  mntns: number | null
  nsId: number | null
  /** Why it is done. */
  reason: string
  /** False in a dry run and when it failed. */
  done: boolean
  syscalls?: number
  outputs: FinaliseResult['outputs']
  error?: string
}

export interface GcKept {
  subject: string
  mntns: number | null
  nsId: number | null
  reason: string
}

export interface GcResult {
  dryRun: boolean
  spool: string
  store: string
  actions: GcAction[]
  /** Left alone: running containers and recordings, things another process is working on right now. */
  kept: GcKept[]
  /** The recorder was detached because nothing records any more. */
  detached: boolean
  /** Actions that failed (their error says why). */
  failed: number
}

/** What an action or a kept item is about. */
export type GcSubject = Omit<GcKept, 'reason'>

/** The result being built, shared by gc's parts. */
export class GcReport {
  readonly result: GcResult

  constructor(options: {dryRun: boolean; spool: string; store: string}) {
    this.result = {...options, actions: [], kept: [], detached: false, failed: 0}
  }

  get dryRun(): boolean {
    return this.result.dryRun
  }

  act(action: GcAction): void {
    this.result.actions.push(action)
  }

  keep(subject: GcSubject, reason: string): void {
    this.result.kept.push({...subject, reason})
  }

  fail(action: Omit<GcAction, 'done' | 'error'>, error: unknown): void {
    this.result.actions.push({...action, done: false, error: error instanceof Error ? error.message : String(error)})
    this.result.failed += 1
  }
}
