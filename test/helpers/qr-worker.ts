/**
 * The QR worker compiled for tests: vitest runs the TypeScript sources, where the pool finds no
 * compiled worker and writes in the calling thread. To test the worker threads themselves, this
 * transpiles the worker and what it imports into a temporary folder (with the project's
 * node_modules linked) and returns its URL for `generateQrCodes({ workerUrl })`.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { ROOT } from './env.js';

const SOURCES = ['output/qr-worker.ts', 'output/qr-png.ts', 'durable-fs.ts', 'output/qr-pool.ts'];

let compiled: URL | undefined;
let compiledDir: string | undefined;

/** Removes the transpiled worker (call from afterAll, after closeQrPool). */
export function removeCompiledQrWorker(): void {
  if (compiledDir) rmSync(compiledDir, { recursive: true, force: true });
  compiled = compiledDir = undefined;
}

export function compiledQrWorkerUrl(): URL {
  if (compiled) return compiled;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'silverfox-qr-worker-'));
  compiledDir = dir;
  writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}');
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  for (const rel of SOURCES) {
    const { outputText } = ts.transpileModule(readFileSync(path.join(ROOT, 'src', rel), 'utf8'), {
      compilerOptions: {
        module: ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2022,
        esModuleInterop: true,
      },
    });
    const out = path.join(dir, rel.replace(/\.ts$/, '.js'));
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, outputText);
  }
  compiled = pathToFileURL(path.join(dir, 'output/qr-worker.js'));
  return compiled;
}

/** The transpiled qr-pool.js, beside its compiled worker (as in dist/), for a child process. */
export function compiledQrPoolUrl(): URL {
  return new URL('./qr-pool.js', compiledQrWorkerUrl());
}
