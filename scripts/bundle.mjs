// `npm run build`, after tsc: bundles the compiled CLI (dist/cli/main.js) and the QR worker
// (dist/output/qr-worker.js) into dist/bundle/, which bin/silverfox.js runs. Node loads one file
// per module it imports, and `--help` imported ~19 of ours plus commander's 8: one entry file
// instead brings `silverfox --help` from ~1.5x to ~1.3x a bare `node -e 0` (bench/startup).
//
// Code splitting keeps the lazy imports lazy: each command body imported with `import()` becomes a
// chunk loaded when the command runs, so `--help` still loads no command code and no heavy
// package (test/e2e/cli.test.ts traces it). Every package dependency stays external (loaded from
// node_modules as before) except commander, which every start needs; it is CommonJS, so each
// output file gets a `require` for its require('node:events') and the like.
//
// The tsc output in dist/ stays as it is (tests and benches import single modules from it); the
// linked source maps lead back to src/ through tsc's maps (`node --enable-source-maps`).
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const dist = path.join(root, 'dist');
const outdir = path.join(dist, 'bundle');
const BUNDLED = ['commander'];

const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const external = Object.keys(pkg.dependencies ?? {}).filter((d) => !BUNDLED.includes(d));

rmSync(outdir, { recursive: true, force: true }); // chunk names change with their content
const result = await build({
  absWorkingDir: root,
  entryPoints: [path.join(dist, 'cli/main.js'), path.join(dist, 'output/qr-worker.js')],
  outdir,
  entryNames: '[name]',
  chunkNames: 'chunk-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  // Not keepNames: it wraps every named function in a call to a helper that redefines its `name`,
  // each time the function is created; in the import's per-row closures that cost 4% of a 200,000
  // row import (bench/import). Error classes name themselves after their class
  // (`this.name = new.target.name`), so a class of ours renamed to avoid a clash would report
  // itself as e.g. `ConfigError2`: checked below instead.
  keepNames: false,
  sourcemap: 'linked',
  banner: {
    js:
      "import { createRequire as __silverfoxCreateRequire } from 'node:module';\n" +
      'const require = __silverfoxCreateRequire(import.meta.url);',
  },
  metafile: true,
  logLevel: 'warning',
});

// A package that is neither external nor meant to be bundled means a new import of something
// missing from `dependencies`: fail the build rather than ship a copy of it.
const strays = new Set();
for (const input of Object.keys(result.metafile.inputs)) {
  const name = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1];
  if (name && !BUNDLED.includes(name)) strays.add(name);
}
if (strays.size > 0) {
  console.error(`bundle: packages bundled that should be external: ${[...strays].join(', ')}`);
  process.exit(1);
}

// A class of ours that esbuild renamed (a clash of two top-level names in one chunk) would carry
// the new name in `name`: fail the build and name it (rename one of the two in src/).
const ours = new Set();
for (const input of Object.keys(result.metafile.inputs)) {
  if (input.includes('node_modules')) continue;
  for (const m of readFileSync(path.join(root, input), 'utf8').matchAll(/\bclass (\w+)/g)) ours.add(m[1]);
}
const renamed = new Set();
for (const output of Object.keys(result.metafile.outputs)) {
  if (!output.endsWith('.js')) continue;
  for (const m of readFileSync(path.join(root, output), 'utf8').matchAll(
    /\b(?:var|let|const) (\w+?)(\d+) = class\b/g,
  ))
    if (ours.has(m[1])) renamed.add(`${m[1]} -> ${m[1]}${m[2]}`);
}
if (renamed.size > 0) {
  console.error(
    `bundle: classes renamed by the bundler (their name would change): ${[...renamed].join(', ')}`,
  );
  process.exit(1);
}
