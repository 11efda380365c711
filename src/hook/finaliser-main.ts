/**
 * The finaliser process (bin/finaliser.js runs the build's bundle of this file, dist/src/hook/finaliser.bundle.mjs):
 * started by the native poststop (bpf/poststop.c) when none runs, detached from the runtime, at low priority, its
 * stdout and stderr on <spool>/finaliser.log (rotated by runFinaliser). It writes the outputs of every journal in the spool, lingers, exits
 * (src/hook/finaliser.ts). `--idle-ms N` changes how long it lingers (0: exit once the spool has no journal).
 * `--spool DIR` (the native poststop passes its own) names the spool; one that is not the config's is refused.
 */
import {spawn} from 'node:child_process'
import {resolve} from 'node:path'
import {loadConfig} from '../config/config.js'
import {EXIT} from '../core/exit-codes.js'
import {helperPath} from '../kernel/native-helper.js'
import {finaliseJournal} from '../spool/finalise.js'
import {LINGER_SECONDS} from './entry.js'
import {runFinaliser} from './finaliser.js'

const idleArg = process.argv.indexOf('--idle-ms')
const idleMs = idleArg > 0 ? Number(process.argv[idleArg + 1]) : undefined
if (idleMs !== undefined && !(Number.isInteger(idleMs) && idleMs >= 0)) {
  process.stderr.write('seccomp-recorder finaliser: --idle-ms needs a whole number of milliseconds\n')
  process.exit(2)
}
const spoolArg = process.argv.indexOf('--spool')
const givenSpool = spoolArg > 0 ? (process.argv[spoolArg + 1] ?? '') : undefined
if (givenSpool === '') {
  process.stderr.write('seccomp-recorder finaliser: --spool needs a directory\n')
  process.exit(EXIT.USAGE)
}
const log = (line: string) => process.stderr.write(`${new Date().toISOString()} seccomp-recorder finaliser: ${line}\n`)
try {
  const config = await loadConfig()
  if (givenSpool !== undefined && resolve(givenSpool) !== resolve(config.spool)) {
    log(`refusing the spool ${givenSpool}: the config's spool is ${config.spool}`)
    process.exit(EXIT.REFUSED)
  }
  const spool = config.spool
  const helper = helperPath()
  const run = await runFinaliser({
    spool,
    finalise: (id) => finaliseJournal({id, config, helper}),
    idleMs,
    log,
  })
  if (run.ran) {
    // The targets were taken with the recorder kept attached: detach once nothing records for a while.
    spawn(helper, ['detach-idle', '--after', String(LINGER_SECONDS)], {detached: true, stdio: 'ignore'})
      .on('error', () => undefined)
      .unref()
  }
} catch (error) {
  log((error as Error).message)
  process.exitCode = 5
}
