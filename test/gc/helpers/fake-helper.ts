// A stand-in for the native helper (bpf/main.c and the files beside it) over a JSON file instead of BPF maps, for gc's unit tests:
//   FAKE_RECORDER_STATE=state.json node fake-helper.js list | read --mntns N | remove --mntns N [--keep-attached] | detach-idle --after S
// Same JSON documents, exit codes and error lines as the real helper for these subcommands; every call is
// appended to <state>.calls so tests can tell what was asked.
import {appendFileSync, readFileSync, writeFileSync} from 'node:fs'

export interface FakeTarget {
  mntns: number
  ns_id: number
  state?: 'armed' | 'recording'
  lost?: number
  interrupted?: boolean
  syscalls: {x86_64?: number[]; x86?: number[]; x32?: number[]}
}

export interface FakeState {
  attached: boolean
  targets: FakeTarget[]
}

const statePath = process.env.FAKE_RECORDER_STATE
if (statePath === undefined) {
  process.stderr.write('{"error":"FAKE_RECORDER_STATE is not set","reason":"usage"}\n')
  process.exit(2)
}
const [command, ...rest] = process.argv.slice(2)
appendFileSync(`${statePath}.calls`, `${[command, ...rest].join(' ')}\n`)
const state = JSON.parse(readFileSync(statePath, 'utf8')) as FakeState
const save = () => writeFileSync(statePath, JSON.stringify(state))
const mntns = rest.includes('--mntns') ? Number(rest[rest.indexOf('--mntns') + 1]) : undefined
const document = (t: FakeTarget) => ({
  mntns: t.mntns,
  ns_id: t.ns_id,
  state: t.state ?? 'recording',
  lost: t.lost ?? 0,
  interrupted: t.interrupted ?? false,
  nested: [],
  syscalls: t.syscalls,
})
const noTarget = () => {
  process.stderr.write(`{"error":"no target for mount namespace ${mntns}","reason":"no-such-target","errno":2}\n`)
  process.exit(3)
}

if (command === 'list') {
  process.stdout.write(
    `${JSON.stringify({attached: state.attached, follows_nested: true, targets: state.targets.map((t) => ({mntns: t.mntns, ns_id: t.ns_id, owner: t.mntns, state: t.state ?? 'recording'})), prog_ids: state.attached ? [1, 2, 3] : []})}\n`,
  )
} else if (command === 'read') {
  const target = state.targets.find((t) => t.mntns === mntns)
  if (!target) noTarget()
  process.stdout.write(`${JSON.stringify(document(target!))}\n`)
} else if (command === 'remove') {
  const target = state.targets.find((t) => t.mntns === mntns)
  if (!target) noTarget()
  state.targets = state.targets.filter((t) => t !== target)
  const detached = !rest.includes('--keep-attached') && state.targets.length === 0 && state.attached
  if (detached) state.attached = false
  save()
  process.stdout.write(`${JSON.stringify({...document(target!), detached})}\n`)
} else if (command === 'detach-idle') {
  const detached = state.targets.length === 0 && state.attached
  if (detached) state.attached = false
  save()
  process.stdout.write(`${JSON.stringify({detached})}\n`)
} else {
  process.stderr.write('{"error":"unknown subcommand","reason":"usage"}\n')
  process.exit(2)
}
