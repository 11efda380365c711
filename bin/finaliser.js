#!/usr/bin/env node
// The finaliser: writes the outputs of the journals the native poststop hook (seccomp-recorder-helper
// hook-poststop) left in the spool, off the runtime's path. It runs the build's one-file bundle of
// src/hook/finaliser-main.ts; the work is src/hook/finaliser.ts and src/spool/finalise.ts.
import '../dist/src/hook/finaliser.bundle.mjs'
