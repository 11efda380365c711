/** Aggregation of recordings into profiles, and the union of profiles. */
export {aggregate, withBase, formatCoverageJson, COVERAGE_SCHEMA, type Aggregate, type Coverage} from './aggregate.js'
export {mergeProfiles, supersetFindings, ACTION_ORDER, compareVerdicts, MergeConflictError, type SupersetFinding, type Verdict} from './merge.js'
export {buildProfiles, loadBaseProfile, readBuiltProfile, parseCoverage, type BuildOptions, type BuildResult, type BuiltProfile, type BuiltOnDisk} from './build.js'
export {listProfiles, type ListResult, type ProfileListing} from './list.js'
