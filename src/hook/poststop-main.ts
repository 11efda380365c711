/**
 * The poststop hook process: the runtime runs it with the container's state on stdin after the container is gone.
 * The build bundles this entry and what it imports into one file (dist/src/hook/poststop.bundle.mjs, see
 * src/hook/bundle-poststop.mjs): the runtime waits for this process, and resolving and loading a few hundred
 * module files took about half of it. The work is src/hook/entry.ts and src/spool/finalise.ts.
 */
import {text} from 'node:stream/consumers'
import {runPoststopHook} from './entry.js'

process.exitCode = await runPoststopHook(await text(process.stdin))
