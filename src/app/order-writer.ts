/**
 * The one way an order is written, for CAO and LIST alike (rules 5 and 6):
 *
 *   transaction {
 *     per-dealership advisory lock (rule 6)
 *     plan the order (selection reads the VIN log under the lock)
 *     allocate the order id, stage the folder (files fsynced under <orders>/.staging)
 *     insert the order row, its vehicles and its VIN-log rows
 *   } commit, then publish the folder (rename into place).
 *
 * A failure before the commit discards the staged folder and rolls back: no folder, no rows. A
 * crash after the commit leaves a staged folder whose order exists; `recoverOrders` (run at the
 * start of every order run) publishes it, and discards staged folders whose order never committed.
 *
 * The commit-ambiguity window: a connection that fails while COMMIT is on its way leaves the
 * outcome unknown (the adapters raise CommitOutcomeUnknownError, never "rolled back"). The staged
 * folder is kept and the database asked again (`askOrderCommitted`: a fresh transaction that
 * first takes the order's own advisory lock, held by the writing transaction from id allocation
 * to its end, so the answer cannot come while that COMMIT is still in flight): publish or discard
 * at once, or, with no answer, leave it to the next run's recovery, which asks the same way.
 */
import { existsSync } from 'node:fs';
import { QR_PATH_BASE_FORMS, qrPathsFor, type QrPathsRecord } from '../core/qr-path.js';
import { qrFilePath, type Template } from '../core/templates.js';
import type { DealershipSettings } from '../core/dealership.js';
import type { OrderType, OrderVehicle } from '../core/order.js';
import { selectActiveSnapshotId } from '../db/active-vehicles.js';
import type { Queryable } from '../db/database.js';
import {
  allocateOrderId,
  insertOrder,
  insertOrderVehicles,
  lockDealershipOrders,
  lockOrderId,
  orderCommitted,
  selectOrderByIdempotencyKey,
  type OrderRecord,
} from '../db/orders.js';
import { insertVinLogEntries } from '../db/vinlog.js';
import {
  CommitOutcomeUnknownError,
  ConfigError,
  DatabaseError,
  OutputError,
  SilverfoxError,
} from '../errors.js';
import {
  discardOrder,
  publishOrder,
  stageOrder,
  type StageOrderOptions,
  type StagedOrder,
} from '../output/order-folder.js';
import { recoverStagedOrders, type RecoveryResult } from '../output/order-recovery.js';
import type { AppContext } from './context.js';

/** Test hooks: fail at a precise point of the protocol (crash guarantees are tested with them). */
export interface OrderFaults {
  /** Runs after the folder is staged, before the rows are written and committed. */
  afterStage?: (staged: StagedOrder) => void | Promise<void>;
  /** Runs after the commit, before the folder is published. */
  afterCommit?: (staged: StagedOrder) => void | Promise<void>;
  /** Passed to stageOrder: called before each CSV/billing/summary file (simulates a full disk). */
  beforeWrite?: StageOrderOptions['beforeWrite'];
}

/** What a use case decided to order, computed inside the order transaction. */
export interface OrderPlan {
  vehicles: OrderVehicle[];
  /** Write VIN-log rows for the vehicles (CAO always; LIST per setting or flag). */
  updateVinLog: boolean;
  skipped?: { vin: string; reason: string }[];
  duplicates?: string[];
  extra?: Record<string, unknown>;
  snapshotId: number | null;
}

export interface WriteOrderInput<P extends OrderPlan> {
  dealership: { id: number; name: string; slug: string };
  orderType: OrderType;
  template: Template;
  templateName: string;
  splitNewUsed: boolean;
  /** An order with this key already written makes this run a no-op (LIST batches, scheduled runs). */
  idempotencyKey?: string;
  createdBy?: string;
  /** Computes what to order; runs under the dealership lock, reading through `tx` only. */
  plan: (tx: Queryable) => Promise<P>;
  faults?: OrderFaults;
}

/**
 * The part of an order write that every use case fills the same way: the dealership, the run's
 * template and split setting, and who runs it; the caller adds its plan.
 */
export function orderWriteInput(
  dealership: WriteOrderInput<OrderPlan>['dealership'],
  orderType: OrderType,
  template: Template,
  settings: Pick<DealershipSettings, 'template' | 'split_new_used'>,
  run: Pick<WriteOrderInput<OrderPlan>, 'idempotencyKey' | 'createdBy' | 'faults'>,
): Omit<WriteOrderInput<OrderPlan>, 'plan'> {
  return {
    dealership,
    orderType,
    template,
    templateName: settings.template,
    splitNewUsed: settings.split_new_used,
    idempotencyKey: run.idempotencyKey,
    createdBy: run.createdBy,
    faults: run.faults,
  };
}

export interface WrittenOrder {
  orderId: number;
  folder: string;
  files: StagedOrder['files'];
  summary: StagedOrder['summary'];
  createdAt: Date;
}

export type WriteOrderOutcome<P> =
  | ({ status: 'ordered'; plan: P } & WrittenOrder)
  | { status: 'empty'; plan: P }
  | { status: 'exists'; order: OrderRecord };

/**
 * Runs a plan's reads of the active snapshot between two reads of the dealership's active snapshot
 * id, again until they agree. Each statement sees its own snapshot (READ COMMITTED): an import
 * committing in between would otherwise give an order one snapshot's vehicles and another's id.
 */
export async function readActiveSnapshot<T>(
  tx: Queryable,
  dealershipId: number,
  read: () => Promise<T>,
): Promise<{ snapshotId: number | null; value: T }> {
  for (;;) {
    const before = (await selectActiveSnapshotId(tx, dealershipId)) ?? null;
    const value = await read();
    if (((await selectActiveSnapshotId(tx, dealershipId)) ?? null) === before)
      return { snapshotId: before, value };
  }
}

/**
 * Did order `orderId` commit? Asked in a transaction of its own that first waits (at most
 * `waitMs`) for the order's lock, which the writing transaction holds until it ends: so a COMMIT
 * still in flight on the server is waited for, never raced. null: cannot tell now (the database
 * is unreachable, or the writer's transaction is still open).
 */
export async function askOrderCommitted(
  ctx: AppContext,
  orderId: number,
  waitMs = 10_000,
): Promise<boolean | null> {
  try {
    return await ctx.db.transaction((tx) => orderCommitted(tx, orderId, waitMs));
  } catch {
    return null;
  }
}

/**
 * Publishes staged folders of committed orders and discards the others. Folders a live process is
 * still writing are left alone (stageOrder records the owner's pid, start time and boot id), so
 * running this while another process stages an order is safe; an order whose commit cannot be
 * decided yet stays staged.
 */
export async function recoverOrders(ctx: AppContext): Promise<RecoveryResult> {
  return recoverStagedOrders(ctx.config.ordersDir, (orderId) => askOrderCommitted(ctx, orderId, 5_000));
}

/**
 * The base of the QR paths new orders get: SILVERFOX_QR_PATH_BASE, or else the orders folder of
 * this machine. A folder whose path no Windows or macOS path can hold is a ConfigError, raised
 * before anything is written.
 */
export function orderQrPaths(ctx: AppContext): QrPathsRecord {
  const r = qrPathsFor(ctx.config.qrPathBase, ctx.config.ordersDir);
  if (r.ok) return { ...r.base, source: r.source };
  throw new ConfigError(
    `the orders folder ${ctx.config.ordersDir} cannot be written into the QR paths of the order CSV: ${r.problem}`,
    [
      'Set SILVERFOX_QR_PATH_BASE to how the designers reach the orders folder, or to "relative".',
      QR_PATH_BASE_FORMS,
    ],
  );
}

/** Writes one order per the protocol above. */
export async function writeOrder<P extends OrderPlan>(
  ctx: AppContext,
  input: WriteOrderInput<P>,
): Promise<WriteOrderOutcome<P>> {
  const qrPaths = orderQrPaths(ctx);
  const writing: Writing<P> = {};
  let outcome: WriteOrderOutcome<P>;
  try {
    outcome = await ctx.db.transaction((tx) => orderInTransaction(ctx, tx, input, qrPaths, writing));
  } catch (err) {
    const { staged, beforeCommit } = writing;
    if (staged && beforeCommit && err instanceof CommitOutcomeUnknownError) {
      outcome = await settleUnknownCommit(ctx, staged, beforeCommit, err);
    } else {
      // Not committed: the staged folder must go too (rule 5).
      if (staged) await discardOrder(staged).catch(() => {});
      throw err;
    }
  }
  if (outcome.status === 'ordered' && writing.staged) await publishCommitted(input, writing.staged, outcome);
  return outcome;
}

/** What the transaction got to, for the caller to clean up or settle when it throws. */
interface Writing<P> {
  staged?: StagedOrder;
  /** What the transaction returned before its COMMIT (for a commit whose reply was lost). */
  beforeCommit?: WriteOrderOutcome<P>;
}

/** The transaction of the protocol: lock, plan, allocate, stage, insert the rows. */
async function orderInTransaction<P extends OrderPlan>(
  ctx: AppContext,
  tx: Queryable,
  input: WriteOrderInput<P>,
  qrPaths: QrPathsRecord,
  writing: Writing<P>,
): Promise<WriteOrderOutcome<P>> {
  await lockDealershipOrders(tx, input.dealership.id);
  if (input.idempotencyKey) {
    const existing = await selectOrderByIdempotencyKey(tx, input.idempotencyKey);
    if (existing) return { status: 'exists', order: existing };
  }
  const plan = await input.plan(tx);
  if (plan.vehicles.length === 0) return { status: 'empty', plan };
  const orderId = await allocateOrderId(tx);
  await lockOrderId(tx, orderId);
  const createdAt = ctx.now();
  const staged = await stageOrder(
    {
      ordersDir: ctx.config.ordersDir,
      orderId,
      dealership: { name: input.dealership.name, slug: input.dealership.slug },
      orderType: input.orderType,
      createdAt,
      template: input.template,
      splitNewUsed: input.splitNewUsed,
      vehicles: plan.vehicles,
      skipped: plan.skipped,
      duplicates: plan.duplicates,
      extra: plan.extra,
      qrPaths,
    },
    input.faults?.beforeWrite ? { beforeWrite: input.faults.beforeWrite } : {},
  );
  writing.staged = staged;
  await input.faults?.afterStage?.(staged);
  await insertOrderRows(tx, input, plan, orderId, staged, createdAt);
  writing.beforeCommit = {
    status: 'ordered',
    plan,
    orderId,
    folder: staged.finalDir,
    files: staged.files,
    summary: staged.summary,
    createdAt,
  };
  return writing.beforeCommit;
}

/** The order row, its vehicles (with their QR file when one was written) and its VIN-log rows. */
async function insertOrderRows(
  tx: Queryable,
  input: WriteOrderInput<OrderPlan>,
  plan: OrderPlan,
  orderId: number,
  staged: StagedOrder,
  createdAt: Date,
): Promise<void> {
  const d = input.dealership;
  const files = new Set(staged.files.map((f) => f.path));
  await insertOrder(tx, {
    id: orderId,
    dealershipId: d.id,
    orderType: input.orderType,
    template: input.templateName,
    folder: staged.finalDir,
    vehicleCount: plan.vehicles.length,
    snapshotId: plan.snapshotId,
    idempotencyKey: input.idempotencyKey ?? null,
    summary: staged.summary,
    createdBy: input.createdBy ?? null,
    createdAt,
  });
  await insertOrderVehicles(
    tx,
    orderId,
    plan.vehicles.map((v, i) => {
      const qr = qrFilePath(v.vin);
      return { ...v, position: i + 1, qrFile: files.has(qr) ? qr : null };
    }),
  );
  if (!plan.updateVinLog) return;
  await insertVinLogEntries(
    tx,
    d.id,
    plan.vehicles.map((v) => ({
      vin: v.vin,
      condition: v.condition,
      orderType: input.orderType,
      orderId,
      orderRef: null,
      processedAt: createdAt,
    })),
  );
}

/** Renames a committed order's staged folder into place; a failure says where the folder waits. */
async function publishCommitted(
  input: WriteOrderInput<OrderPlan>,
  committed: StagedOrder,
  outcome: { orderId: number },
): Promise<void> {
  try {
    await input.faults?.afterCommit?.(committed);
    await publishOrder(committed);
  } catch (err) {
    // A recovery in another process may have published it already; then all is well.
    if (existsSync(committed.finalDir) && !existsSync(committed.stagingDir)) return;
    throw new OutputError(
      `order #${outcome.orderId} is committed but its folder could not be moved into place: ${(err as Error).message}`,
      {
        cause: err,
        hints: [
          `The complete folder is staged in ${committed.stagingDir}.`,
          'The next order run (or `silverfox orders show ' +
            outcome.orderId +
            '`) publishes it once the cause is fixed.',
          ...(err instanceof SilverfoxError ? err.hints : []),
        ],
      },
    );
  }
}

/**
 * The COMMIT of an order was sent and its reply lost (the connection dropped): the order may
 * exist. The staged folder is kept and the database asked (a fresh connection, after the
 * order's lock is free, i.e. after the server has finished that transaction either way):
 * committed -> the outcome stands and the folder is published by the caller; not committed ->
 * the folder is discarded and the run fails as rolled back; no answer -> the folder stays staged
 * for the next run's recovery, and the error says so.
 */
async function settleUnknownCommit<P>(
  ctx: AppContext,
  staged: StagedOrder,
  planned: WriteOrderOutcome<P>,
  err: CommitOutcomeUnknownError,
): Promise<WriteOrderOutcome<P>> {
  const id = staged.summary.id;
  let committed = await askOrderCommitted(ctx, id);
  if (committed === null) {
    await new Promise((r) => setTimeout(r, 1000));
    committed = await askOrderCommitted(ctx, id);
  }
  if (committed === true) return planned;
  if (committed === false) {
    await discardOrder(staged).catch(() => {});
    throw new DatabaseError(
      `order #${id} was not committed: the connection failed during COMMIT and the database, asked again, has no such order`,
      {
        code: 'database_unreachable',
        cause: err,
        hints: ['Its staged folder was discarded: nothing was written. Run the command again.'],
      },
    );
  }
  throw new CommitOutcomeUnknownError(
    `order #${id}: the database connection failed during COMMIT and the database cannot be asked now, so whether the order was committed is unknown`,
    {
      cause: err,
      hints: [
        `Its complete folder is kept, staged in ${staged.stagingDir}.`,
        `The next \`silverfox cao\`, \`silverfox list\` or \`silverfox orders show ${id}\` asks the database: it publishes the folder to ${staged.finalDir} if order #${id} was committed, and discards it otherwise.`,
        'Check that the database is reachable before running again.',
      ],
    },
  );
}
