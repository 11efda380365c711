#!/usr/bin/env node
// The OCI poststop hook's entry: the runtime runs it with the container's state on stdin after the container is
// gone. It bypasses oclif (which would load every command) and runs the build's one-file bundle of
// src/hook/poststop-main.ts, so the runtime waits as little as possible; the work is src/hook/entry.ts and src/spool/finalise.ts.
// Exit codes come from the one table (src/core/exit-codes.ts).
import '../dist/src/hook/poststop.bundle.mjs'
