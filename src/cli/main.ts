#!/usr/bin/env -S node --liftoff-only
// --liftoff-only: a CLI command lives a second or two; V8's optimising compiler for the embedded database's
// WebAssembly would only make the process wait about 2 s at exit for compilations nobody will use.
import '../runtime/node-check-cli.js';
import { enableCompileCache } from '../runtime/compile-cache.js';

// the compile cache works for modules loaded after it is switched on: the command line's are loaded below
enableCompileCache();
const { runCommandLine } = await import('./command-line.js');

// the bin is the only place that touches the process as a whole: the command line gets its streams and
// environment, and the exit code it answers ends the process (also when a database pool would keep it alive).
// Not a top-level await: a command waiting on nothing that keeps the event loop alive would end with exit 13.
runCommandLine(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env }).then((code) =>
  process.exit(code),
);
