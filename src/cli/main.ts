/**
 * The CLI's entry inside the build's bundle (dist/cli/cli.cjs, see bundle-cli.mjs): bin/run.js takes oclif's
 * `execute` from here (through dist/cli/main.js), so the runner, the commands, the help class and the not-found hook
 * share one copy of @oclif/core (its classes and its global cache) in the one bundle.
 */
export {execute} from '@oclif/core'
