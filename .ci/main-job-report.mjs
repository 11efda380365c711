// What the main job (.ci/main-job) says about its results, read from the files it made:
//   node .ci/main-job-report.mjs recording STORE                   the recording the last container run wrote
//   node .ci/main-job-report.mjs summary DIR PROFILE PUBLISHED     the summary and three next steps
import {readdirSync, readFileSync, statSync} from 'node:fs'
import {delimiter, join, relative} from 'node:path'

const [what, ...args] = process.argv.slice(2)

/** Every recording file under STORE/recordings, oldest first. */
function recordings(store) {
  const walk = (dir) =>
    readdirSync(dir, {withFileTypes: true}).flatMap((e) =>
      e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.json') ? [join(dir, e.name)] : [],
    )
  let files = []
  try {
    files = walk(join(store, 'recordings'))
  } catch {
    files = []
  }
  return files
    .map((path) => ({path, mtime: statSync(path).mtimeMs, recording: JSON.parse(readFileSync(path, 'utf8'))}))
    .sort((a, b) => a.mtime - b.mtime)
}

/** Syscalls of a recording ({abi: [names]}) or of an OCI profile (syscalls[].names), all ABIs together. */
const recordingSyscalls = (r) => Object.values(r.syscalls).reduce((n, names) => n + names.length, 0)
const profileSyscalls = (p) => new Set((p.syscalls ?? []).flatMap((rule) => rule.names)).size

function onPath(command) {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      return statSync(join(dir, command)).isFile()
    } catch {
      return false
    }
  })
}

if (what === 'recording') {
  const all = recordings(args[0])
  const last = all.at(-1)
  if (!last) {
    console.error(`main job: no recording in ${args[0]}/recordings: the poststop hook wrote nothing`)
    process.exit(1)
  }
  const r = last.recording
  const incomplete = r.lost > 0 || r.interrupted ? ' (incomplete)' : ''
  console.log(`recorded: ${r.name}, ${recordingSyscalls(r)} syscalls${incomplete} → ${last.path}`)
} else if (what === 'summary') {
  const [dir, profilePath, published] = args
  const rel = (path) => relative(dir, path)
  const all = recordings(join(dir, 'store'))
  const counts = all.map((r) => recordingSyscalls(r.recording))
  const names = [...new Set(all.map((r) => r.recording.name))]
  const profile = JSON.parse(readFileSync(profilePath, 'utf8'))
  const surface = JSON.parse(readFileSync(join(dir, 'diff-vs-runtime-default.json'), 'utf8')).attackSurface
  const localhostProfile = relative(join(dir, 'kubelet', 'seccomp'), published)
  const cli = onPath('seccomp-recorder') ? 'seccomp-recorder' : `node ${join(process.cwd(), 'bin', 'run.js')}`
  const lines = [
    '',
    '== summary',
    `results in ${dir}`,
    `  recordings          ${rel(join(dir, 'store', 'recordings'))}/: ${all.length} containers recorded (${names.join(', ')}), ${Math.min(...counts)}–${Math.max(...counts)} syscalls each`,
    `  profile             ${rel(profilePath)}: ${profileSyscalls(profile)} syscalls, the union of ${all.length} recordings`,
    `  vs runtime default  removes ${surface.removed} of the ${surface.runtimeDefaultAllows} syscalls podman's default allows (${surface.removedPercent.toFixed(1)}% of the attack surface)`,
    `  diff as markdown    ${rel(join(dir, 'diff-vs-runtime-default.md'))}`,
    `  published           ${rel(published)} (localhostProfile: ${localhostProfile})`,
    '',
    'next steps',
    '  1. read what the profile allows, in words:',
    `     ${cli} profiles show ${profilePath}`,
    '  2. record a command of your own (as root; the profile goes to the file):',
    `     ${cli} record --output ${join(dir, 'ls.json')} -- ls -l /`,
    '  3. check that the published tree is what was published:',
    `     ${cli} published list --check --kubelet-root-dir ${join(dir, 'kubelet')}`,
    'Record your own containers: README.md, "Install the hook" and "Record".',
  ]
  if (cli !== 'seccomp-recorder') lines.push('(`bash .ci/setup` puts seccomp-recorder on the PATH)')
  console.log(lines.join('\n'))
} else {
  console.error('usage: node .ci/main-job-report.mjs recording STORE | summary DIR PROFILE PUBLISHED')
  process.exit(2)
}
