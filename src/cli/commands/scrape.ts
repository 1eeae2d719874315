import type { ProbeResult, ScrapeProgress, ScrapeResult } from '../../app/scrape.js';
import { ExitCode, UsageError } from '../../errors.js';
import type { Action } from '../define.js';
import type { ScrapeOptions } from '../defs/scrape.js';
import type { Presentation } from '../presentation.js';
import { noteFailures, withApp, type CommandEnv } from '../run.js';

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

function progressPrinter(pres: Presentation) {
  return (e: ScrapeProgress) => {
    switch (e.type) {
      case 'run':
        pres.info(
          `scrape run ${e.runId}${e.resumed ? ' (resumed)' : ''}: ${e.toFetch} dealership(s) to fetch` +
            `${e.alreadyDone ? `, ${e.alreadyDone} already done` : ''}; folder ${e.runDir}`,
        );
        break;
      case 'start':
        pres.info(`${e.dealership}: started (${e.platform ?? 'no platform'})`);
        break;
      case 'page':
        pres.debug(`${e.dealership}: page ${e.pages} (${e.vehicles} vehicles so far) ${e.url}`);
        break;
      case 'retry':
        pres.info(`${e.dealership}: retrying after attempt ${e.attempt}: ${e.message}`);
        break;
      case 'stalled':
      case 'timeout':
        pres.warn(`${e.dealership}: ${e.message}`);
        break;
      case 'done':
        pres.info(
          `${e.dealership}: ${e.vehicles} vehicles, ${e.pages} pages, ${e.retries} retries in ${seconds(e.durationMs)}`,
        );
        break;
      case 'failed':
        pres.info(`${e.dealership}: ${pres.ce.red('FAILED')} ${e.message}`);
        break;
      case 'import':
        pres.info(`importing ${e.files} CSV file(s) in one import...`);
        break;
    }
  };
}

function printResult(pres: Presentation, r: ScrapeResult): void {
  const n = (
    d: ScrapeResult['dealerships'][number],
    k: 'served' | 'kept' | 'sisterStore' | 'excluded' | 'rejected' | 'noPrice' | 'offLot',
  ) => (d.counts ? d.counts[k] : '');
  pres.out(
    pres.table(
      [
        'dealership',
        'platform',
        'result',
        'served',
        'kept',
        'sister',
        'excluded',
        'rejected',
        'no price',
        'off lot',
        'time',
      ],
      r.dealerships.map((d) => [
        d.name,
        d.platform ?? '',
        d.status === 'done'
          ? pres.c.green(d.fromEarlierRun ? 'done (earlier)' : 'done')
          : pres.c.red(`failed: ${d.error?.code ?? ''}`),
        n(d, 'served'),
        n(d, 'kept'),
        n(d, 'sisterStore'),
        n(d, 'excluded'),
        n(d, 'rejected'),
        n(d, 'noPrice'),
        n(d, 'offLot'),
        seconds(d.durationMs),
      ]),
      {
        align: [
          'left',
          'left',
          'left',
          'right',
          'right',
          'right',
          'right',
          'right',
          'right',
          'right',
          'right',
        ],
      },
    ),
  );
  for (const d of r.dealerships) {
    const c = d.counts;
    if (!c) continue;
    const more = [
      c.duplicates ? `${c.duplicates} duplicate row(s)` : '',
      c.gone ? `${c.gone} sold before its page was read` : '',
      Object.keys(c.excludedBy).length
        ? `excluded: ${Object.entries(c.excludedBy)
            .map(([k, v]) => `${v} ${k}`)
            .join(', ')}`
        : '',
      d.rejectsFile ? `rejected rows with reasons: ${d.rejectsFile}` : '',
    ].filter(Boolean);
    if (more.length) pres.out(`${d.name}: ${more.join('; ')}`);
    const unseen = Object.entries(c.unseenStatuses);
    if (unseen.length) {
      pres.warn(
        `${d.name}: status value(s) the registry entry does not list: ${unseen
          .map(([k, v]) => `"${k}" (${v})`)
          .join(', ')}; add each to scraper.status.on_lot or off_lot in its entry`,
      );
    }
  }
  pres.out(
    `${r.totals.done} of ${r.totals.dealerships} dealerships scraped, ${r.totals.vehicles} vehicles; run folder ${r.runDir}`,
  );
  if (r.import) {
    pres.out(
      `import #${r.import.importId}: ${r.import.rowsImported} rows imported, ${r.import.rowsRejected} rejected` +
        `${r.import.rejectsFile ? ` (${r.import.rejectsFile})` : ''}`,
    );
  } else if (r.totals.done > 0) {
    pres.out('nothing imported (--no-import)');
  }
  for (const d of r.dealerships.filter((x) => x.status === 'failed')) {
    pres.error(`${d.name}: ${d.error?.message ?? 'failed'}`, [
      ...(d.error?.hints ?? []),
      d.cutShort && r.import
        ? `Cut short: the ${d.vehicles} vehicles it got were imported; its active snapshot is unchanged.`
        : 'Its active snapshot is unchanged.',
    ]);
  }
  printHeld(pres, r.import?.dealerships ?? []);
}

/** Held snapshots (drop guard): why, and how to accept one. */
function printHeld(pres: Presentation, held: { name: string; held: { reason: string } | null }[]): void {
  for (const d of held.filter((x) => x.held)) {
    pres.warn(
      `${d.name}: new snapshot HELD, not activated: ${d.held!.reason}. CAO and LIST keep using the active snapshot. ` +
        `If the drop is real: silverfox scrape "${d.name}" --accept-drop`,
    );
  }
}

/** `scrape NAME --accept-drop`: activates the held snapshots (app/hold), no scraping. */
async function acceptDrop(env: CommandEnv, dealers: string[], opts: ScrapeOptions): Promise<number> {
  const { pres } = env;
  if (opts.all || opts.probe || opts.resume !== undefined || !opts.import || opts.concurrency !== undefined) {
    throw new UsageError(
      '--accept-drop activates the held snapshot of the dealerships you name: no --all, --probe, --resume, --no-import or --concurrency',
      ['e.g. `silverfox scrape "Columbia Honda" --accept-drop`; `silverfox status` lists held snapshots.'],
    );
  }
  const { acceptHeldSnapshots } = await import('../../app/hold.js');
  const r = await withApp(env, (ctx) => acceptHeldSnapshots(ctx, dealers));
  env.note({ dealerships: r.accepted.map((a) => a.name), counts: { accepted: r.accepted.length } });
  if (pres.json) pres.outJson(r);
  else {
    for (const a of r.accepted) {
      pres.out(
        `${a.name}: held snapshot #${a.snapshotId} (${a.rows} rows) activated` +
          `${a.previousSnapshotId ? `, #${a.previousSnapshotId} archived` : ''} (it was held: ${a.reason})`,
      );
    }
  }
  return ExitCode.ok;
}

function printProbe(pres: Presentation, r: ProbeResult): void {
  const c = r.counts;
  pres.out(
    `${pres.c.bold(r.name)} (${r.platform ?? 'no platform'}) ${r.siteUrl ?? ''}${r.apiHost ? ` api host ${r.apiHost}` : ''}`,
  );
  pres.out(
    `${r.pages} page(s) read${r.stoppedEarly ? ' (the site has more; --pages N reads more)' : ' (all of it)'}: ` +
      `${c.served} rows served, ${c.kept} kept, ${c.sisterStore} sister-store, ${c.excluded} excluded, ` +
      `${c.rejected} rejected, ${c.duplicates} duplicate; of the kept ${c.noPrice} without price, ${c.offLot} off the lot, ${c.unknownStatus} unknown status`,
  );
  const list = (title: string, m: Record<string, number>) => {
    const e = Object.entries(m).sort((a, b) => b[1] - a[1]);
    pres.out(`${title}: ${e.length ? e.map(([k, v]) => `"${k}" ${v}`).join(', ') : '-'}`);
  };
  list('store values seen', r.seen.stores);
  list('status values seen', r.seen.statuses);
  list('status values the entry does not list', c.unseenStatuses);
  list('price taken from', r.seen.priceFields);
  if (Object.keys(c.excludedBy).length) list('excluded', c.excludedBy);
  if (r.sample.length) {
    pres.out(
      pres.table(
        ['vin', 'stock', 'year', 'make', 'model', 'condition', 'status', 'price', 'msrp'],
        r.sample.map((v) => [
          v.vin,
          v.stock ?? '',
          v.year ?? '',
          v.make ?? '',
          v.model ?? '',
          v.condition ?? '',
          v.status ?? '',
          v.price ?? '',
          v.msrp ?? '',
        ]),
      ),
    );
  }
  for (const x of r.rejects) pres.out(`rejected: ${x.reason}: ${x.row}`);
  pres.out('nothing was written or imported (probe)');
}

export const scrape: Action<ScrapeOptions> = async (env, dealers, opts) => {
  const { pres } = env;
  if (opts.acceptDrop) return acceptDrop(env, dealers, opts);
  if (opts.probe) {
    if (dealers.length !== 1 || opts.all || opts.resume !== undefined) {
      throw new UsageError('--probe takes exactly one dealership (no --all, no --resume)', [
        'e.g. `silverfox scrape "Columbia Honda" --probe`',
      ]);
    }
    const { probeScrape } = await import('../../app/scrape.js');
    const r = await withApp(env, (ctx) => probeScrape(ctx, dealers[0]!, { pages: opts.pages }));
    if (pres.json) pres.outJson(r);
    else printProbe(pres, r);
    return ExitCode.ok;
  }
  if (opts.pages !== undefined) throw new UsageError('--pages goes with --probe');
  const { runScrape } = await import('../../app/scrape.js');
  const ac = new AbortController();
  const onSigint = () => {
    pres.warn('stopping: the run can be continued with `silverfox scrape --resume`');
    ac.abort();
  };
  process.once('SIGINT', onSigint);
  let r: ScrapeResult;
  try {
    r = await withApp(env, (ctx) =>
      runScrape(ctx, {
        dealers,
        all: opts.all,
        concurrency: opts.concurrency,
        import: opts.import,
        resume: opts.resume,
        signal: ac.signal,
        onProgress: progressPrinter(pres),
      }),
    );
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
  env.note({
    dealerships: r.dealerships.map((d) => d.name),
    counts: {
      scraped: r.totals.done,
      failed: r.totals.failed,
      vehicles: r.totals.vehicles,
      ...(r.import ? { imported: r.import.rowsImported, rejected: r.import.rowsRejected } : {}),
    },
  });
  if (pres.json) pres.outJson(r);
  else printResult(pres, r);
  noteFailures(
    env,
    r.dealerships.map((d) => ({ dealership: d.name, error: d.error })),
  );
  const held = r.import?.dealerships.some((d) => d.held) ?? false;
  if (r.totals.failed === 0) return held ? ExitCode.partial : ExitCode.ok;
  return r.totals.done > 0 ? ExitCode.partial : ExitCode.error;
};
