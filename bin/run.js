#!/usr/bin/env node
// Entry point of the seccomp-recorder CLI: hands argv to oclif, which loads the build's bundled commands from
// dist/cli/ (src/cli/bundle-cli.mjs); `execute` comes from the same bundle, so one copy of @oclif/core is loaded.
import {execute} from '../dist/cli/main.js'

await execute({dir: import.meta.url})
