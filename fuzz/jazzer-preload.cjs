// SPDX-License-Identifier: Apache-2.0
// `node -r fuzz/jazzer-preload.cjs …/@jazzer.js/core/dist/cli.js …`: loads Jazzer.js's native addon the way
// fuzz/build.sh found that this machine can (${BUILD_DIR:-build}/fuzz/jazzer/mode). "native": nothing to do.
// "compat": the compatibility shim is loaded with RTLD_GLOBAL first, and the addon's prebuilt is swapped for the
// copy whose glibc 2.38 / GLIBCXX_3.4.32 version needs are weak (see fuzz/jazzer-compat.mjs). Fails loudly when
// fuzz/build.sh has not run.
'use strict'
const {existsSync, readFileSync} = require('node:fs')
const {constants} = require('node:os')
const {basename, join} = require('node:path')

const dir = join(process.env.BUILD_DIR || join(__dirname, '..', 'build'), 'fuzz', 'jazzer')
const modeFile = join(dir, 'mode')
if (!existsSync(modeFile)) throw new Error(`jazzer-preload: ${modeFile} missing: run bash fuzz/build.sh first`)
const mode = readFileSync(modeFile, 'utf8').trim()
if (mode === 'compat') {
  process.dlopen({exports: {}}, join(dir, 'compat-shim.so'), constants.dlopen.RTLD_NOW | constants.dlopen.RTLD_GLOBAL)
  const copy = join(dir, 'fuzzer.node')
  const dlopen = process.dlopen
  process.dlopen = function (module, filename, ...rest) {
    return dlopen.call(this, module, /^fuzzer-linux-x64\.node$/.test(basename(filename)) ? copy : filename, ...rest)
  }
} else if (mode !== 'native') {
  throw new Error(`jazzer-preload: ${modeFile} says ${JSON.stringify(mode)}: run bash fuzz/build.sh again`)
}
