import {Flags} from '@oclif/core'
import {parseTimeBound, type RecordingFilter} from '../../store/filter.js'
import {RECORDING_SOURCES, type RecordingSource} from '../../store/model.js'
import {DEFAULT_STORE_ROOT, defaultStoreRoot, STORE_ENV} from '../../core/paths.js'

/** Flags shared by the commands that read the recordings store. */

export const storeFlag = Flags.string({
  description: `recordings store directory (default: $${STORE_ENV}, else ${DEFAULT_STORE_ROOT})`,
  helpValue: 'DIR',
  default: async () => defaultStoreRoot(),
  noCacheDefault: true,
})

export const filterFlags = {
  namespace: Flags.string({
    description: 'only recordings of pods in this namespace (repeatable)',
    multiple: true,
    helpValue: 'NS',
  }),
  workload: Flags.string({
    description: 'only recordings of this workload, e.g. a Deployment name (repeatable)',
    multiple: true,
    helpValue: 'NAME',
  }),
  container: Flags.string({
    description: 'only recordings of containers with this name (repeatable)',
    multiple: true,
    helpValue: 'NAME',
  }),
  source: Flags.string({
    description: 'only recordings made by the OCI hook, by `record`, or salvaged by `gc`',
    options: [...RECORDING_SOURCES],
  }),
  since: Flags.string({
    description: 'only runs that ended at or after this time: ISO 8601, or a duration back from now (30m, 24h, 7d)',
    helpValue: 'TIME',
  }),
  until: Flags.string({
    description: 'only runs that ended at or before this time: ISO 8601, or a duration back from now',
    helpValue: 'TIME',
  }),
}

export interface FilterFlagValues {
  namespace?: string[]
  workload?: string[]
  container?: string[]
  source?: string
  since?: string
  until?: string
}

/** The RecordingFilter from the parsed flags (and NAME arguments). Throws a UserError for a bad time. */
export function filterFromFlags(flags: FilterFlagValues, names: string[] = []): RecordingFilter {
  const filter: RecordingFilter = {}
  if (names.length > 0) filter.names = names
  if (flags.namespace?.length) filter.namespaces = flags.namespace
  if (flags.workload?.length) filter.workloads = flags.workload
  if (flags.container?.length) filter.containers = flags.container
  if (flags.source) filter.sources = [flags.source as RecordingSource]
  if (flags.since) filter.since = parseTimeBound(flags.since, 'since')
  if (flags.until) filter.until = parseTimeBound(flags.until, 'until')
  return filter
}
