/**
 * Import report folders left behind by a killed or disconnected import.
 *
 * An import writes its rejects and report into `<logs>/imports/<time>-import-<id>.tmp/` inside
 * its transaction and renames the folder to `<time>-import-<id>/` after the COMMIT. A kill (or a
 * lost COMMIT reply) leaves the `.tmp` folder:
 *   - its import committed: the folder is renamed into place (the report `imports.rejects_file`
 *     names is there again);
 *   - its import never committed: the folder is removed (its rows were rolled back).
 * `recoverImportReports` does that under the imports lock (no import in flight), at the start of
 * every import; `inspectImportReports` (doctor) only looks.
 */
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Queryable } from '../db/database.js';
import { selectFinishedImports, selectImportRejectFiles } from '../db/imports.js';

const TMP_REPORT = /^(.+-import-(\d+))\.tmp$/;

export interface ImportReportRecovery {
  /** Report folders of committed imports moved into place. */
  finished: string[];
  /** Report folders of imports that never committed, removed. */
  removed: string[];
  /** Folders left alone, with why. */
  left: { folder: string; reason: string }[];
}

/** The `.tmp` report folders in `logRoot` with their import ids. */
function tmpReportFolders(logRoot: string): { dir: string; finalDir: string; id: number }[] {
  let names: string[];
  try {
    names = readdirSync(logRoot);
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const m = TMP_REPORT.exec(name);
    if (!m) return [];
    return [{ dir: path.join(logRoot, name), finalDir: path.join(logRoot, m[1]!), id: Number(m[2]) }];
  });
}

/**
 * Finishes or removes the `.tmp` report folders in `logRoot`. The caller holds the imports lock
 * (`lockImports`), so none of them belongs to an import still in flight.
 */
export async function recoverImportReports(tx: Queryable, logRoot: string): Promise<ImportReportRecovery> {
  const out: ImportReportRecovery = { finished: [], removed: [], left: [] };
  const found = tmpReportFolders(logRoot);
  if (found.length === 0) return out;
  const committed = new Set(
    (
      await selectFinishedImports(
        tx,
        found.map((f) => f.id),
      )
    ).map((i) => i.id),
  );
  for (const f of found) {
    try {
      if (!committed.has(f.id)) {
        rmSync(f.dir, { recursive: true, force: true });
        out.removed.push(f.dir);
      } else if (existsSync(f.finalDir)) {
        out.left.push({ folder: f.dir, reason: `import ${f.id} committed but ${f.finalDir} exists already` });
      } else {
        renameSync(f.dir, f.finalDir);
        out.finished.push(f.finalDir);
      }
    } catch (err) {
      out.left.push({ folder: f.dir, reason: (err as Error).message });
    }
  }
  return out;
}

export interface ImportReportProblems {
  /** `.tmp` report folders still there (older than `staleMs`, or any when no run is going). */
  leftovers: string[];
  /** Finished imports whose recorded rejects file is missing. */
  missingRejects: { id: number; rejectsFile: string }[];
}

/** What doctor reports about import report folders (looks only; recovery is the next import's). */
export async function inspectImportReports(
  db: Queryable,
  logRoot: string,
  opts: { runInProgress: boolean; staleMs: number; now: Date },
): Promise<ImportReportProblems> {
  const leftovers = tmpReportFolders(logRoot)
    .filter((f) => {
      if (!opts.runInProgress) return true;
      try {
        return opts.now.getTime() - statSync(f.dir).mtimeMs > opts.staleMs;
      } catch {
        return false;
      }
    })
    .map((f) => f.dir);
  const missingRejects = (await selectImportRejectFiles(db)).filter((i) => !existsSync(i.rejectsFile));
  return { leftovers, missingRejects };
}
