/** Where the project's shipped files (sql/, scrapers/, samples/, package.json) are. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The nearest folder above this module that holds package.json: the same from src/ (tests),
 * dist/ (the tsc output) and dist/bundle/ (what the binary runs, scripts/bundle.mjs).
 */
function findPackageRoot(from: string): string {
  let dir = from;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(from, '..'); // none: the layout of src/ and dist/
    dir = parent;
  }
  return dir;
}

export const packageRoot = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));
