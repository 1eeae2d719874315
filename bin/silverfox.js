#!/usr/bin/env node
// Starts the CLI as bundled by `npm run build` (scripts/bundle.mjs); nothing else lives here.
import { main } from '../dist/bundle/main.js';

main(process.argv).then((code) => {
  process.exitCode = code;
});
