#!/usr/bin/env node
// Starts the compiled CLI; nothing else lives here.
import { main } from '../dist/cli/main.js';

main(process.argv).then((code) => {
  process.exitCode = code;
});
