/**
 * The order folder, the contract with the design team (DESIGN.md "Order folder"), written all or
 * nothing (rule 5):
 *
 *   stageOrder    writes every file, fsynced, into `<ordersDir>/.staging/<folder>`; nothing
 *                 appears in ordersDir itself. Any failure removes what it wrote.
 *   (the caller)  inserts the order row and VIN-log rows and COMMITs.
 *   publishOrder  renames the staged folder to `<ordersDir>/<folder>` (atomic on one file system).
 *
 * A crash between COMMIT and rename leaves a complete staged folder whose order id is committed:
 * `recoverStagedOrders` (order-recovery.ts) publishes it. A staged folder whose id never committed
 * is discarded. `verifyOrderFolder` (order-verify.ts) re-hashes a published folder. This module is
 * the staging; the helpers it exports for those two are marked so.
 *
 * Folder names: `<slug>_<cao|list>_<YYYYMMDD-HHMMSS>` (local time), `_2`, `_3`... when that name
 * is taken (two orders of one dealership in one second). A name is reserved by creating
 * `.staging/<folder>.owner.json` exclusively (pid, process start time, boot id, host, order id;
 * see process-identity.ts); it goes away after publish or discard, and tells recovery to leave
 * alone a folder whose writer is still running. A pid alone would not do: in a container the
 * next run may get the dead writer's pid. An owner older than a day counts as crashed anyway.
 * Recovery asks `isCommitted` for the others; null (cannot tell yet) leaves the folder staged.
 * Every name comes from the dealership slug (core `slugify`) and is checked to resolve inside
 * ordersDir, so no dealership name can write elsewhere.
 */
import path from 'node:path';
import { mkdir, readFile, rename, rm, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { slugify, type Condition } from '../core/dealership.js';
import type { OrderType, OrderVehicle } from '../core/order.js';
import { qrCellPath, RELATIVE_QR_PATHS, type QrPathsRecord } from '../core/qr-path.js';
import {
  billingFileName,
  conditionLabel,
  orderCsvFileName,
  orderFolderName,
  ORDER_SUMMARY_FILE,
  QR_DIR,
  qrContent,
  qrFilePath,
  renderRows,
  splitNewUsed,
  type Template,
} from '../core/templates.js';
import { OutputError, SilverfoxError, InputError } from '../errors.js';
import { countByCondition, formatBillingCsv } from './billing.js';
import { formatCsv } from './csv.js';
import { fsyncDirSync, writeFileDurable } from '../durable-fs.js';
import { generateQrCodes } from './qr-pool.js';
import { currentProcessIdentity, type ProcessIdentity } from '../process-identity.js';

/** The hidden folder inside ordersDir where orders are staged before the rename. */
export const STAGING_DIR = '.staging';
/** Beside each staged folder: `<folder>.owner.json`, its writer (see `Owner`). */
export const OWNER_SUFFIX = '.owner.json';
/** (order-recovery) An owner this old counts as crashed whatever its pid. */
export const STALE_OWNER_MS = 24 * 3600_000;

export interface StageOrderInput {
  ordersDir: string;
  /** Allocated by the caller from the database before staging. */
  orderId: number;
  dealership: { name: string; slug: string };
  orderType: OrderType;
  createdAt: Date;
  /** From core `resolveTemplate`. */
  template: Template;
  splitNewUsed: boolean;
  /** The ordered vehicles, in order. */
  vehicles: OrderVehicle[];
  /** Vehicles not ordered and why, for order_summary.json. */
  skipped?: { vin: string; reason: string }[];
  /** Entries removed as duplicates (LIST), for billing. */
  duplicates?: string[];
  /** Merged into order_summary.json (e.g. the filters applied); may not reuse a summary field. */
  extra?: Record<string, unknown>;
  /** The base of the QR paths in the `@` cells (core qr-path); default relative (`qr_codes/<VIN>.png`). */
  qrPaths?: QrPathsRecord;
  /** Exactly this folder name instead of a fresh one (`orders repair` rebuilds a recorded folder). */
  folderName?: string;
}

export interface StageOrderOptions {
  /** QR worker threads (default: one per core, at most 4). */
  concurrency?: number;
  /** fsync files and folders (default true). Only benchmarks turn it off. */
  fsync?: boolean;
  /**
   * Called before each file the calling thread writes (CSVs, billing, summary), with its path
   * relative to the order folder. Tests throw from it to simulate ENOSPC or a read-only disk.
   */
  beforeWrite?: (relativePath: string) => void | Promise<void>;
}

/** One file of an order folder as order_summary.json records it. */
export interface OrderFile {
  path: string;
  sha256: string;
  bytes: number;
}

/** order_summary.json: snake_case, it is a file format read by people and other tools. */
export interface OrderSummary {
  format: 1;
  id: number;
  type: OrderType;
  dealership: { name: string; slug: string };
  created_at: string;
  folder: string;
  template: string;
  split_new_used: boolean;
  counts: {
    vehicles: number;
    qr_codes: number;
    by_condition: Record<Condition, number>;
    by_reason: Record<string, number>;
    skipped: number;
    duplicates: number;
    not_on_website: number;
  };
  csv_files: { file: string; part: 'NEW' | 'USED' | null; rows: number }[];
  /** The base of the `@` cells (absent in orders written before it existed: relative). */
  qr_paths?: QrPathsRecord;
  vehicles: {
    vin: string;
    stock: string | null;
    year: number | null;
    make: string | null;
    model: string | null;
    condition: Condition;
    label: string;
    reason: string;
    not_on_website: boolean;
    csv_file: string;
    qr_file: string;
    qr_content: string;
  }[];
  skipped: { vin: string; reason: string }[];
  duplicates: string[];
  /** Every other file of the folder (not order_summary.json itself), sorted by path. */
  files: OrderFile[];
  [extra: string]: unknown;
}

/**
 * The fields buildSummary writes itself: any other field of a recorded summary (such as
 * `repaired_at`) is an extra that a rebuilt folder carries over. Typed against OrderSummary so a
 * field added there and forgotten here fails to compile.
 */
type OwnField = keyof { [K in keyof OrderSummary as string extends K ? never : K]: true };
const OWN_FIELDS: Record<OwnField, true> = {
  format: true,
  id: true,
  type: true,
  dealership: true,
  created_at: true,
  folder: true,
  template: true,
  split_new_used: true,
  counts: true,
  csv_files: true,
  qr_paths: true,
  vehicles: true,
  skipped: true,
  duplicates: true,
  files: true,
};
export const ORDER_SUMMARY_FIELDS: ReadonlySet<string> = new Set(Object.keys(OWN_FIELDS));

export interface StagedOrder {
  folderName: string;
  stagingDir: string;
  finalDir: string;
  files: OrderFile[];
  summary: OrderSummary;
}

/** The owner file of a staged folder: the writer's identity (pid, start time, boot id), its order. */
export interface Owner extends ProcessIdentity {
  order_id: number;
  started_at: string;
}

/** (order-recovery, order-verify) The errno code of a file-system error. */
export const errnoOf = (err: unknown) => (err as NodeJS.ErrnoException | undefined)?.code;

/** A file-system failure as an OutputError that says what to do; silverfox errors pass through. */
export function outputError(err: unknown, ordersDir: string): SilverfoxError {
  if (err instanceof SilverfoxError) return err;
  const code = errnoOf(err);
  const where = (err as NodeJS.ErrnoException | undefined)?.path ?? ordersDir;
  const elsewhere = 'or set SILVERFOX_ORDERS_DIR to another folder';
  const nothing = 'Nothing was written: the order was not created.';
  const opts = (hint: string) => ({ hints: [hint, nothing], cause: err });
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new OutputError(
        `no space left writing the order folder in ${ordersDir}`,
        opts(`Free space on that disk, ${elsewhere}.`),
      );
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new OutputError(
        `the orders folder ${ordersDir} is not writable (${code} on ${where})`,
        opts(`Make it writable for this user, ${elsewhere}.`),
      );
    case 'ENOENT':
    case 'ENOTDIR':
      return new OutputError(
        `the orders folder ${ordersDir} is not a usable folder (${code} on ${where})`,
        opts(`Create it (mkdir -p), ${elsewhere}.`),
      );
    default:
      return new OutputError(
        `cannot write the order folder in ${ordersDir}: ${(err as Error)?.message ?? String(err)}`,
        opts(`Check the disk and the folder, ${elsewhere}.`),
      );
  }
}

/** Throws unless `p` is `dir` itself or inside it. */
export function assertInside(dir: string, p: string): void {
  const rel = path.relative(dir, p);
  if (rel.startsWith('..') || path.isAbsolute(rel))
    throw new OutputError(`refusing to write ${p}: it is outside the orders folder ${dir}`);
}

/** (order-recovery) Whether `p` exists. */
export async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return false;
    throw err;
  }
}

/** Makes sure ordersDir is a folder: created when missing and its parent exists. */
async function ensureOrdersDir(ordersDir: string, created: string[]): Promise<void> {
  try {
    const st = await stat(ordersDir);
    if (!st.isDirectory())
      throw new OutputError(`the orders folder ${ordersDir} is a file, not a folder`, {
        hints: ['Move the file away, or set SILVERFOX_ORDERS_DIR to a folder.'],
      });
    return;
  } catch (err) {
    if (errnoOf(err) !== 'ENOENT' && errnoOf(err) !== 'ENOTDIR') throw err;
  }
  const parent = path.dirname(ordersDir);
  const parentStat = await stat(parent).catch(() => null);
  if (!parentStat?.isDirectory())
    throw new OutputError(
      parentStat
        ? `the orders folder ${ordersDir} cannot be created: ${parent} is a file`
        : `the orders folder ${ordersDir} does not exist, nor does ${parent}`,
      { hints: [`Create it (mkdir -p ${ordersDir}), or set SILVERFOX_ORDERS_DIR to an existing folder.`] },
    );
  try {
    await mkdir(ordersDir);
    created.push(ordersDir);
  } catch (err) {
    if (errnoOf(err) !== 'EEXIST') throw err;
  }
}

const SAFE_VIN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** Checks what becomes file names: the slug, and VINs (unique, ignoring case: macOS ignores it). */
function validateInput(input: StageOrderInput): string {
  const slug = slugify(input.dealership.slug);
  if (!slug) throw new InputError(`dealership "${input.dealership.name}" has an empty slug`);
  if (
    input.folderName !== undefined &&
    (path.basename(input.folderName) !== input.folderName || /^\.|^$/.test(input.folderName))
  )
    throw new InputError(`"${input.folderName}" is not an order folder name`);
  if (!Number.isSafeInteger(input.orderId) || input.orderId <= 0)
    throw new InputError(`order id ${input.orderId} is not a positive integer`);
  const bad: string[] = [];
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const v of input.vehicles) {
    const vin = v.vin.trim();
    if (!SAFE_VIN.test(vin)) bad.push(JSON.stringify(v.vin));
    const key = vin.toUpperCase();
    if (seen.has(key)) twice.add(key);
    seen.add(key);
  }
  if (bad.length > 0)
    throw new InputError(`cannot name QR files after these VINs: ${bad.slice(0, 5).join(', ')}`, {
      hints: ['A VIN of an order is letters, digits, - and _ (at most 64).'],
    });
  if (twice.size > 0)
    throw new InputError(`the same VIN is twice in one order: ${[...twice].slice(0, 5).join(', ')}`, {
      hints: ['Each QR code is named by VIN: de-duplicate the vehicles before staging the order.'],
    });
  return slug;
}

/** Reserves a free folder name (see the module comment) and returns it with its owner file. */
async function reserveFolderName(
  ordersDir: string,
  stagingRoot: string,
  base: string,
  owner: Owner,
  exact = false,
): Promise<{ folderName: string; ownerFile: string }> {
  const taken = () =>
    new OutputError(`cannot rebuild the order folder ${base}: that name is taken in ${ordersDir}`, {
      hints: ['Move the folder (or its staged copy in .staging) away, then run the command again.'],
    });
  for (let n = 1; n <= 1000; n++) {
    if (exact && n > 1) throw taken();
    const folderName = n === 1 ? base : `${base}_${n}`;
    const ownerFile = path.join(stagingRoot, folderName + OWNER_SUFFIX);
    try {
      await writeFile(ownerFile, JSON.stringify(owner), { flag: 'wx' });
    } catch (err) {
      if (errnoOf(err) === 'EEXIST') continue;
      if (errnoOf(err) !== 'ENOENT') throw err;
      // A publish in another process removed the empty staging folder in between: recreate it.
      await mkdir(stagingRoot, { recursive: true });
      n--;
      continue;
    }
    // The rename of a published folder happens before its owner file goes, so a name that is
    // free in .staging but present in ordersDir was published: take the next one.
    if (await exists(path.join(ordersDir, folderName))) {
      await unlink(ownerFile);
      if (exact) throw taken();
      continue;
    }
    return { folderName, ownerFile };
  }
  throw new OutputError(`no free order folder name for ${base} in ${ordersDir} after 1000 tries`);
}

/** Removes the staging folder's parent when nothing else is staged in it. */
export async function removeStagingRootIfEmpty(stagingRoot: string): Promise<void> {
  await rmdir(stagingRoot).catch(() => {});
}

function buildSummary(
  input: StageOrderInput,
  slug: string,
  folderName: string,
  csvFiles: OrderSummary['csv_files'],
  csvOf: Map<OrderVehicle, string>,
  files: OrderFile[],
): OrderSummary {
  const byReason: Record<string, number> = {};
  for (const v of input.vehicles) byReason[v.reason] = (byReason[v.reason] ?? 0) + 1;
  const summary: OrderSummary = {
    format: 1,
    id: input.orderId,
    type: input.orderType,
    dealership: { name: input.dealership.name, slug },
    created_at: input.createdAt.toISOString(),
    folder: folderName,
    template: input.template.name,
    split_new_used: input.splitNewUsed,
    counts: {
      vehicles: input.vehicles.length,
      qr_codes: input.vehicles.length,
      by_condition: countByCondition(input.vehicles),
      by_reason: byReason,
      skipped: input.skipped?.length ?? 0,
      duplicates: input.duplicates?.length ?? 0,
      not_on_website: input.vehicles.filter((v) => v.notOnWebsite).length,
    },
    csv_files: csvFiles,
    qr_paths: input.qrPaths ?? { ...RELATIVE_QR_PATHS, source: 'setting' },
    vehicles: input.vehicles.map((v) => ({
      vin: v.vin.trim(),
      stock: v.stock,
      year: v.year,
      make: v.make,
      model: v.model,
      condition: v.condition,
      label: conditionLabel(v.condition),
      reason: v.reason,
      not_on_website: v.notOnWebsite,
      csv_file: csvOf.get(v)!,
      qr_file: qrFilePath(v.vin),
      qr_content: qrContent(v),
    })),
    skipped: input.skipped ?? [],
    duplicates: input.duplicates ?? [],
    files,
  };
  for (const [key, value] of Object.entries(input.extra ?? {})) {
    if (key in summary)
      throw new Error(`order_summary.json extra field "${key}" would replace a summary field`);
    summary[key] = value;
  }
  return summary;
}

/**
 * Writes the complete order folder into `<ordersDir>/.staging/<folder>`, every file and folder
 * fsynced, and returns where it is with the SHA-256 of every file. On any failure everything it
 * created is removed and an OutputError (or InputError for bad vehicles) is thrown.
 */
export async function stageOrder(input: StageOrderInput, opts: StageOrderOptions = {}): Promise<StagedOrder> {
  const slug = validateInput(input);
  const ordersDir = path.resolve(input.ordersDir);
  const fsync = opts.fsync ?? true;
  const created: string[] = [];
  let ownerFile: string | null = null;
  let stagingDir: string | null = null;
  const stagingRoot = path.join(ordersDir, STAGING_DIR);
  try {
    await ensureOrdersDir(ordersDir, created);
    // Not { recursive: true }: on a read-only file system Node reports that as ENOENT, not EROFS.
    await mkdir(stagingRoot).catch((err: unknown) => {
      if (errnoOf(err) !== 'EEXIST') throw err;
    });
    const owner: Owner = {
      ...currentProcessIdentity(),
      order_id: input.orderId,
      started_at: new Date().toISOString(),
    };
    const base = input.folderName ?? orderFolderName(slug, input.orderType, input.createdAt);
    const reserved = await reserveFolderName(ordersDir, stagingRoot, base, owner, !!input.folderName);
    ownerFile = reserved.ownerFile;
    const folderName = reserved.folderName;
    const dir = path.join(stagingRoot, folderName);
    assertInside(ordersDir, dir);
    assertInside(ordersDir, path.join(ordersDir, folderName));
    await mkdir(dir);
    stagingDir = dir;
    await mkdir(path.join(dir, QR_DIR));

    const files: OrderFile[] = [];
    const write = async (rel: string, text: string) => {
      const file = path.join(dir, rel);
      assertInside(dir, file);
      await opts.beforeWrite?.(rel);
      const written = await writeFileDurable(file, Buffer.from(text, 'ascii'), { fsync });
      files.push({ path: rel, ...written });
    };

    // QR codes first: the bulk of the work, on the worker pool.
    const qrFiles = input.vehicles.map((v) => qrFilePath(v.vin));
    const qr = await generateQrCodes(
      input.vehicles.map((v, i) => ({ text: qrContent(v), file: path.join(dir, qrFiles[i]!) })),
      { workers: opts.concurrency, fsync },
    );
    qr.forEach((w, i) => files.push({ path: qrFiles[i]!, ...w }));

    // The order CSV(s): one, or NEW and USED (a part with no vehicle gets no file).
    const csvFiles: OrderSummary['csv_files'] = [];
    const csvOf = new Map<OrderVehicle, string>();
    const qrCell = (v: OrderVehicle) => qrCellPath(input.qrPaths ?? RELATIVE_QR_PATHS, folderName, v.vin);
    const parts: [('NEW' | 'USED') | null, OrderVehicle[]][] = input.splitNewUsed
      ? Object.entries(splitNewUsed(input.vehicles)).map(([p, vs]) => [p as 'NEW' | 'USED', vs])
      : [[null, input.vehicles]];
    for (const [part, vehicles] of parts) {
      if (part && vehicles.length === 0) continue;
      const name = orderCsvFileName(slug, input.template.name, part ?? undefined);
      const { header, rows } = renderRows(input.template, vehicles, qrCell, {
        dealership: input.dealership.name,
      });
      await write(name, formatCsv(header, rows));
      csvFiles.push({ file: name, part, rows: rows.length });
      for (const v of vehicles) csvOf.set(v, name);
    }

    await write(
      billingFileName(slug),
      formatBillingCsv({
        orderId: input.orderId,
        orderType: input.orderType,
        dealershipName: input.dealership.name,
        createdAt: input.createdAt,
        templateName: input.template.name,
        vehicles: input.vehicles,
        duplicates: input.duplicates ?? [],
      }),
    );

    files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const summary = buildSummary(input, slug, folderName, csvFiles, csvOf, files);
    // Written last: a staged folder with a readable summary is complete (recovery relies on it).
    await opts.beforeWrite?.(ORDER_SUMMARY_FILE);
    await writeFileDurable(
      path.join(dir, ORDER_SUMMARY_FILE),
      Buffer.from(JSON.stringify(summary, null, 2) + '\n'),
      {
        fsync,
      },
    );
    if (fsync) {
      fsyncDirSync(path.join(dir, QR_DIR));
      fsyncDirSync(dir);
      fsyncDirSync(stagingRoot);
    }
    return { folderName, stagingDir: dir, finalDir: path.join(ordersDir, folderName), files, summary };
  } catch (err) {
    if (stagingDir) await rm(stagingDir, { recursive: true, force: true }).catch(() => {});
    if (ownerFile) await unlink(ownerFile).catch(() => {});
    await removeStagingRootIfEmpty(stagingRoot);
    for (const d of created.reverse()) await rmdir(d).catch(() => {});
    throw outputError(err, ordersDir);
  }
}

/**
 * Renames the staged folder into ordersDir and returns the final folder. Called after the order
 * row committed; if recovery already published it (a second process), that is not an error.
 */
export async function publishOrder(staged: StagedOrder): Promise<string> {
  const stagingRoot = path.dirname(staged.stagingDir);
  const ordersDir = path.dirname(stagingRoot);
  try {
    // A recovery in another process got here first: the folder is where it belongs.
    if (!(await exists(staged.stagingDir)) && (await summaryId(staged.finalDir)) === staged.summary.id)
      return staged.finalDir;
    if (await exists(staged.finalDir))
      throw new OutputError(`cannot publish order ${staged.summary.id}: ${staged.finalDir} exists already`, {
        hints: [`The staged order stays in ${staged.stagingDir}; move it into place by hand.`],
      });
    await rename(staged.stagingDir, staged.finalDir);
  } catch (err) {
    throw outputError(err, ordersDir);
  }
  try {
    fsyncDirSync(ordersDir);
    fsyncDirSync(stagingRoot);
  } catch {
    // The rename is done; a failed flush of the folder entry is not worth failing the order for.
  }
  await unlink(staged.stagingDir + OWNER_SUFFIX).catch(() => {});
  await removeStagingRootIfEmpty(stagingRoot);
  return staged.finalDir;
}

/** Removes a staged order that will not be committed (the transaction failed or was cancelled). */
export async function discardOrder(staged: StagedOrder): Promise<void> {
  const stagingRoot = path.dirname(staged.stagingDir);
  await rm(staged.stagingDir, { recursive: true, force: true });
  await unlink(staged.stagingDir + OWNER_SUFFIX).catch(() => {});
  await removeStagingRootIfEmpty(stagingRoot);
}

/** The order_summary.json of a folder (null when missing, unreadable or not one). */
export async function readSummary(dir: string): Promise<OrderSummary | null> {
  try {
    const s = JSON.parse(await readFile(path.join(dir, ORDER_SUMMARY_FILE), 'utf8')) as OrderSummary;
    return Number.isSafeInteger(s?.id) && Array.isArray(s.files) ? s : null;
  } catch {
    return null;
  }
}

/** The order id an order folder's summary records. */
export async function summaryId(dir: string): Promise<number | null> {
  return (await readSummary(dir))?.id ?? null;
}
