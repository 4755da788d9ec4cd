#!/usr/bin/env node
import { main } from '../dist/cli.js';

const code = await main(process.argv);
process.exitCode = code;
// Everything is closed by now; should a handle still hold the event loop (e.g. after a
// failed start-up), do not hang: a container must exit so that it can be restarted.
setTimeout(() => process.exit(code), 2000).unref();
