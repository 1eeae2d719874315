/**
 * The CAO screens: today's queue first; then dealerships chosen by typing, the vehicles to order
 * with their reasons (a dry run of runCao), a checkbox to leave some out, the manual data editor
 * (fields changed for this order's files only), confirmation, progress, and the folder.
 */
import type { CaoDealershipResult, CaoPreview, VehicleOverrides } from '../../app/cao.js';
import type { AppContext } from '../../app/context.js';
import type { Dealership } from '../../app/dealers.js';
import type { QueueItem } from '../../app/queue.js';
import { cleanText, normalizeStock, parsePrice, parseYear } from '../../core/normalize.js';
import { formatPrice } from '../../core/templates.js';
import { ExitCode } from '../../errors.js';
import { caoLine, cut, partialExit, VEHICLE_NAME_WIDTH, vehicleName, vehicleTable } from '../order-tables.js';
import type { CommandEnv } from '../run.js';
import type { Choice, Wizard } from './ui.js';

type ToOrder = CaoPreview['toOrder'][number];

/** Up to this many vehicles are also printed as a table before the checkbox list. */
const SHORT_LIST = 15;

/** The fields the manual data editor offers, with how a typed value becomes the field's value. */
const EDITABLE: {
  field: keyof VehicleOverrides;
  label: string;
  parse: (text: string, year: number) => { value: string | number | null } | { error: string };
}[] = [
  { field: 'stock', label: 'stock', parse: (t) => ({ value: normalizeStock(t) }) },
  {
    field: 'year',
    label: 'year',
    parse: (t, y) => {
      if (t.trim() === '') return { value: null };
      const v = parseYear(t, y);
      return v === null ? { error: `a model year is 1900..${y + 2}` } : { value: v };
    },
  },
  { field: 'make', label: 'make', parse: (t) => ({ value: cleanText(t) }) },
  { field: 'model', label: 'model', parse: (t) => ({ value: cleanText(t) }) },
  { field: 'trim', label: 'trim', parse: (t) => ({ value: cleanText(t) }) },
  {
    field: 'price',
    label: 'price',
    parse: (t) => {
      if (t.trim() === '') return { value: null };
      const v = parsePrice(t);
      return v === null ? { error: 'a price is a positive amount, e.g. 34995 or $34,995' } : { value: v };
    },
  },
  { field: 'url', label: 'URL (the QR code)', parse: (t) => ({ value: cleanText(t) }) },
];

function shown(v: unknown): string {
  if (v === null || v === undefined || v === '') return '-';
  return String(v);
}

/** One vehicle as a line of a list: VIN, stock, name, condition, price, reason. */
function vehicleLine(v: ToOrder, widths: number[], edits?: VehicleOverrides): string {
  const e = { ...v, ...edits };
  const cells = [
    e.vin,
    e.stock ?? '',
    cut(vehicleName(e), VEHICLE_NAME_WIDTH),
    e.condition,
    e.price === null ? '' : formatPrice(e.price),
    v.reason,
  ];
  return cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ') + (edits ? '  (edited)' : '');
}

function widthsOf(vs: readonly ToOrder[]): number[] {
  const w = [17, 5, 7, 9, 7];
  for (const v of vs) {
    w[1] = Math.max(w[1]!, (v.stock ?? '').length);
    w[2] = Math.min(VEHICLE_NAME_WIDTH, Math.max(w[2]!, vehicleName(v).length));
    w[3] = Math.max(w[3]!, v.condition.length);
    w[4] = Math.max(w[4]!, v.price === null ? 0 : formatPrice(v.price).length);
  }
  return w;
}

/** The Wizard's CAO menu entry: queue first, then orders by dealership, until "back". */
export async function caoFlow(w: Wizard): Promise<void> {
  for (;;) {
    const { getQueue } = await import('../../app/queue.js');
    const queue = await w.read((ctx) => getQueue(ctx));
    const pending = queue.entries.filter((e) => e.status === 'pending');
    printQueue(w, queue.date, queue.entries);
    const choice = await w.select<'queue' | 'choose' | 'back'>(
      'CAO order:',
      [
        pending.length > 0
          ? {
              name: `Run today's queue: ${pending.length} scheduled order(s) pending`,
              value: 'queue' as const,
            }
          : {
              name: "Today's queue",
              value: 'queue' as const,
              disabled: queue.entries.length ? 'nothing pending' : 'nothing scheduled today',
            },
        { name: 'Choose dealerships', value: 'choose' },
        { name: 'Back to the menu', value: 'back' },
      ],
      pending.length > 0 ? 'queue' : 'choose',
    );
    if (choice === 'back') return;
    if (choice === 'queue') await runQueue(w, pending);
    else await orderDealerships(w);
    if (!(await w.again('order'))) return;
  }
}

function printQueue(w: Wizard, date: string, entries: readonly QueueItem[]): void {
  const { pres } = w;
  if (entries.length === 0) {
    pres.out(`queue of ${date}: nothing scheduled`);
    return;
  }
  pres.out(`queue of ${date}:`);
  pres.out(
    pres.table(
      ['dealership', 'template', 'vehicle types', 'status'],
      entries.map((e) => [
        e.dealershipName,
        e.template,
        e.vehicleTypes.join(','),
        e.missed
          ? pres.c.red('MISSED')
          : e.status === 'done'
            ? pres.c.green(`done #${e.orderId ?? '?'} (${e.vehicleCount ?? 0} vehicles)`)
            : e.status === 'failed' || e.status === 'skipped'
              ? pres.c.yellow(`${e.status}: ${e.reason ?? ''}`)
              : e.status,
      ]),
    ),
  );
}

/** Today's pending scheduled orders: what they would order, then all of them at once. */
async function runQueue(w: Wizard, pending: readonly QueueItem[]): Promise<void> {
  const { pres } = w;
  const { runDueOrders } = await import('../../app/queue.js');
  const preview = await w.read((ctx) => runDueOrders(ctx, { dryRun: true }));
  for (const r of preview.ran) pres.out(`${caoLine(pres, r.result)} [${r.entry.template}]`);
  if (preview.ran.length === 0) {
    pres.out('nothing pending any more (another run took it)');
    return;
  }
  if (
    !(await w.confirm(
      `Run these ${pending.length} scheduled order(s) now, each with its template and vehicle types?`,
      true,
    ))
  )
    return;
  await w.step(
    'cao',
    ['--due'],
    async (env) => {
      const spinner = await env.pres.spinner('running the queue...');
      const { withApp } = await import('../run.js');
      let done = 0;
      const r = await withApp(env, (ctx) =>
        runDueOrders(ctx, {
          holdsRunLock: true,
          onProgress: (e) => {
            if (e.phase !== 'start') spinner.update(`running the queue: ${++done} of ${pending.length} done`);
          },
        }),
      );
      spinner.stop();
      env.note({
        dealerships: r.ran.map((x) => x.entry.dealershipName),
        counts: {
          orders: r.ran.filter((x) => x.result.status === 'ordered').length,
          vehicles: r.ran.reduce(
            (s, x) => s + (x.result.status === 'ordered' ? x.result.vehicles.length : 0),
            0,
          ),
          failed: r.failed,
        },
      });
      for (const x of r.ran) {
        const line = `${caoLine(pres, x.result)} [${x.entry.template}]`;
        if (x.status === 'failed') pres.error(line, x.result.error?.hints ?? []);
        else pres.out(line);
      }
      return partialExit(r.failed, r.ran.length);
    },
    { lockAs: 'cao' },
  );
}

/** Orders for dealerships the operator picks, vehicle by vehicle. */
async function orderDealerships(w: Wizard): Promise<void> {
  const picked = await w.pickDealerships(await w.dealerships(), {
    multi: true,
    message: 'Dealerships to order for',
  });
  const dry = await previewOrders(w, picked);
  // Per dealership: what to order and why, then which of them (all ticked), then any edits.
  const plans: Plan[] = [];
  for (const r of dry.results) {
    const plan = await planDealership(w, r);
    if (plan) plans.push({ ...plan, dealership: picked.find((d) => d.slug === r.dealership.slug)! });
  }
  const toWrite = plans.filter((p) => p.vins.length > 0);
  if (toWrite.length === 0) {
    w.pres.out('nothing to order; nothing written');
    return;
  }
  if (!(await w.confirm(`Order ${planSummary(toWrite)}?`, true))) {
    w.pres.out('not ordered; nothing written');
    return;
  }
  await writeOrders(w, toWrite);
}

/** One dealership's order as the operator chose it: the VINs kept and their edits. */
interface Plan {
  dealership: Dealership;
  result: CaoDealershipResult;
  vins: string[];
  edits: Map<string, VehicleOverrides>;
}

/** A dry run of CAO for the picked dealerships, behind a spinner. */
async function previewOrders(w: Wizard, picked: readonly Dealership[]) {
  const { runCao } = await import('../../app/cao.js');
  const slugs = picked.map((d) => d.slug);
  const spinner = await w.pres.spinner('working out what to order...');
  try {
    return await w.read((ctx) => runCao(ctx, { dealers: slugs, dryRun: true }));
  } finally {
    spinner.stop();
  }
}

/**
 * Shows one dealership's dry run (what to order and why) and asks which vehicles to order and what
 * to change; null for a dealership with nothing to order (its line is printed).
 */
async function planDealership(w: Wizard, r: CaoDealershipResult): Promise<Omit<Plan, 'dealership'> | null> {
  const { pres } = w;
  pres.out();
  if (r.status !== 'dry_run') {
    if (r.status === 'failed') pres.error(caoLine(pres, r), r.error?.hints ?? []);
    else pres.out(caoLine(pres, r));
    return null;
  }
  pres.out(
    `${pres.c.bold(r.dealership.name)}: ${r.vehicles.length} vehicle(s) to order (${r.template} template)`,
  );
  // A short list as a table with the reasons; a long one only in the checkbox list below.
  if (r.vehicles.length <= SHORT_LIST)
    pres.out(
      vehicleTable(pres, r.vehicles, [
        ['reason', (v) => v.reason],
        ['why', (v) => v.detail],
      ]),
    );
  const byReason = Object.entries(r.counts.byReason)
    .filter(([k]) => r.vehicles.some((v) => v.reason === k))
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  pres.out(`${caoLine(pres, r)}${byReason ? `; to order: ${byReason}` : ''}`);
  const widths = widthsOf(r.vehicles);
  const vins = await w.checkbox<string>(
    `Vehicles to order for ${r.dealership.name} (space unticks, a all, i invert; Enter goes on)`,
    r.vehicles.map((v) => ({
      name: vehicleLine(v, widths),
      value: v.vin,
      short: v.vin,
      checked: true,
      description: `${v.vin}: ${v.reason}: ${v.detail}`,
    })),
  );
  const edits =
    vins.length > 0 ? await editVehicles(w, r, vins, widths) : new Map<string, VehicleOverrides>();
  return { result: r, vins, edits };
}

/** `3 for Columbia Honda (1 left out, 2 edited); 5 for ...`: what the confirmation asks about. */
function planSummary(plans: readonly Plan[]): string {
  return plans
    .map((p) => {
      const left = p.result.vehicles.length - p.vins.length;
      const notes = [left ? `${left} left out` : '', p.edits.size ? `${p.edits.size} edited` : '']
        .filter(Boolean)
        .join(', ');
      return `${p.vins.length} for ${p.dealership.name}${notes ? ` (${notes})` : ''}`;
    })
    .join('; ');
}

/** Writes the chosen orders, one dealership at a time, then names the folders for the design team. */
async function writeOrders(w: Wizard, toWrite: readonly Plan[]): Promise<void> {
  const { pres } = w;
  const folders: string[] = [];
  const code = await w.step(
    'cao',
    toWrite.map((p) => p.dealership.slug),
    async (env) => {
      const { withApp } = await import('../run.js');
      const results: CaoDealershipResult[] = [];
      await withApp(env, async (ctx) => {
        for (const p of toWrite) {
          const r = await writeDealershipOrder(w, env, ctx, p);
          results.push(r);
          if (r.folder) folders.push(r.folder);
        }
      });
      env.note({
        dealerships: results.map((r) => r.dealership.name),
        counts: {
          orders: results.filter((r) => r.status === 'ordered').length,
          vehicles: results.reduce((s, r) => s + (r.status === 'ordered' ? r.counts.ordered : 0), 0),
          failed: results.filter((r) => r.status === 'failed').length,
        },
      });
      return partialExit(results.filter((r) => r.status === 'failed').length, results.length);
    },
  );
  if (code !== ExitCode.error && folders.length > 0) {
    pres.out();
    pres.out(`For the design team: ${folders.join(', ')}`);
  }
}

/** One dealership's order: runCao on the chosen VINs with their edits, its outcome on a spinner. */
async function writeDealershipOrder(
  w: Wizard,
  env: CommandEnv,
  ctx: AppContext,
  p: Plan,
): Promise<CaoDealershipResult> {
  const { pres } = w;
  const { runCao } = await import('../../app/cao.js');
  const { operatorName } = await import('../../process-identity.js');
  const s = await env.pres.spinner(`writing the order for ${p.dealership.name}...`);
  const {
    results: [r],
  } = await runCao(ctx, {
    dealers: [p.dealership.slug],
    only: p.vins,
    overrides: Object.fromEntries(p.edits),
    createdBy: `${operatorName()} (wizard)`,
    onProgress: (e) => s.update(`${e.phase} the order for ${p.dealership.name}...`),
  });
  if (r!.status === 'failed') {
    s.fail(caoLine(pres, r!));
    for (const h of r!.error?.hints ?? []) pres.info(`  ${h}`);
  } else s.succeed(caoLine(pres, r!));
  const missing = p.vins.length - r!.counts.ordered;
  if (r!.status === 'ordered' && missing > 0)
    pres.warn(`${missing} of the chosen vehicle(s) were ordered by another run meanwhile; not ordered twice`);
  return r!;
}

/** The manual data editor: change fields of chosen vehicles for this order only. */
async function editVehicles(
  w: Wizard,
  r: CaoDealershipResult,
  vins: readonly string[],
  widths: number[],
): Promise<Map<string, VehicleOverrides>> {
  const edits = new Map<string, VehicleOverrides>();
  const chosen = r.vehicles.filter((v) => vins.includes(v.vin));
  const DONE = '';
  for (;;) {
    const vin = await w.search<string>(
      "Change a vehicle's fields for this order? (type a VIN, stock or model to find it; the inventory stays as it is)",
      (term) => {
        const done: Choice<string> = {
          name: edits.size ? `No more changes (${edits.size} edited)` : 'No, go on',
          value: DONE,
          short: 'no',
        };
        const found = chosen
          .filter((v) => term === '' || vehicleLine(v, widths).toLowerCase().includes(term))
          .map((v): Choice<string> => ({
            name: vehicleLine(v, widths, edits.get(v.vin)),
            value: v.vin,
            short: v.vin,
          }));
        // Typing looks for a vehicle: the first match is highlighted, "no" comes after.
        return term === '' ? [done, ...found] : [...found, done];
      },
    );
    if (vin === DONE) return edits;
    const v = chosen.find((x) => x.vin === vin)!;
    let last: keyof VehicleOverrides | '' | undefined;
    for (;;) {
      const current = { ...v, ...edits.get(vin) };
      const field = await w.select<keyof VehicleOverrides | ''>(
        `Field of ${vin} to change:`,
        [
          ...EDITABLE.map((f) => ({
            name: `${f.label.padEnd(18)} ${shown(current[f.field])}`,
            value: f.field,
            short: f.label,
          })),
          { name: 'Done with this vehicle', value: '' as const, short: 'done' },
        ],
        last,
      );
      last = field;
      if (field === '') break;
      const spec = EDITABLE.find((f) => f.field === field)!;
      const year = new Date().getFullYear();
      const text = await w.input(`New ${spec.label} (empty clears it):`, {
        default: current[field] === null || current[field] === undefined ? '' : String(current[field]),
        validate: (t) => {
          const p = spec.parse(t, year);
          return 'error' in p ? p.error : true;
        },
      });
      const parsed = spec.parse(text, year);
      if ('error' in parsed) continue;
      edits.set(vin, { ...edits.get(vin), [field]: parsed.value });
    }
  }
}
