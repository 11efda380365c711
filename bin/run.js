#!/usr/bin/env node
// Entry point of the seccomp-recorder CLI: hands argv to oclif, which loads the compiled commands from dist/.
import {execute} from '@oclif/core'

await execute({dir: import.meta.url})
