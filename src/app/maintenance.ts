/**
 * Maintenance use cases:
 * - `orders archive`: zip order folders older than a cutoff into `<ordersDir>/archive/`, verify the
 *   zip by reading it back, record `orders.archive_path`, then remove the folder. The order rows,
 *   vehicles and VIN log stay. Each step is safe to repeat: a run interrupted after the row was
 *   marked removes the folder next time.
 * - `db prune`: drop the raw and normalized rows of archived snapshots beyond the newest N per
 *   dealership. The snapshot rows (history) and the active snapshot are never touched.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { unzipSync, zipSync, type Zippable } from 'fflate';
import {
  deleteSnapshotRawRows,
  deleteSnapshotVehicles,
  lockSnapshotsForPrune,
  measureSnapshotRows,
  selectOrdersToArchive,
  selectSnapshotsToPrune,
  selectSnapshotTablesSize,
  setOrderArchivePath,
  vacuumSnapshotTables,
} from '../db/maintenance.js';
import { OutputError, UsageError } from '../errors.js';
import { replaceFileDurableSync } from '../durable-fs.js';
import type { AppContext } from './context.js';

export interface ArchiveOptions {
  /** Orders created more than this many ms before now. */
  olderThanMs: number;
  dryRun?: boolean;
  onProgress?: (message: string) => void;
}

export interface ArchivedOrder {
  orderId: number;
  dealership: string;
  folder: string;
  archivePath: string | null;
  files: number;
  bytes: number;
  zipBytes: number;
  /** archived; finished (folder of an already archived order removed); missing (folder gone, nothing to zip). */
  outcome: 'archived' | 'would_archive' | 'finished' | 'missing';
}

export interface ArchiveResult {
  cutoff: string;
  dryRun: boolean;
  archiveDir: string;
  orders: ArchivedOrder[];
  counts: {
    archived: number;
    finished: number;
    missing: number;
    files: number;
    bytes: number;
    zipBytes: number;
  };
}

/** Files that are already compressed gain nothing from deflate. */
const STORED = /\.(png|jpe?g|gif|pdf|zip|gz)$/i;

function walk(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...walk(dir, r));
    else if (e.isFile()) out.push(r);
  }
  return out.sort();
}

/** Zips `folder` (entries under its own name) into `zipFile`, verified by reading it back. */
function zipFolder(folder: string, zipFile: string): { files: number; bytes: number; zipBytes: number } {
  const root = path.basename(folder);
  const names = walk(folder);
  const tree: Zippable = {};
  const originals = new Map<string, Uint8Array>();
  let bytes = 0;
  for (const n of names) {
    const full = path.join(folder, n);
    const data = new Uint8Array(readFileSync(full));
    bytes += data.length;
    originals.set(`${root}/${n}`, data);
    tree[`${root}/${n}`] = [data, { level: STORED.test(n) ? 0 : 6, mtime: statSync(full).mtime }];
  }
  const zipped = zipSync(tree);
  replaceFileDurableSync(zipFile, zipped);
  const back = unzipSync(new Uint8Array(readFileSync(zipFile)));
  const entries = Object.keys(back).filter((k) => !k.endsWith('/'));
  if (
    entries.length !== originals.size ||
    entries.some((k) => Buffer.compare(back[k]!, originals.get(k) ?? new Uint8Array()) !== 0)
  ) {
    throw new OutputError(`the archive ${zipFile} does not read back the same as ${folder}`, {
      hints: ['The folder was left in place. Check the disk (`silverfox doctor`) and run the archive again.'],
    });
  }
  return { files: names.length, bytes, zipBytes: zipped.length };
}

function resolveFolder(ordersDir: string, folder: string): string {
  return path.isAbsolute(folder) ? folder : path.resolve(ordersDir, folder);
}

/** Zips order folders older than the cutoff and marks their rows; see the module comment. */
export async function archiveOrders(ctx: AppContext, opts: ArchiveOptions): Promise<ArchiveResult> {
  if (!(opts.olderThanMs > 0)) throw new UsageError('--older-than must be a positive duration such as 30d');
  const cutoff = new Date(ctx.now().getTime() - opts.olderThanMs);
  const archiveDir = path.join(ctx.config.ordersDir, 'archive');
  const orders: ArchivedOrder[] = [];
  for (const o of await selectOrdersToArchive(ctx.db, cutoff)) {
    const folder = resolveFolder(ctx.config.ordersDir, o.folder);
    const base = { orderId: o.id, dealership: o.dealershipName, folder, files: 0, bytes: 0, zipBytes: 0 };
    if (o.archivePath) {
      // Archived before; finish a run that stopped between marking the row and removing the folder.
      if (existsSync(folder) && existsSync(o.archivePath)) {
        if (!opts.dryRun) rmSync(folder, { recursive: true, force: true });
        orders.push({ ...base, archivePath: o.archivePath, outcome: 'finished' });
      }
      continue;
    }
    if (!existsSync(folder)) {
      orders.push({ ...base, archivePath: null, outcome: 'missing' });
      continue;
    }
    const zipFile = path.join(archiveDir, `${path.basename(folder)}.zip`);
    if (opts.dryRun) {
      const names = walk(folder);
      const bytes = names.reduce((s, n) => s + statSync(path.join(folder, n)).size, 0);
      orders.push({ ...base, archivePath: zipFile, files: names.length, bytes, outcome: 'would_archive' });
      continue;
    }
    opts.onProgress?.(`archiving order #${o.id} (${o.dealershipName}) to ${zipFile}`);
    mkdirSync(archiveDir, { recursive: true });
    let z: { files: number; bytes: number; zipBytes: number };
    try {
      z = zipFolder(folder, zipFile);
    } catch (err) {
      if (err instanceof OutputError) throw err;
      throw new OutputError(`cannot archive order #${o.id} from ${folder}: ${(err as Error).message}`, {
        cause: err,
        hints: ['Its folder was left in place and its row unchanged. Check the disk (`silverfox doctor`).'],
      });
    }
    // The row is marked before the folder goes: a crash in between is finished by the next run.
    const marked = await setOrderArchivePath(ctx.db, o.id, zipFile);
    if (marked) rmSync(folder, { recursive: true, force: true });
    orders.push({ ...base, archivePath: zipFile, ...z, outcome: marked ? 'archived' : 'finished' });
  }
  const sum = (k: 'files' | 'bytes' | 'zipBytes') => orders.reduce((s, o) => s + o[k], 0);
  return {
    cutoff: cutoff.toISOString(),
    dryRun: Boolean(opts.dryRun),
    archiveDir,
    orders,
    counts: {
      archived: orders.filter((o) => o.outcome === 'archived' || o.outcome === 'would_archive').length,
      finished: orders.filter((o) => o.outcome === 'finished').length,
      missing: orders.filter((o) => o.outcome === 'missing').length,
      files: sum('files'),
      bytes: sum('bytes'),
      zipBytes: sum('zipBytes'),
    },
  };
}

export interface PruneOptions {
  /** Archived snapshots kept per dealership besides the active one. */
  keepSnapshots: number;
  dryRun?: boolean;
}

export interface PrunedDealership {
  dealership: string;
  snapshots: number;
  vehicleRows: number;
  rawRows: number;
  bytes: number;
}

export interface PruneResult {
  keepSnapshots: number;
  dryRun: boolean;
  dealerships: PrunedDealership[];
  counts: { snapshots: number; vehicleRows: number; rawRows: number; bytes: number };
  /** On-disk size of vehicles + raw_vehicles (with indexes) before and after. */
  tableBytesBefore: number;
  tableBytesAfter: number;
}

/** Drops the rows of archived snapshots beyond the newest N per dealership, in one transaction. */
export async function pruneSnapshots(ctx: AppContext, opts: PruneOptions): Promise<PruneResult> {
  if (!Number.isInteger(opts.keepSnapshots) || opts.keepSnapshots < 0) {
    throw new UsageError(`--keep-snapshots must be a whole number 0 or more (got ${opts.keepSnapshots})`, [
      'It counts archived snapshots kept per dealership; the active one is always kept.',
    ]);
  }
  const tableBytesBefore = await selectSnapshotTablesSize(ctx.db);
  const per = new Map<string, PrunedDealership>();
  await ctx.db.transaction(async (tx) => {
    const candidates = await selectSnapshotsToPrune(tx, opts.keepSnapshots);
    const ids = await lockSnapshotsForPrune(
      tx,
      candidates.map((c) => c.id),
    );
    const locked = new Set(ids);
    for (const c of candidates.filter((s) => locked.has(s.id))) {
      const one = [c.id];
      const { vehicles, raw } = opts.dryRun
        ? await measureSnapshotRows(tx, one)
        : { vehicles: await deleteSnapshotVehicles(tx, one), raw: await deleteSnapshotRawRows(tx, one) };
      if (vehicles.rows === 0 && raw.rows === 0) continue; // pruned before
      const d = per.get(c.dealershipName) ?? {
        dealership: c.dealershipName,
        snapshots: 0,
        vehicleRows: 0,
        rawRows: 0,
        bytes: 0,
      };
      d.snapshots++;
      d.vehicleRows += vehicles.rows;
      d.rawRows += raw.rows;
      d.bytes += vehicles.bytes + raw.bytes;
      per.set(c.dealershipName, d);
    }
  });
  const dealerships = [...per.values()];
  if (!opts.dryRun && dealerships.length > 0) await vacuumSnapshotTables(ctx.db);
  const sum = (k: 'snapshots' | 'vehicleRows' | 'rawRows' | 'bytes') =>
    dealerships.reduce((s, d) => s + d[k], 0);
  return {
    keepSnapshots: opts.keepSnapshots,
    dryRun: Boolean(opts.dryRun),
    dealerships,
    counts: {
      snapshots: sum('snapshots'),
      vehicleRows: sum('vehicleRows'),
      rawRows: sum('rawRows'),
      bytes: sum('bytes'),
    },
    tableBytesBefore,
    tableBytesAfter: await selectSnapshotTablesSize(ctx.db),
  };
}
