/**
 * JSON Schemas of what each command prints with `--json`, keyed by command id: part of the interface scripts
 * rely on. test/cli/cli.test.ts and the e2e tests run every command and check its output against these.
 * Each command's schema lives in its own file here.
 */
import {DIFF_OUTPUT} from './diff.js'
import {DRIFT_OUTPUT} from './drift.js'
import {GC_OUTPUT} from './gc.js'
import {INSTALL_OUTPUT, STATUS_OUTPUT, UNINSTALL_OUTPUT} from './hook.js'
export {HOOK_POSTSTOP_OUTPUT} from './hook.js'
import {PROFILES_BUILD_OUTPUT} from './profiles-build.js'
import {PROFILES_LIST_OUTPUT} from './profiles-list.js'
import {PROFILES_MERGE_OUTPUT} from './profiles-merge.js'
import {PROFILES_SHOW_OUTPUT} from './profiles-show.js'
import {PROFILES_WHY_OUTPUT} from './profiles-why.js'
import {PUBLISH_OUTPUT, PUBLISHED_LIST_OUTPUT, UNPUBLISH_OUTPUT} from './publish.js'
import {RECORD_OUTPUT, RUN_OUTPUT} from './record.js'
import {VALIDATE_OUTPUT} from './validate.js'
import {WAIT_OUTPUT} from './wait.js'

export {ERROR_OUTPUT_SCHEMA} from './common.js'

export const OUTPUT_SCHEMAS: Record<string, object> = {
  validate: VALIDATE_OUTPUT,
  'profiles show': PROFILES_SHOW_OUTPUT,
  record: RECORD_OUTPUT,
  run: RUN_OUTPUT,
  publish: PUBLISH_OUTPUT,
  'published list': PUBLISHED_LIST_OUTPUT,
  unpublish: UNPUBLISH_OUTPUT,
  diff: DIFF_OUTPUT,
  install: INSTALL_OUTPUT,
  uninstall: UNINSTALL_OUTPUT,
  status: STATUS_OUTPUT,
  gc: GC_OUTPUT,
  'profiles build': PROFILES_BUILD_OUTPUT,
  'profiles list': PROFILES_LIST_OUTPUT,
  'profiles merge': PROFILES_MERGE_OUTPUT,
  'profiles why': PROFILES_WHY_OUTPUT,
  drift: DRIFT_OUTPUT,
  wait: WAIT_OUTPUT,
}
