#!/usr/bin/env node
// Entry point of the seccomp-recorder CLI: hands argv to oclif, which loads the build's bundled commands from
// dist/cli/ (src/cli/bundle-cli.mjs); `execute` comes from the same bundle, so one copy of @oclif/core is loaded.
// No user plugins: oclif would otherwise load the plugins listed in <data dir>/package.json (SECCOMP_RECORDER_DATA_DIR,
// XDG_DATA_HOME, ~/.local/share) and run their hooks at every start, code of whoever can write there (root's CLI
// under another user's HOME).
import {fileURLToPath} from 'node:url'
import {execute} from '../dist/cli/main.js'

await execute({loadOptions: {root: fileURLToPath(import.meta.url), userPlugins: false}})
