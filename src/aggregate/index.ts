/** Aggregation of recordings into profiles, and the union of profiles. */
export {aggregate, withBase, type Aggregate} from './aggregate.js'
export {mergeProfiles, supersetFindings, MergeConflictError, type SupersetFinding} from './merge.js'
export {
  buildProfiles,
  loadBaseProfile,
  readBuiltProfile,
  type BuildOptions,
  type BuildResult,
  type BuiltProfile,
  type BuiltOnDisk,
} from './build.js'
export {listProfiles, type ListResult, type ProfileListing} from './list.js'
