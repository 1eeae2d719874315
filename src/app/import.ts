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
import { isHeaderRow, parseColumnMap, planColumns, type Field } from '../core/columns.js';
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
import { openCsvStream } from '../output/csv-input.js';
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

/** Imports inventory files into new active snapshots; see the top of this file. */
export async function importFiles(ctx: AppContext, options: ImportOptions): Promise<ImportResult> {
  const started = performance.now();
  const inputs = checkInputs(options.files);
  const map = Array.isArray(options.map)
    ? parseColumnMap(options.map as readonly string[])
    : ((options.map ?? {}) as Partial<Record<Field, string | null>>);
  const source = options.source ?? 'csv';
  const normalize = options.normalize !== false;
  const dryRun = options.dryRun === true;
  const fixed = options.dealer !== undefined ? await resolveDealership(ctx, options.dealer) : null;
  const hashExtra = { map, dealer: fixed?.id ?? null };
  const currentYear = yearIn(ctx.now(), ctx.config.timeZone);
  const logRoot = path.join(ctx.config.logDir, 'imports');
  // Assigned inside the transaction callback; declared with `as` so TypeScript keeps the union.
  let tmpDir = null as string | null;
  let finalDir = null as string | null;
  let rejects = null as RejectsWriter | null;
  let beforeCommit = null as ImportResult | null;

  const noop = (hash: string, prev: { id: number; startedAt: Date; rowsImported: number }): ImportResult => ({
    importId: null,
    source,
    dryRun,
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
    durationMs: Math.round(performance.now() - started),
  });

  let result: ImportResult;
  try {
    result = await ctx.db.transaction(async (tx) => {
      await lockImports(tx);
      // Under the imports lock no other import is in flight: what a killed one left is finished now.
      await recoverImportReports(tx, logRoot);
      const importId = await insertImport(tx, {
        source,
        files: inputs.map((i) => ({ file: i.label })),
        contentHash: null,
      });
      await lockImportId(tx, importId);
      if (!dryRun) {
        finalDir = path.join(logRoot, `${localStamp(ctx.now())}-import-${importId}`);
        tmpDir = `${finalDir}.tmp`;
      }
      const run = new ImportRun(tx, {
        importId,
        currentYear,
        normalize,
        strict: options.strictDealers === true,
        fixed,
        dealerships: await listDealerships(tx),
        rejects: (rejects = tmpDir ? new RejectsWriter(path.join(tmpDir, 'rejects.csv')) : null),
        signal: options.signal,
        onProgress: options.onProgress,
        started,
      });
      for (let i = 0; i < inputs.length; i++) {
        await run.readFile(inputs[i]!, i, inputs.length, map, options.stdin);
      }
      await run.batcher.drain();
      if (options.signal?.aborted) throw new CancelledError('import cancelled: nothing was changed');
      run.checkUnknownDealers();

      const contentHash = combinedHash(
        run.files.map((f) => f.sha256),
        hashExtra,
      );
      // The content hash is computed while reading (no second pass over a big file), so a
      // re-import is recognized at the end and rolled back.
      if (!options.force) {
        const prev = await findImportByContentHash(tx, contentHash);
        if (prev) throw new Rollback(noop(contentHash, prev));
      }

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

      const rejectsFile = run.rejects && run.rejected > 0 ? path.join(finalDir!, 'rejects.csv') : null;
      const reportFile = finalDir ? path.join(finalDir, 'report.json') : null;
      const dealerships = [...run.dealers.values()]
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
      const r: ImportResult = {
        importId: dryRun ? null : importId,
        source,
        dryRun,
        skippedDuplicateContent: false,
        previousImport: null,
        contentHash,
        files: run.files,
        rowsRead: run.rowsRead,
        rowsImported: run.rowsImported,
        rowsRejected: run.rejected,
        rejectedByReason: run.byReason,
        rejectSamples: run.samples,
        rejectsFile,
        reportFile,
        dealerships,
        createdDealerships: dealerships.filter((d) => d.created).map((d) => d.name),
        normalized: normalize,
        totals: normalize
          ? dealerships.reduce((acc, d) => addCounts(acc, d.normalize ?? emptyCounts()), emptyCounts())
          : null,
        durationMs: 0,
      };
      if (r.rowsRead !== r.rowsImported + r.rowsRejected || run.batcher.rawCopied !== r.rowsImported) {
        // Rule 7 as an invariant: if this ever fails, nothing is committed.
        throw new Error(
          `row accounting does not add up: read ${r.rowsRead}, imported ${r.rowsImported} (copied ${run.batcher.rawCopied}), rejected ${r.rowsRejected}`,
        );
      }
      r.durationMs = Math.round(performance.now() - started);
      await finishImport(tx, importId, {
        files: r.files,
        contentHash,
        rowsRead: r.rowsRead,
        rowsImported: r.rowsImported,
        rowsRejected: r.rowsRejected,
        rejectsFile,
        report: { ...r, rejectSamples: undefined },
      });
      if (dryRun) throw new Rollback(r);
      await run.rejects?.close();
      mkdirSync(tmpDir!, { recursive: true });
      writeFileSync(path.join(tmpDir!, 'report.json'), `${JSON.stringify(r, null, 2)}\n`);
      beforeCommit = r;
      return r;
    });
  } catch (err) {
    rejects?.destroy();
    if (err instanceof CommitOutcomeUnknownError && beforeCommit && tmpDir && finalDir) {
      result = await settleUnknownImportCommit(ctx, beforeCommit, tmpDir, err);
    } else {
      if (tmpDir) rmSync(tmpDir, { recursive: true, force: true });
      if (err instanceof Rollback) {
        err.result.durationMs = Math.round(performance.now() - started);
        return err.result;
      }
      throw err;
    }
  }
  if (tmpDir && finalDir) publishReportFolder(tmpDir, finalDir);
  return result;
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
    file: string,
    line: number,
    reason: RejectReason,
    detail: string,
    fields: readonly string[],
    delimiter: string,
    dealer: DealerState | null,
  ): void {
    this.rejected++;
    this.byReason[reason] = (this.byReason[reason] ?? 0) + 1;
    if (dealer) dealer.rejected++;
    if (this.samples.length < 20) this.samples.push({ file, line, reason, detail: detachString(detail) });
    this.rejects?.add(file, line, reason, detail, fields, delimiter);
  }

  async readFile(
    input: InputSpec,
    fileIndex: number,
    fileCount: number,
    map: Partial<Record<Field, string | null>>,
    stdin: NodeJS.ReadableStream | undefined,
  ): Promise<void> {
    const bytes: AsyncIterable<Buffer> = input.path
      ? createReadStream(input.path, { highWaterMark: 256 * 1024 })
      : ((stdin ?? process.stdin) as AsyncIterable<Buffer>);
    const csv = await openCsvStream(bytes, input.label);
    const plan = planColumns(csv.header, { map, dealershipFixed: this.o.fixed !== null, file: input.label });
    const ix = plan.index;
    const rawIx = RAW_FIELDS.map((f) => ix[f]);
    const vinIx = ix.vin!;
    const dealerIx = ix.dealership;
    const fixedState = this.o.fixed ? this.state(this.o.fixed, false) : null;
    const field = (row: string[], i: number | undefined) => (i === undefined ? null : row[i]!);
    const { importId, currentYear } = this.o;
    const header = csv.header;
    const delimiter = csv.delimiter;
    const label = input.label;
    let read = 0;
    let imported = 0;
    let rejected = 0;
    const fileStart = performance.now();
    const rawValues: (string | null)[] = new Array(RAW_FIELDS.length).fill(null);

    for await (const chunk of csv.chunks) {
      if (this.o.signal?.aborted) throw new CancelledError('import cancelled: nothing was changed');
      const { rows, lines, problems, quoted } = chunk;
      // Cells of a row without quotes in a comma file cannot hold a quote, comma or line break:
      // they go into the COPY text as they are.
      const plain = chunk.plain;
      for (let r = 0; r < rows.length; r++) {
        const row = rows[r]!;
        const line = lines[r]!;
        read++;
        const problem = problems?.[r];
        if (problem !== undefined) {
          this.reject(label, line, 'unparseable_line', problem, row, delimiter, null);
          rejected++;
          continue;
        }
        // The VIN first: a junk row must not create a dealership.
        const vin = normalizeVin(row[vinIx]);
        if (isNotAVin(vin)) {
          if (isHeaderRow(row, header)) {
            this.reject(label, line, 'header_repeated', 'the header row again', row, delimiter, null);
          } else {
            const known = fixedState ?? (dealerIx === undefined ? null : this.knownDealer(row[dealerIx]!));
            const reason = VIN_REJECT[vin.problem!]!;
            this.reject(label, line, reason, vinDetail(vin.problem!, row[vinIx]!), row, delimiter, known);
          }
          rejected++;
          continue;
        }
        let dealer: DealerState;
        if (fixedState) dealer = fixedState;
        else {
          const name = row[dealerIx!]!;
          // Almost every row names a dealership seen before: no promise for those.
          const d = this.byName.get(name) ?? (name.trim() === '' ? 'blank' : await this.dealerFor(name));
          if (d === 'blank') {
            this.reject(label, line, 'no_dealership', 'the dealership cell is blank', row, delimiter, null);
            rejected++;
            continue;
          }
          if (d === null) {
            // Unknown under --strict-dealers: the import fails at the end, listing every such name.
            const n = this.unknown.get(name);
            this.unknown.set(n === undefined ? detachString(name) : name, (n ?? 0) + 1);
            continue;
          }
          dealer = d;
        }
        if (dealer.snapshotId === null) {
          await this.batcher.idle();
          dealer.snapshotId = await insertLoadingSnapshot(this.tx, importId, dealer.id);
        }
        this.batcher.addRaw(
          rawCopyLine(importId, dealer.id, fileIndex, line, row, rawIx, !plain || quoted?.[r] === true),
        );
        dealer.rows++;
        imported++;
        if (dealer.tally) {
          for (let k = 0; k < rawIx.length; k++) rawValues[k] = field(row, rawIx[k]);
          const v = dealer.tally.take(normalizeRow(rawRecord(rawValues), currentYear));
          if (v) this.batcher.addVehicle(vehicleCopyLine(dealer.snapshotId, dealer.id, fileIndex, line, v));
        }
        if (this.batcher.full) await this.batcher.flush();
      }
      if (this.rejects) await this.rejects.flush();
      if (this.o.onProgress) {
        const elapsedMs = performance.now() - fileStart;
        this.o.onProgress({
          file: label,
          fileIndex,
          fileCount,
          rowsRead: read,
          bytesRead: chunk.bytesRead,
          totalBytes: input.size,
          elapsedMs: performance.now() - this.o.started,
          rowsPerSecond: elapsedMs > 0 ? Math.round((read / elapsedMs) * 1000) : 0,
        });
      }
    }
    this.rowsRead += read;
    this.rowsImported += imported;
    this.files.push({
      file: label,
      bytes: input.size ?? 0,
      sha256: csv.sha256(),
      gzip: csv.gzip,
      encoding: csv.encoding,
      delimiter: delimiter === '\t' ? 'tab' : delimiter,
      header,
      columns: plan.used,
      ignoredColumns: plan.shadowed,
      rowsRead: read,
      rowsImported: imported,
      rowsRejected: rejected,
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
