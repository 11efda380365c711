// SPDX-License-Identifier: Apache-2.0
// Makes @jazzer.js/fuzzer's prebuilt addon loadable on a machine whose glibc/libstdc++ are older than the ones it
// was built against (Debian 12: glibc 2.36 and GCC 12's libstdc++; the 4.0.0 prebuilt wants glibc 2.38 and
// GLIBCXX_3.4.32 for five symbols). Writes a copy of the addon in which those version needs are marked weak
// (VER_FLG_WEAK: the loader no longer refuses the library when a version is missing) after checking that every
// symbol bound to them is one fuzz/jazzer-compat-shim.cc defines; the shim is loaded first (fuzz/jazzer-preload.cjs).
// Nothing else in the addon changes; the original in node_modules is left alone.
//
//   node fuzz/jazzer-compat.mjs ADDON OUTPUT   → prints "patched VERSION…" or fails with the reason
import {readFileSync, writeFileSync} from 'node:fs'

/** Versions this machine may lack, with the symbols of them that the shim defines. */
const WEAKEN = new Map([
  ['GLIBC_2.38', ['__isoc23_strtol', '__isoc23_strtoul', '__isoc23_strtoll', '__isoc23_strtoull']],
  ['GLIBCXX_3.4.32', ['_ZSt21ios_base_library_initv']],
])

const [input, output] = process.argv.slice(2)
if (!input || !output) {
  console.error('usage: node fuzz/jazzer-compat.mjs ADDON OUTPUT')
  process.exit(2)
}
const elf = readFileSync(input)
const fail = (message) => {
  console.error(`jazzer-compat: ${input}: ${message}`)
  process.exit(1)
}
if (elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2 || elf[5] !== 1) fail('not a 64-bit little-endian ELF file')

const SHT_DYNSYM = 11
const SHT_GNU_VERNEED = 0x6ffffffe
const SHT_GNU_VERSYM = 0x6fffffff
const VER_FLG_WEAK = 0x2

const shoff = Number(elf.readBigUInt64LE(0x28))
const shentsize = elf.readUInt16LE(0x3a)
const shnum = elf.readUInt16LE(0x3c)
const sections = Array.from({length: shnum}, (_, i) => {
  const o = shoff + i * shentsize
  return {
    type: elf.readUInt32LE(o + 4),
    offset: Number(elf.readBigUInt64LE(o + 0x18)),
    size: Number(elf.readBigUInt64LE(o + 0x20)),
    link: elf.readUInt32LE(o + 0x28),
    info: elf.readUInt32LE(o + 0x2c),
    entsize: Number(elf.readBigUInt64LE(o + 0x38)),
  }
})
const byType = (type) => sections.find((s) => s.type === type) ?? fail(`no section of type 0x${type.toString(16)}`)
const verneed = byType(SHT_GNU_VERNEED)
const dynsym = byType(SHT_DYNSYM)
const versym = byType(SHT_GNU_VERSYM)
const dynstr = sections[verneed.link]
const str = (off) => {
  const start = dynstr.offset + off
  const end = elf.indexOf(0, start)
  return elf.toString('latin1', start, end)
}

// Version index → {name, position of its vna_flags}.
const needs = new Map()
for (let o = verneed.offset, i = 0; i < verneed.info; i++) {
  const cnt = elf.readUInt16LE(o + 2)
  const file = str(elf.readUInt32LE(o + 4))
  for (let a = o + elf.readUInt32LE(o + 8), j = 0; j < cnt; j++) {
    needs.set(elf.readUInt16LE(a + 6) & 0x7fff, {file, name: str(elf.readUInt32LE(a + 8)), flags: a + 4})
    const next = elf.readUInt32LE(a + 12)
    if (next === 0) break
    a += next
  }
  const next = elf.readUInt32LE(o + 12)
  if (next === 0) break
  o += next
}

// Every symbol bound to a version we weaken must be one the shim defines.
const symbols = new Map()
for (let i = 0; i < dynsym.size / dynsym.entsize; i++) {
  const index = elf.readUInt16LE(versym.offset + 2 * i) & 0x7fff
  const need = needs.get(index)
  if (!need || !WEAKEN.has(need.name)) continue
  const name = str(elf.readUInt32LE(dynsym.offset + i * dynsym.entsize))
  if (!WEAKEN.get(need.name).includes(name)) fail(`${name}@${need.name} is not provided by fuzz/jazzer-compat-shim.cc`)
  symbols.set(need.name, [...(symbols.get(need.name) ?? []), name])
}

const patched = []
for (const need of needs.values()) {
  if (!WEAKEN.has(need.name)) continue
  elf.writeUInt16LE(elf.readUInt16LE(need.flags) | VER_FLG_WEAK, need.flags)
  patched.push(`${need.file}:${need.name} (${(symbols.get(need.name) ?? []).join(', ') || 'no symbols'})`)
}
writeFileSync(output, elf)
console.log(patched.length > 0 ? `weakened ${patched.join('; ')}` : 'nothing to weaken')
