/**
 * A scrape run's folder and checkpoint. `<logDir>/scrapes/<run id>/` holds one CSV per dealership
 * and `checkpoint.json`, rewritten atomically after every dealership, so `--resume` continues an
 * interrupted run without re-fetching the dealerships already done. Kept after the run for audit.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { replaceFileDurableSync } from '../durable-fs.js';
import { z } from 'zod';
import { ScrapeError } from './errors.js';
import { localStamp } from '../core/calendar.js';

const n = z.number().int().nonnegative().default(0);
/** ScrapeCounts (types.ts); older checkpoints had only duplicates, sisterStore and gone. */
const skipped = z.object({
  served: n,
  kept: n,
  duplicates: n,
  sisterStore: n,
  excluded: n,
  excludedBy: z.record(z.string(), z.number()).default({}),
  rejected: n,
  noPrice: n,
  offLot: n,
  unknownStatus: n,
  gone: n,
  unseenStatuses: z.record(z.string(), z.number()).default({}),
});

const entrySchema = z.object({
  status: z.enum(['done', 'failed']),
  /** CSV file name inside the run folder (done, or failed but cut short with part of the inventory). */
  file: z.string().optional(),
  /** Failed half-way with part of the inventory in `file`: imported as a held snapshot (drop guard). */
  cutShort: z.string().optional(),
  vehicles: z.number().int().nonnegative().default(0),
  pages: z.number().int().nonnegative().default(0),
  requests: z.number().int().nonnegative().default(0),
  retries: z.number().int().nonnegative().default(0),
  skipped: skipped.optional(),
  /** Rejected rows' CSV file name inside the run folder (when any row was rejected). */
  rejectsFile: z.string().optional(),
  durationMs: z.number().nonnegative().default(0),
  /** How many runs tried this dealership (a resumed run tries failed ones again). */
  attempts: z.number().int().positive().default(1),
  error: z.object({ code: z.string(), message: z.string(), hints: z.array(z.string()) }).optional(),
  finishedAt: z.string(),
});
export type CheckpointEntry = z.infer<typeof entrySchema>;

const checkpointSchema = z.object({
  version: z.literal(1),
  runId: z.string(),
  startedAt: z.string(),
  /** The dealerships of the run (names), in order. */
  dealerships: z.array(z.object({ name: z.string(), slug: z.string() })),
  /** Whether the run imports its CSVs at the end (`--no-import` says no). */
  import: z.boolean(),
  entries: z.record(z.string(), entrySchema),
  imported: z
    .object({ importId: z.number().nullable(), at: z.string(), summary: z.unknown().optional() })
    .nullable(),
  finishedAt: z.string().nullable(),
});
export type Checkpoint = z.infer<typeof checkpointSchema>;

export const CHECKPOINT_FILE = 'checkpoint.json';

/** `<logDir>/scrapes`. */
export function scrapesDir(logDir: string): string {
  return path.join(logDir, 'scrapes');
}

/** A run id that sorts by time: `20261123-014502-3fa9`. */
export function newRunId(now: Date): string {
  return `${localStamp(now)}-${Math.floor(Math.random() * 0x10000)
    .toString(16)
    .padStart(4, '0')}`;
}

/** Creates a run folder and its first checkpoint. */
export function createRun(
  logDir: string,
  now: Date,
  dealerships: { name: string; slug: string }[],
  doImport: boolean,
): { runDir: string; checkpoint: Checkpoint } {
  const runId = newRunId(now);
  const runDir = path.join(scrapesDir(logDir), runId);
  try {
    mkdirSync(runDir, { recursive: true });
  } catch (err) {
    throw new ScrapeError(
      'run_folder',
      `cannot create the scrape run folder ${runDir}: ${(err as Error).message}`,
      {
        action: 'abort',
        cause: err,
        hints: ['Check SILVERFOX_LOG_DIR: it must be a writable folder.'],
      },
    );
  }
  const checkpoint: Checkpoint = {
    version: 1,
    runId,
    startedAt: now.toISOString(),
    dealerships,
    import: doImport,
    entries: {},
    imported: null,
    finishedAt: null,
  };
  saveCheckpoint(runDir, checkpoint);
  return { runDir, checkpoint };
}

/** Rewrites the checkpoint atomically. */
export function saveCheckpoint(runDir: string, cp: Checkpoint): void {
  const file = path.join(runDir, CHECKPOINT_FILE);
  replaceFileDurableSync(file, `${JSON.stringify(cp, null, 2)}\n`);
}

/** Reads and validates a run's checkpoint. */
export function loadCheckpoint(runDir: string): Checkpoint {
  const file = path.join(runDir, CHECKPOINT_FILE);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ScrapeError('checkpoint', `cannot read the checkpoint ${file}: ${(err as Error).message}`, {
      action: 'abort',
      hints: ['Start a new run without --resume.'],
    });
  }
  const parsed = checkpointSchema.safeParse(json);
  if (!parsed.success) {
    throw new ScrapeError(
      'checkpoint',
      `the checkpoint ${file} is not valid: ${parsed.error.issues[0]?.message}`,
      {
        action: 'abort',
        hints: ['Start a new run without --resume.'],
      },
    );
  }
  return parsed.data;
}

/**
 * The run `--resume` continues: the named one, or the newest unfinished one. Throws when there is
 * nothing to resume.
 */
export function findResumableRun(logDir: string, runId?: string): { runDir: string; checkpoint: Checkpoint } {
  const dir = scrapesDir(logDir);
  if (runId) {
    const runDir = path.join(dir, path.basename(runId));
    if (!existsSync(path.join(runDir, CHECKPOINT_FILE))) {
      throw new ScrapeError('no_run', `there is no scrape run "${runId}" in ${dir}`, {
        action: 'abort',
        hints: ['`silverfox scrape --resume` without a run id picks the newest unfinished run.'],
      });
    }
    const checkpoint = loadCheckpoint(runDir);
    if (checkpoint.finishedAt) {
      throw new ScrapeError(
        'run_finished',
        `scrape run ${runId} already finished at ${checkpoint.finishedAt}`,
        {
          action: 'abort',
          hints: ['Start a new run without --resume.'],
        },
      );
    }
    return { runDir, checkpoint };
  }
  const runs = existsSync(dir)
    ? readdirSync(dir)
        .filter((n) => existsSync(path.join(dir, n, CHECKPOINT_FILE)))
        .sort()
        .reverse()
    : [];
  for (const name of runs) {
    const runDir = path.join(dir, name);
    const checkpoint = loadCheckpoint(runDir);
    if (!checkpoint.finishedAt) return { runDir, checkpoint };
  }
  throw new ScrapeError('no_run', `no unfinished scrape run to resume in ${dir}`, {
    action: 'abort',
    hints: ['Start a new run: `silverfox scrape --all`.'],
  });
}
