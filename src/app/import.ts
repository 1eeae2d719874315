/**
 * `silverfox import`: inventory CSVs -> raw rows -> one new active snapshot per dealership present
 * (rules 1, 2 and 7 of DESIGN.md), unless the drop guard holds it (core/drop-guard: far fewer rows
 * than the active snapshot, or a scrape cut short): then it is stored `held`, its dealership's
 * active snapshot stays active, and every other dealership of the import is activated as usual.
 *
 * Everything happens in ONE transaction, serialized with other imports by an advisory lock: raw
 * rows are COPYed in batches (feed dealerships and snapshots are created between batches: a COPY
 * holds the connection), vehicles are normalized in the same pass, then the import's snapshots
 * become active and the previous snapshots of the same dealerships, and only those, are archived.
 * Any error or Ctrl-C rolls it all back: the previous active snapshots stay active.
 *
 * Rejected at import (never a vehicle; written to rejects.csv with file, line, reason and the
 * original line):
 *   - unparseable_line: malformed quotes, or not as many fields as the header;
 *   - header_repeated: the header again (concatenated exports), or a VIN cell saying VIN/VINS;
 *   - no_vin: blank VIN; scientific_notation: `7.77778E+16`; not_a_vin: not 17 letters/digits;
 *   - no_dealership: blank dealership cell (and no --dealer).
 * Kept and flagged (imported, visible in the report, stored in `vehicles`):
 *   - invalid VIN: 17 letters/digits with I, O or Q (vin_valid = false: never ordered);
 *   - bad check digit (a warning); no price; the same VIN twice in one snapshot (stored once,
 *     first wins; the raw row stays in raw_vehicles).
 * So rows read = imported + rejected, and per snapshot raw = vehicles + duplicates.
 */
import { createHash } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { localStamp, yearIn } from '../core/calendar.js';
import { isHeaderRow, parseColumnMap, planColumns, type ColumnPlan, type Field } from '../core/columns.js';
import { DealershipResolver, nameKey, slugify, type NamedDealership } from '../core/dealership.js';
import { decideHold, dropGuardRatio, type SnapshotHold } from '../core/drop-guard.js';
import {
  addCounts,
  emptyCounts,
  normalizeRow,
  detachString,
  SnapshotTally,
  type NormalizeCounts,
  RAW_VEHICLE_KEYS,
  type RawVehicle,
} from '../core/normalize.js';
import { isNotAVin, normalizeVin, type VinProblem } from '../core/vin.js';
import type { Queryable } from '../db/database.js';
import { insertFeedDealership, listDealerships, type DealershipRecord } from '../db/dealerships.js';
import {
  activateLoadingSnapshots,
  archiveHeldSnapshotsReplacedBy,
  archiveSnapshotsReplacedBy,
  findImportByContentHash,
  finishImport,
  importCommitted,
  holdLoadingSnapshots,
  insertImport,
  insertLoadingSnapshot,
  lockImportId,
  lockImports,
  rawCopyLine,
  RAW_FIELDS,
  selectActiveSnapshots,
  updateSnapshotRowCounts,
} from '../db/imports.js';
import { vehicleCopyLine } from '../db/vehicles.js';
import {
  CancelledError,
  CommitOutcomeUnknownError,
  DatabaseError,
  InputError,
  SilverfoxError,
  unreadableFileText,
  UsageError,
} from '../errors.js';
import type { AppContext } from './context.js';
import { CopyBatcher } from '../db/copy-batch.js';
import { openCsvStream, type CsvStream } from '../output/csv-input.js';
import { invalidSettingsError, resolveDealership } from './dealers.js';
import { recoverImportReports } from './import-reports.js';
import { RejectsWriter } from '../output/rejects.js';

/** Why a row was not imported. */
export type RejectReason =
  'unparseable_line' | 'header_repeated' | 'no_vin' | 'scientific_notation' | 'not_a_vin' | 'no_dealership';

/** Operator-facing words per reject reason. */
export const REJECT_REASON_TEXT: Record<RejectReason, string> = {
  unparseable_line: 'unparseable line',
  header_repeated: 'header row repeated',
  no_vin: 'no VIN',
  scientific_notation: 'VIN in scientific notation',
  not_a_vin: 'not a VIN',
  no_dealership: 'no dealership',
};

const VIN_REJECT: Partial<Record<VinProblem, RejectReason>> = {
  blank: 'no_vin',
  header: 'header_repeated',
  scientific_notation: 'scientific_notation',
  wrong_length: 'not_a_vin',
  bad_characters: 'not_a_vin',
};

export interface ImportProgress {
  file: string;
  fileIndex: number;
  fileCount: number;
  rowsRead: number;
  /** Bytes read of this file (compressed bytes for gzip) and its size when known (not stdin). */
  bytesRead: number;
  totalBytes: number | null;
  elapsedMs: number;
  rowsPerSecond: number;
}

export interface ImportOptions {
  /** Paths; `-` reads stdin. Plain or gzipped CSV. */
  files: readonly string[];
  /** `--map` values (`field=Header,...`) or an already parsed map. */
  map?: readonly string[] | Partial<Record<Field, string | null>>;
  /** Every row goes to this dealership (name, slug or alias; must exist). */
  dealer?: string;
  /** An unknown dealership name is an error instead of a new (disabled) dealership. */
  strictDealers?: boolean;
  /** Import even when the same content was imported before. */
  force?: boolean;
  /**
   * Activate every new snapshot even when the drop guard would hold it (`import --force` sets
   * this too; a scrape never does: it accepts a held snapshot with `scrape --accept-drop`).
   */
  acceptDrop?: boolean;
  /**
   * Dealerships (by slug) whose scrape was cut short, with why: their new snapshot is held when
   * they have an active one (core/drop-guard).
   */
  cutShort?: Readonly<Record<string, string>>;
  /** Do everything, report it, then roll back: nothing changes, no files are written. */
  dryRun?: boolean;
  /** Derive normalized vehicles in the same transaction (default true). */
  normalize?: boolean;
  source?: 'csv' | 'scrape';
  /** Where `-` reads from (the CLI passes process.stdin). */
  stdin?: NodeJS.ReadableStream;
  /** Aborting (Ctrl-C) rolls the import back. */
  signal?: AbortSignal;
  onProgress?: (p: ImportProgress) => void;
}

export interface ImportedFile {
  /** As given (`-` is `stdin`). */
  file: string;
  bytes: number;
  sha256: string;
  gzip: boolean;
  encoding: string;
  delimiter: string;
  header: string[];
  /** field -> header used. */
  columns: Partial<Record<Field, string>>;
  /** Headers that lost to a better alias of the same field. */
  ignoredColumns: { field: Field; header: string; used: string }[];
  rowsRead: number;
  rowsImported: number;
  rowsRejected: number;
}

export interface DealershipImport {
  dealershipId: number;
  name: string;
  slug: string;
  /** First seen in this import: created disabled, outside the registry. */
  created: boolean;
  /** Raw rows imported for it. */
  rows: number;
  /** Its rows rejected (bad VIN...); rows without a dealership are counted in the import only. */
  rejected: number;
  /**
   * Its new snapshot became active (false for a dry run, when none of its rows was imported, or
   * when it is held).
   */
  activated: boolean;
  /** The drop guard held its new snapshot (stored, not active; `status` shows how to accept it). */
  held: SnapshotHold | null;
  snapshotId: number | null;
  /** The snapshot this import archived. */
  previousSnapshotId: number | null;
  /** An older held snapshot of this dealership that this import superseded (archived). */
  previousHeldSnapshotId: number | null;
  /** Normalization counts (null with --no-normalize). */
  normalize: NormalizeCounts | null;
  duplicateVins: string[];
}

export interface RejectSample {
  file: string;
  line: number;
  reason: RejectReason;
  detail: string;
}

export interface ImportResult {
  /** null for a dry run or a no-op. */
  importId: number | null;
  source: 'csv' | 'scrape';
  dryRun: boolean;
  /** The same content (and options) was imported before: nothing was done. */
  skippedDuplicateContent: boolean;
  previousImport: { id: number; startedAt: string; rowsImported: number } | null;
  contentHash: string;
  files: ImportedFile[];
  rowsRead: number;
  rowsImported: number;
  rowsRejected: number;
  rejectedByReason: Partial<Record<RejectReason, number>>;
  /** The first rejected rows, for a quick look (all of them are in the rejects file). */
  rejectSamples: RejectSample[];
  rejectsFile: string | null;
  reportFile: string | null;
  dealerships: DealershipImport[];
  createdDealerships: string[];
  normalized: boolean;
  /** Normalization counts over all dealerships (null with --no-normalize). */
  totals: NormalizeCounts | null;
  durationMs: number;
}

interface InputSpec {
  label: string;
  path: string | null;
  size: number | null;
}

/** One file being read: its stream, where its fields are, and what it counted so far. */
interface FileRead {
  input: InputSpec;
  fileIndex: number;
  csv: CsvStream;
  plan: ColumnPlan;
  /** Per RAW_FIELDS entry, its column (undefined: not in this file). */
  rawIx: (number | undefined)[];
  vinIx: number;
  dealerIx: number | undefined;
  /** The --dealer dealership, which every row goes to. */
  fixed: DealerState | null;
  started: number;
  read: number;
  imported: number;
  rejected: number;
  /** Reused for every row: the raw fields' cells, in RAW_FIELDS order. */
  rawValues: (string | null)[];
}

interface DealerState {
  id: number;
  name: string;
  slug: string;
  created: boolean;
  snapshotId: number | null;
  rows: number;
  rejected: number;
  tally: SnapshotTally | null;
}

/**
 * Thrown inside the transaction to roll it back while still returning a result (dry run, no-op
 * found late). A SilverfoxError, so the database adapters let it through unwrapped.
 */
class Rollback extends SilverfoxError {
  constructor(readonly result: ImportResult) {
    super('rollback', 'rolled back on purpose');
  }
}

function checkInputs(files: readonly string[]): InputSpec[] {
  if (files.length === 0) throw new UsageError('name at least one file to import (or - for stdin)');
  if (files.filter((f) => f === '-').length > 1) throw new UsageError('stdin (-) can be read only once');
  const problems: string[] = [];
  const specs = files.map((f): InputSpec => {
    if (f === '-') return { label: 'stdin', path: null, size: null };
    try {
      const st = statSync(f);
      if (!st.isFile()) problems.push(`${f} is not a file`);
      return { label: f, path: path.resolve(f), size: st.size };
    } catch {
      problems.push(unreadableFileText(f));
      return { label: f, path: null, size: null };
    }
  });
  if (problems.length > 0)
    throw new InputError(problems.join('; '), { hints: ['Check the path and try again.'] });
  return specs;
}

function combinedHash(fileHashes: readonly string[], extra: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify({ files: fileHashes, extra }))
    .digest('hex');
}

/** What one import works from, settled before its transaction opens. */
interface ImportPlan {
  inputs: InputSpec[];
  map: Partial<Record<Field, string | null>>;
  source: 'csv' | 'scrape';
  normalize: boolean;
  dryRun: boolean;
  fixed: DealershipRecord | null;
  /** Options that change what the same files import to, so they count in the content hash. */
  hashExtra: { map: Partial<Record<Field, string | null>>; dealer: number | null };
  currentYear: number;
  logRoot: string;
  started: number;
}

/**
 * What the transaction leaves behind for after it ends: its report folder (`<final>.tmp` until the
 * commit is known), the rejects file being written there, and the result it was about to commit.
 */
interface ImportFolder {
  tmpDir: string | null;
  finalDir: string | null;
  rejects: RejectsWriter | null;
  beforeCommit: ImportResult | null;
}

/** Imports inventory files into new active snapshots; see the top of this file. */
export async function importFiles(ctx: AppContext, options: ImportOptions): Promise<ImportResult> {
  const plan = await planImport(ctx, options, performance.now());
  const folder: ImportFolder = { tmpDir: null, finalDir: null, rejects: null, beforeCommit: null };
  let result: ImportResult;
  try {
    result = await ctx.db.transaction((tx) => importInTransaction(ctx, tx, plan, options, folder));
  } catch (err) {
    folder.rejects?.destroy();
    const { tmpDir, finalDir, beforeCommit } = folder;
    if (err instanceof CommitOutcomeUnknownError && beforeCommit && tmpDir && finalDir) {
      result = await settleUnknownImportCommit(ctx, beforeCommit, tmpDir, err);
    } else {
      if (tmpDir) rmSync(tmpDir, { recursive: true, force: true });
      if (err instanceof Rollback) {
        err.result.durationMs = Math.round(performance.now() - plan.started);
        return err.result;
      }
      throw err;
    }
  }
  if (folder.tmpDir && folder.finalDir) publishReportFolder(folder.tmpDir, folder.finalDir);
  return result;
}

/** Checks the inputs and settles the options (the --dealer dealership must exist). */
async function planImport(ctx: AppContext, options: ImportOptions, started: number): Promise<ImportPlan> {
  const inputs = checkInputs(options.files);
  const map = Array.isArray(options.map)
    ? parseColumnMap(options.map as readonly string[])
    : ((options.map ?? {}) as Partial<Record<Field, string | null>>);
  const fixed = options.dealer !== undefined ? await resolveDealership(ctx, options.dealer) : null;
  return {
    inputs,
    map,
    source: options.source ?? 'csv',
    normalize: options.normalize !== false,
    dryRun: options.dryRun === true,
    fixed,
    hashExtra: { map, dealer: fixed?.id ?? null },
    currentYear: yearIn(ctx.now(), ctx.config.timeZone),
    logRoot: path.join(ctx.config.logDir, 'imports'),
    started,
  };
}

/**
 * The import inside its transaction: read every file into raw rows and vehicles, then hold or
 * activate the new snapshots and record the import. A dry run or a repeated import throws
 * Rollback with its result.
 */
async function importInTransaction(
  ctx: AppContext,
  tx: Queryable,
  plan: ImportPlan,
  options: ImportOptions,
  folder: ImportFolder,
): Promise<ImportResult> {
  const importId = await openImport(tx, plan);
  if (!plan.dryRun) {
    folder.finalDir = path.join(plan.logRoot, `${localStamp(ctx.now())}-import-${importId}`);
    folder.tmpDir = `${folder.finalDir}.tmp`;
  }
  const run = await readInputs(tx, importId, plan, options, folder);
  const contentHash = combinedHash(
    run.files.map((f) => f.sha256),
    plan.hashExtra,
  );
  // The content hash is computed while reading (no second pass over a big file), so a
  // re-import is recognized at the end and rolled back.
  if (!options.force) {
    const prev = await findImportByContentHash(tx, contentHash);
    if (prev) throw new Rollback(repeatedImportResult(plan, contentHash, prev));
  }
  const outcome = await replaceSnapshots(tx, importId, run, options);
  const r = importResult(plan, importId, contentHash, run, outcome, folder.finalDir);
  checkRowAccounting(r, run);
  r.durationMs = Math.round(performance.now() - plan.started);
  await finishImport(tx, importId, {
    files: r.files,
    contentHash,
    rowsRead: r.rowsRead,
    rowsImported: r.rowsImported,
    rowsRejected: r.rowsRejected,
    rejectsFile: r.rejectsFile,
    report: { ...r, rejectSamples: undefined },
  });
  if (plan.dryRun) throw new Rollback(r);
  await run.rejects?.close();
  mkdirSync(folder.tmpDir!, { recursive: true });
  writeFileSync(path.join(folder.tmpDir!, 'report.json'), `${JSON.stringify(r, null, 2)}\n`);
  folder.beforeCommit = r;
  return r;
}

/** Takes the imports lock, finishes what a killed import left, and records this import. */
async function openImport(tx: Queryable, plan: ImportPlan): Promise<number> {
  await lockImports(tx);
  // Under the imports lock no other import is in flight: what a killed one left is finished now.
  await recoverImportReports(tx, plan.logRoot);
  const importId = await insertImport(tx, {
    source: plan.source,
    files: plan.inputs.map((i) => ({ file: i.label })),
    contentHash: null,
  });
  await lockImportId(tx, importId);
  return importId;
}

/** Reads every input into raw rows (and vehicles); fails on a cancel or an unknown dealership. */
async function readInputs(
  tx: Queryable,
  importId: number,
  plan: ImportPlan,
  options: ImportOptions,
  folder: ImportFolder,
): Promise<ImportRun> {
  const dealerships = await listDealerships(tx);
  folder.rejects = folder.tmpDir ? new RejectsWriter(path.join(folder.tmpDir, 'rejects.csv')) : null;
  const run = new ImportRun(tx, {
    importId,
    currentYear: plan.currentYear,
    normalize: plan.normalize,
    strict: options.strictDealers === true,
    fixed: plan.fixed,
    dealerships,
    rejects: folder.rejects,
    signal: options.signal,
    onProgress: options.onProgress,
    started: plan.started,
  });
  const { inputs } = plan;
  for (let i = 0; i < inputs.length; i++) {
    await run.readFile(inputs[i]!, i, inputs.length, plan.map, options.stdin);
  }
  await run.batcher.drain();
  if (options.signal?.aborted) throw new CancelledError('import cancelled: nothing was changed');
  run.checkUnknownDealers();
  return run;
}

/** What became of the snapshots: dealership id -> its hold, archived snapshot, superseded hold. */
interface SnapshotOutcome {
  holds: Map<number, SnapshotHold>;
  archived: Map<number, number>;
  supersededHolds: Map<number, number>;
}

/**
 * The import's snapshots replace the active ones of the same dealerships, and only those; a
 * snapshot the drop guard holds is stored held and leaves its dealership's active one in place.
 */
async function replaceSnapshots(
  tx: Queryable,
  importId: number,
  run: ImportRun,
  options: ImportOptions,
): Promise<SnapshotOutcome> {
  const present = [...run.dealers.values()].filter((d) => d.snapshotId !== null);
  await updateSnapshotRowCounts(
    tx,
    present.map((d) => d.snapshotId!),
    present.map((d) => d.rows),
  );
  const holds = await decideHolds(tx, present, run.settingsOf, options);
  const supersededHolds = await archiveHeldSnapshotsReplacedBy(tx, importId);
  await holdLoadingSnapshots(
    tx,
    importId,
    [...holds].map(([dealershipId, hold]) => ({ dealershipId, hold })),
  );
  const archived = await archiveSnapshotsReplacedBy(tx, importId);
  await activateLoadingSnapshots(tx, importId);
  return { holds, archived, supersededHolds };
}

/** The result of an import that read its files (durationMs is set by the caller). */
function importResult(
  plan: ImportPlan,
  importId: number,
  contentHash: string,
  run: ImportRun,
  outcome: SnapshotOutcome,
  finalDir: string | null,
): ImportResult {
  const dealerships = dealershipImports(run, outcome, plan.dryRun);
  return {
    importId: plan.dryRun ? null : importId,
    source: plan.source,
    dryRun: plan.dryRun,
    skippedDuplicateContent: false,
    previousImport: null,
    contentHash,
    files: run.files,
    rowsRead: run.rowsRead,
    rowsImported: run.rowsImported,
    rowsRejected: run.rejected,
    rejectedByReason: run.byReason,
    rejectSamples: run.samples,
    rejectsFile: run.rejects && run.rejected > 0 ? path.join(finalDir!, 'rejects.csv') : null,
    reportFile: finalDir ? path.join(finalDir, 'report.json') : null,
    dealerships,
    createdDealerships: dealerships.filter((d) => d.created).map((d) => d.name),
    normalized: plan.normalize,
    totals: plan.normalize
      ? dealerships.reduce((acc, d) => addCounts(acc, d.normalize ?? emptyCounts()), emptyCounts())
      : null,
    durationMs: 0,
  };
}

/** Per dealership with rows or rejects in this import, by name: what the import did for it. */
function dealershipImports(run: ImportRun, outcome: SnapshotOutcome, dryRun: boolean): DealershipImport[] {
  const { holds, archived, supersededHolds } = outcome;
  return [...run.dealers.values()]
    .filter((d) => d.rows > 0 || d.rejected > 0)
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((d): DealershipImport => ({
      dealershipId: d.id,
      name: d.name,
      slug: d.slug,
      created: d.created,
      rows: d.rows,
      rejected: d.rejected,
      activated: d.snapshotId !== null && !dryRun && !holds.has(d.id),
      held: holds.get(d.id) ?? null,
      snapshotId: dryRun ? null : d.snapshotId,
      previousSnapshotId: archived.get(d.id) ?? null,
      previousHeldSnapshotId: supersededHolds.get(d.id) ?? null,
      normalize: d.tally ? d.tally.counts : null,
      duplicateVins: d.tally ? d.tally.duplicateVins : [],
    }));
}

/** Rule 7 as an invariant: if this ever fails, nothing is committed. */
function checkRowAccounting(r: ImportResult, run: ImportRun): void {
  if (r.rowsRead !== r.rowsImported + r.rowsRejected || run.batcher.rawCopied !== r.rowsImported) {
    throw new Error(
      `row accounting does not add up: read ${r.rowsRead}, imported ${r.rowsImported} (copied ${run.batcher.rawCopied}), rejected ${r.rowsRejected}`,
    );
  }
}

/** The result of an import whose content was imported before: nothing was done. */
function repeatedImportResult(
  plan: ImportPlan,
  hash: string,
  prev: { id: number; startedAt: Date; rowsImported: number },
): ImportResult {
  return {
    importId: null,
    source: plan.source,
    dryRun: plan.dryRun,
    skippedDuplicateContent: true,
    previousImport: { id: prev.id, startedAt: prev.startedAt.toISOString(), rowsImported: prev.rowsImported },
    contentHash: hash,
    files: [],
    rowsRead: 0,
    rowsImported: 0,
    rowsRejected: 0,
    rejectedByReason: {},
    rejectSamples: [],
    rejectsFile: null,
    reportFile: null,
    dealerships: [],
    createdDealerships: [],
    normalized: false,
    totals: null,
    durationMs: Math.round(performance.now() - plan.started),
  };
}

/** Renames a committed import's report folder into place (a recovery may have done it already). */
function publishReportFolder(tmpDir: string, finalDir: string): void {
  try {
    renameSync(tmpDir, finalDir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && existsSync(finalDir)) return;
    if (code === 'ENOENT') return; // a dry run or no-op never made one
    throw err;
  }
}

/**
 * The import's COMMIT was sent and its reply lost: keep the report folder, ask the database
 * (after the import's own advisory lock is free, i.e. after that transaction ended on the server) and finish
 * accordingly; with no answer the folder stays for the next import's recovery.
 */
async function settleUnknownImportCommit(
  ctx: AppContext,
  planned: ImportResult,
  tmpDir: string,
  err: CommitOutcomeUnknownError,
): Promise<ImportResult> {
  const id = planned.importId!;
  const ask = () => ctx.db.transaction((tx) => importCommitted(tx, id)).catch(() => null);
  let committed = await ask();
  if (committed === null) {
    await new Promise((r) => setTimeout(r, 1000));
    committed = await ask();
  }
  if (committed === true) return planned;
  if (committed === false) {
    rmSync(tmpDir, { recursive: true, force: true });
    throw new DatabaseError(
      `import #${id} was not committed: the connection failed during COMMIT and the database, asked again, has no such import`,
      {
        code: 'database_unreachable',
        cause: err,
        hints: [
          'The previous snapshots stay active and its report folder was removed. Run the import again.',
        ],
      },
    );
  }
  throw new CommitOutcomeUnknownError(
    `import #${id}: the database connection failed during COMMIT and the database cannot be asked now, so whether the import was committed is unknown`,
    {
      cause: err,
      hints: [
        `Its report and rejects are kept in ${tmpDir}.`,
        'The next `silverfox import` asks the database: it moves the report into place if the import was committed and removes it otherwise (`silverfox doctor` lists what is left).',
        'Check that the database is reachable before running again.',
      ],
    },
  );
}

/**
 * The drop guard's decision per dealership present (core/drop-guard), against the active
 * snapshots as they are under the import lock.
 */
async function decideHolds(
  tx: Queryable,
  present: readonly DealerState[],
  settingsOf: (id: number) => DealershipRecord['settings'] | undefined,
  options: ImportOptions,
): Promise<Map<number, SnapshotHold>> {
  const holds = new Map<number, SnapshotHold>();
  if (present.length === 0) return holds;
  const active = new Map(
    (
      await selectActiveSnapshots(
        tx,
        present.map((d) => d.id),
      )
    ).map((a) => [a.dealershipId, a.rowCount]),
  );
  for (const d of present) {
    let ratio: number;
    try {
      ratio = dropGuardRatio(settingsOf(d.id));
    } catch (err) {
      throw invalidSettingsError(d.name, [(err as Error).message]);
    }
    const hold = decideHold({
      kept: d.rows,
      activeRows: active.get(d.id) ?? null,
      ratio,
      cutShort: options.cutShort?.[d.slug] ?? null,
      acceptDrop: options.acceptDrop === true,
    });
    if (hold) holds.set(d.id, hold);
  }
  return holds;
}

/** The state of one import while it reads its files. */
class ImportRun {
  readonly batcher: CopyBatcher;
  readonly dealers = new Map<number, DealerState>();
  readonly files: ImportedFile[] = [];
  readonly byReason: Partial<Record<RejectReason, number>> = {};
  readonly samples: RejectSample[] = [];
  readonly rejects: RejectsWriter | null;
  rowsRead = 0;
  rowsImported = 0;
  rejected = 0;
  private readonly resolver: DealershipResolver<NamedDealership>;
  /** Feed spelling -> dealership (null: unknown under --strict-dealers). */
  private readonly byName = new Map<string, DealerState | null>();
  private readonly unknown = new Map<string, number>();

  constructor(
    private readonly tx: Queryable,
    private readonly o: {
      importId: number;
      currentYear: number;
      normalize: boolean;
      strict: boolean;
      fixed: DealershipRecord | null;
      dealerships: DealershipRecord[];
      rejects: RejectsWriter | null;
      signal?: AbortSignal;
      onProgress?: (p: ImportProgress) => void;
      started: number;
    },
  ) {
    this.batcher = new CopyBatcher(tx);
    this.resolver = new DealershipResolver(o.dealerships);
    this.rejects = o.rejects;
    const settings = new Map(o.dealerships.map((d) => [d.id, d.settings]));
    this.settingsOf = (id) => settings.get(id);
  }

  /** A known dealership's settings (a dealership this import created has the defaults). */
  readonly settingsOf: (id: number) => DealershipRecord['settings'] | undefined;

  private state(d: NamedDealership, created: boolean): DealerState {
    let s = this.dealers.get(d.id);
    if (!s) {
      s = {
        id: d.id,
        name: d.name,
        slug: d.slug,
        created,
        snapshotId: null,
        rows: 0,
        rejected: 0,
        tally: this.o.normalize ? new SnapshotTally() : null,
      };
      this.dealers.set(d.id, s);
    }
    return s;
  }

  /** The dealership of a feed spelling if it is already known (no creation). */
  private knownDealer(name: string): DealerState | null {
    const cached = this.byName.get(name);
    if (cached !== undefined) return cached;
    const found = this.resolver.resolve(name);
    return found ? (this.dealers.get(found.id) ?? null) : null;
  }

  /** The dealership of a feed spelling, creating a disabled one for a new name (unless strict). */
  private async dealerFor(name: string): Promise<DealerState | null | 'blank'> {
    const cached = this.byName.get(name);
    if (cached !== undefined) return cached;
    const key = nameKey(name);
    if (key === '') return 'blank';
    let found = this.resolver.resolve(name);
    let created = false;
    if (!found) {
      if (this.o.strict) {
        this.byName.set(detachString(name), null);
        return null;
      }
      const display = detachString(name.trim().replace(/\s+/g, ' '));
      await this.batcher.idle();
      // The registry's slug for the name, so a dealership named in a feed and later in the
      // registry gets one slug, not two (nameKey also drops accents; slugify drops accented
      // letters). A name slugify leaves empty (only accented letters) keeps its name key.
      const slug = slugify(display) || key;
      const id = await insertFeedDealership(this.tx, display, slug);
      found = { id, name: display, slug, aliases: [] };
      this.resolver.add(found);
      created = true;
    }
    const s = this.state(found, created);
    this.byName.set(detachString(name), s);
    return s;
  }

  /** Reports spellings --strict-dealers refused, all at once. */
  checkUnknownDealers(): void {
    if (this.unknown.size === 0) return;
    const names = [...this.unknown.entries()].sort((a, b) => b[1] - a[1]);
    throw new InputError(
      `${names.length} dealership name(s) in the file match no dealership (--strict-dealers): ` +
        names
          .slice(0, 15)
          .map(([n, c]) => `"${n}" (${c} rows)`)
          .join(', ') +
        (names.length > 15 ? `, and ${names.length - 15} more` : ''),
      {
        hints: [
          'Add them with `silverfox dealers add NAME`, or as an alias: `silverfox dealers set NAME --add-alias "<spelling>"`.',
          'Without --strict-dealers they are created disabled. Nothing was imported.',
        ],
      },
    );
  }

  private reject(
    f: FileRead,
    line: number,
    reason: RejectReason,
    detail: string,
    fields: readonly string[],
    dealer: DealerState | null,
  ): void {
    this.rejected++;
    f.rejected++;
    this.byReason[reason] = (this.byReason[reason] ?? 0) + 1;
    if (dealer) dealer.rejected++;
    const file = f.input.label;
    if (this.samples.length < 20) this.samples.push({ file, line, reason, detail: detachString(detail) });
    this.rejects?.add(file, line, reason, detail, fields, f.csv.delimiter);
  }

  /** Reads one input: each row becomes a raw row (and a vehicle) of its dealership, or a reject. */
  async readFile(
    input: InputSpec,
    fileIndex: number,
    fileCount: number,
    map: Partial<Record<Field, string | null>>,
    stdin: NodeJS.ReadableStream | undefined,
  ): Promise<void> {
    const f = await this.openFile(input, fileIndex, map, stdin);
    for await (const chunk of f.csv.chunks) {
      if (this.o.signal?.aborted) throw new CancelledError('import cancelled: nothing was changed');
      const { rows, lines, problems, quoted } = chunk;
      for (let r = 0; r < rows.length; r++) {
        const row = rows[r]!;
        const line = lines[r]!;
        f.read++;
        let dealer = this.screenRow(f, row, line, problems?.[r]);
        // Almost every row names a dealership seen before: no promise for those.
        if (typeof dealer === 'string') dealer = await this.placeNewName(f, row, line, dealer);
        if (dealer === null) continue;
        if (dealer.snapshotId === null) {
          await this.batcher.idle();
          dealer.snapshotId = await insertLoadingSnapshot(this.tx, this.o.importId, dealer.id);
        }
        // Cells of a row without quotes in a comma file cannot hold a quote, comma or line break:
        // they go into the COPY text as they are.
        this.addRow(f, dealer, row, line, !chunk.plain || quoted?.[r] === true);
        if (this.batcher.full) await this.batcher.flush();
      }
      if (this.rejects) await this.rejects.flush();
      this.progress(f, fileCount, chunk.bytesRead);
    }
    this.recordFile(f);
  }

  /** Opens one input and finds its columns (a missing VIN or dealership column fails here). */
  private async openFile(
    input: InputSpec,
    fileIndex: number,
    map: Partial<Record<Field, string | null>>,
    stdin: NodeJS.ReadableStream | undefined,
  ): Promise<FileRead> {
    const bytes: AsyncIterable<Buffer> = input.path
      ? createReadStream(input.path, { highWaterMark: 256 * 1024 })
      : ((stdin ?? process.stdin) as AsyncIterable<Buffer>);
    const csv = await openCsvStream(bytes, input.label);
    const plan = planColumns(csv.header, { map, dealershipFixed: this.o.fixed !== null, file: input.label });
    return {
      input,
      fileIndex,
      csv,
      plan,
      rawIx: RAW_FIELDS.map((f) => plan.index[f]),
      vinIx: plan.index.vin!,
      dealerIx: plan.index.dealership,
      fixed: this.o.fixed ? this.state(this.o.fixed, false) : null,
      started: performance.now(),
      read: 0,
      imported: 0,
      rejected: 0,
      rawValues: new Array<string | null>(RAW_FIELDS.length).fill(null),
    };
  }

  /**
   * The dealership of a row, without waiting: null when the row is rejected, the feed spelling
   * when it is not known yet (placeNewName decides).
   */
  private screenRow(
    f: FileRead,
    row: string[],
    line: number,
    problem: string | undefined,
  ): DealerState | null | string {
    if (problem !== undefined) {
      this.reject(f, line, 'unparseable_line', problem, row, null);
      return null;
    }
    // The VIN first: a junk row must not create a dealership.
    const vin = normalizeVin(row[f.vinIx]);
    if (isNotAVin(vin)) {
      if (isHeaderRow(row, f.csv.header)) {
        this.reject(f, line, 'header_repeated', 'the header row again', row, null);
      } else {
        const known = f.fixed ?? (f.dealerIx === undefined ? null : this.knownDealer(row[f.dealerIx]!));
        const reason = VIN_REJECT[vin.problem!]!;
        this.reject(f, line, reason, vinDetail(vin.problem!, row[f.vinIx]!), row, known);
      }
      return null;
    }
    if (f.fixed) return f.fixed;
    const name = row[f.dealerIx!]!;
    const seen = this.byName.get(name);
    if (seen) return seen;
    if (name.trim() === '') {
      this.reject(f, line, 'no_dealership', 'the dealership cell is blank', row, null);
      return null;
    }
    return name;
  }

  /** The dealership of a spelling not seen before; null when the row is rejected or refused. */
  private async placeNewName(
    f: FileRead,
    row: string[],
    line: number,
    name: string,
  ): Promise<DealerState | null> {
    const d = await this.dealerFor(name);
    if (d === 'blank') {
      this.reject(f, line, 'no_dealership', 'the dealership cell is blank', row, null);
      return null;
    }
    if (d === null) {
      // Unknown under --strict-dealers: the import fails at the end, listing every such name.
      const n = this.unknown.get(name);
      this.unknown.set(n === undefined ? detachString(name) : name, (n ?? 0) + 1);
    }
    return d;
  }

  /** Queues the row's raw line and, when normalizing, its vehicle (the first of a VIN wins). */
  private addRow(f: FileRead, dealer: DealerState, row: string[], line: number, escape: boolean): void {
    this.batcher.addRaw(rawCopyLine(this.o.importId, dealer.id, f.fileIndex, line, row, f.rawIx, escape));
    dealer.rows++;
    f.imported++;
    if (!dealer.tally) return;
    const { rawIx, rawValues } = f;
    for (let k = 0; k < rawIx.length; k++) {
      const i = rawIx[k];
      rawValues[k] = i === undefined ? null : row[i]!;
    }
    const v = dealer.tally.take(normalizeRow(rawRecord(rawValues), this.o.currentYear));
    if (v) this.batcher.addVehicle(vehicleCopyLine(dealer.snapshotId!, dealer.id, f.fileIndex, line, v));
  }

  private progress(f: FileRead, fileCount: number, bytesRead: number): void {
    if (!this.o.onProgress) return;
    const elapsedMs = performance.now() - f.started;
    this.o.onProgress({
      file: f.input.label,
      fileIndex: f.fileIndex,
      fileCount,
      rowsRead: f.read,
      bytesRead,
      totalBytes: f.input.size,
      elapsedMs: performance.now() - this.o.started,
      rowsPerSecond: elapsedMs > 0 ? Math.round((f.read / elapsedMs) * 1000) : 0,
    });
  }

  /** Adds a file read to the import's totals and its list of files. */
  private recordFile(f: FileRead): void {
    this.rowsRead += f.read;
    this.rowsImported += f.imported;
    const { csv } = f;
    this.files.push({
      file: f.input.label,
      bytes: f.input.size ?? 0,
      sha256: csv.sha256(),
      gzip: csv.gzip,
      encoding: csv.encoding,
      delimiter: csv.delimiter === '\t' ? 'tab' : csv.delimiter,
      header: csv.header,
      columns: f.plan.used,
      ignoredColumns: f.plan.shadowed,
      rowsRead: f.read,
      rowsImported: f.imported,
      rowsRejected: f.rejected,
    });
  }
}

/** The raw record of one row: `values` holds, per RAW_FIELDS entry, that field's cell. */
function rawRecord(values: readonly (string | null)[]): RawVehicle {
  const raw: RawVehicle = { vin: null };
  RAW_VEHICLE_KEYS.forEach((key, i) => {
    raw[key] = values[i] ?? null;
  });
  return raw;
}

function vinDetail(problem: VinProblem, text: string): string {
  const t = text.trim();
  switch (problem) {
    case 'blank':
      return 'the VIN cell is blank';
    case 'header':
      return `the VIN cell says "${t}" (a header row)`;
    case 'scientific_notation':
      return `"${t}" is a number in scientific notation, not a VIN (a spreadsheet rounded it)`;
    case 'wrong_length':
      return `"${t}" has ${t.length} characters, a VIN has 17`;
    default:
      return `"${t}" has characters other than letters and digits`;
  }
}
