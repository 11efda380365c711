import {closeSync, openSync, readSync, readFileSync, constants} from 'node:fs'
import {syscallName, X32_SYSCALL_BIT, type Abi} from '../syscalls/index.js'

/**
 * Denied syscalls as the kernel logs them: a filter loaded with SECCOMP_FILTER_FLAG_LOG makes the kernel write an
 * audit record (type=1326) for each SCMP_ACT_ERRNO/KILL/TRAP decision, which reaches /dev/kmsg. This is the only
 * place the kernel lets us see a denial: a syscall seccomp refuses never reaches the sys_enter tracepoint.
 */
export interface Denial {
  pid: number
  comm: string
  abi: Abi | 'unknown'
  nr: number
  name: string | undefined
}

/** AUDIT_ARCH_* values of the audit record's arch= field. */
const AUDIT_ARCH: Record<string, Abi> = {c000003e: 'x86_64', '40000003': 'x86', c00000b7: 'aarch64', '40000028': 'arm'}

/** Microseconds since boot, the clock /dev/kmsg stamps records with. */
export function bootTimeMicros(): number {
  const uptime = Number.parseFloat(readFileSync('/proc/uptime', 'utf8').split(' ')[0] ?? '0')
  return Math.floor(uptime * 1e6)
}

/** Parses one audit record of a seccomp decision (`type=1326 … pid=… comm="…" … arch=… syscall=…`). */
export function parseSeccompAuditRecord(message: string): Denial | undefined {
  if (!/type=1326\b/.test(message)) return undefined
  const field = (key: string) => new RegExp(`\\b${key}=("[^"]*"|\\S+)`).exec(message)?.[1]?.replace(/^"|"$/g, '')
  const pid = Number(field('pid'))
  const rawNr = Number(field('syscall'))
  if (!Number.isInteger(pid) || !Number.isInteger(rawNr)) return undefined
  let abi: Abi | 'unknown' = AUDIT_ARCH[field('arch') ?? ''] ?? 'unknown'
  let nr = rawNr
  if (abi === 'x86_64' && (rawNr & X32_SYSCALL_BIT) !== 0) {
    abi = 'x32'
    nr = rawNr & ~X32_SYSCALL_BIT
  }
  return {pid, comm: field('comm') ?? '?', abi, nr, name: abi === 'unknown' ? undefined : syscallName(abi, nr)}
}

/**
 * Reads the seccomp records logged since `sinceMicros` (boot clock). /dev/kmsg returns one record per read and
 * EAGAIN at the end when opened non-blocking. Returns undefined when the log cannot be read (not root, no kmsg).
 */
export function readDenialsSince(sinceMicros: number): Denial[] | undefined {
  let fd: number
  try {
    fd = openSync('/dev/kmsg', constants.O_RDONLY | constants.O_NONBLOCK)
  } catch {
    return undefined
  }
  const denials: Denial[] = []
  const buffer = Buffer.alloc(8192)
  try {
    for (;;) {
      let n: number
      try {
        n = readSync(fd, buffer, 0, buffer.length, null)
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code
        if (code === 'EAGAIN') break
        if (code === 'EPIPE') continue // records were overwritten while we read: go on with the next
        throw error
      }
      const record = buffer.toString('utf8', 0, n)
      const [header, message = ''] = record.split(';', 2)
      const micros = Number(header?.split(',')[2])
      if (!(micros >= sinceMicros)) continue
      const denial = parseSeccompAuditRecord(message)
      if (denial) denials.push(denial)
    }
  } finally {
    closeSync(fd)
  }
  return denials
}
