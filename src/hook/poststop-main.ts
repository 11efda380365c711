/**
 * The poststop hook process: the runtime runs it with the container's state on stdin after the container is gone.
 * The build bundles this entry and what it imports into a few files (dist/src/hook/poststop.bundle.mjs, see
 * src/hook/bundle-poststop.mjs): the runtime waits for this process, and resolving and loading a few hundred
 * module files took about half of it. The work is src/hook/entry.ts and src/spool/finalise.ts.
 * containerd runs this for every container: one that asks for no recording is answered before the rest of the
 * bundle is read (entry.js, in a chunk of its own, is imported only when there is work).
 */
import {text} from 'node:stream/consumers'
import {askedForNothing, notAskedResult} from './not-asked.js'

const stateText = await text(process.stdin)
const notAsked = askedForNothing(stateText)
if (notAsked !== undefined) process.stdout.write(notAskedResult(notAsked))
else process.exitCode = await (await import('./entry.js')).runPoststopHook(stateText)
