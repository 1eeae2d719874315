import type { ImportProgress, ImportResult } from '../../app/import.js';
import type { NormalizeResult } from '../../app/normalize.js';
import type { NormalizeCounts } from '../../core/normalize.js';
import { ExitCode } from '../../errors.js';
import type { Action } from '../define.js';
import type { ImportOptions } from '../defs/import.js';
import type { Presentation } from '../presentation.js';
import { withApp } from '../run.js';

const n = (v: number) => v.toLocaleString('en-US');

/** Progress on stderr for long files: a spinner on a terminal, else a line every 5 s. */
function progressReporter(pres: Presentation) {
  let last = 0;
  let spinner: Awaited<ReturnType<Presentation['spinner']>> | null = null;
  let starting = false;
  const text = (p: ImportProgress) => {
    const pct = p.totalBytes ? ` ${Math.min(100, Math.floor((p.bytesRead / p.totalBytes) * 100))}%` : '';
    const file = p.fileCount > 1 ? ` (file ${p.fileIndex + 1} of ${p.fileCount})` : '';
    return `importing ${p.file}${file}: ${n(p.rowsRead)} rows, ${n(p.rowsPerSecond)} rows/s${pct}`;
  };
  return {
    onProgress(p: ImportProgress) {
      if (p.elapsedMs < 2000 || pres.json || pres.quiet) return;
      if (spinner) {
        spinner.update(text(p));
        return;
      }
      if (!starting && pres.interactive) {
        starting = true;
        void pres.spinner(text(p)).then((s) => (spinner = s));
        return;
      }
      if (last === 0 || p.elapsedMs - last >= 5000) {
        last = p.elapsedMs;
        pres.info(text(p));
      }
    },
    stop() {
      spinner?.stop();
    },
  };
}

function flagsCells(c: NormalizeCounts | null): (number | string)[] {
  if (!c) return ['-', '-', '-', '-', '-'];
  return [c.normalized, c.duplicates, c.invalidVin, c.badCheckDigit, c.noPrice];
}

const LIMIT = 40;

function printImport(pres: Presentation, r: ImportResult, reasonText: Record<string, string>): void {
  if (r.skippedDuplicateContent) {
    pres.out(
      `nothing to do: the same content was imported as import #${r.previousImport!.id} on ` +
        `${r.previousImport!.startedAt.slice(0, 19).replace('T', ' ')} (${n(r.previousImport!.rowsImported)} rows). ` +
        'Use --force to import it again.',
    );
    return;
  }
  pres.out(
    r.dryRun
      ? pres.c.yellow('dry run: nothing was changed; this is what the import would do')
      : `import #${r.importId}`,
  );
  for (const f of r.files) {
    pres.out(
      `  ${f.file}: ${n(f.rowsRead)} rows (${f.delimiter === ',' ? 'comma' : f.delimiter}-separated${f.gzip ? ', gzip' : ''}${f.encoding === 'utf-8' ? '' : `, ${f.encoding}`})`,
    );
    for (const s of f.ignoredColumns) {
      pres.out(
        `    column "${s.header}" ignored: ${s.field} is read from "${s.used}" (use --map ${s.field}=... to choose)`,
      );
    }
  }
  pres.out(`  ${n(r.rowsRead)} rows read, ${n(r.rowsImported)} imported, ${n(r.rowsRejected)} rejected`);
  const reasons = Object.entries(r.rejectedByReason).sort((a, b) => b[1] - a[1]);
  if (reasons.length > 0) {
    pres.out(`  rejected: ${reasons.map(([k, v]) => `${reasonText[k] ?? k} ${n(v)}`).join(', ')}`);
  }
  if (r.rejectsFile) pres.out(`  rejects: ${r.rejectsFile}`);
  if (r.reportFile) pres.out(`  report:  ${r.reportFile}`);
  pres.out();
  const shown = pres.verbose ? r.dealerships : r.dealerships.slice(0, LIMIT);
  pres.out(
    pres.table(
      [
        'dealership',
        'rows',
        'rejected',
        'vehicles',
        'duplicates',
        'invalid VIN',
        'bad check digit',
        'no price',
        'snapshot',
      ],
      shown.map((d) => [
        d.created ? `${d.name} ${pres.c.yellow('(new, disabled)')}` : d.name,
        d.rows,
        d.rejected,
        ...flagsCells(d.normalize),
        d.activated
          ? `activated${d.previousSnapshotId ? ` (#${d.previousSnapshotId} archived)` : ''}`
          : d.held
            ? pres.c.yellow(r.dryRun ? 'would be HELD' : `HELD (#${d.snapshotId})`)
            : d.rows === 0
              ? pres.c.yellow('unchanged (no row imported)')
              : r.dryRun
                ? 'would activate'
                : '',
      ]),
      { align: ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'left'] },
    ),
  );
  if (shown.length < r.dealerships.length) {
    pres.out(
      `... and ${n(r.dealerships.length - shown.length)} more dealerships (--verbose lists all; --json or the report has every one)`,
    );
  }
  printHolds(pres, r);
  if (r.createdDealerships.length > 0) {
    pres.out();
    pres.out(
      `${n(r.createdDealerships.length)} dealership name(s) matched no dealership and ${r.dryRun ? 'would be' : 'were'} created disabled: ` +
        r.createdDealerships.slice(0, 10).join(', ') +
        (r.createdDealerships.length > 10 ? ', ...' : ''),
    );
    pres.out(
      '  If one is another spelling of a known dealership: `silverfox dealers set NAME --add-alias "<spelling>"`; ' +
        'use --strict-dealers to refuse unknown names.',
    );
  }
  if (r.totals) {
    const t = r.totals;
    pres.out();
    pres.out(
      `${n(t.normalized)} vehicles normalized; flagged: ${n(t.invalidVin)} invalid VIN (stored, never ordered), ` +
        `${n(t.badCheckDigit)} bad check digit, ${n(t.noPrice)} without price, ${n(t.duplicates)} duplicate VINs (first kept)`,
    );
  } else {
    pres.out();
    pres.out(
      'raw rows only (--no-normalize): run `silverfox normalize` before ordering from these snapshots',
    );
  }
  pres.out(`done in ${(r.durationMs / 1000).toFixed(1)}s`);
}

/** One line per held snapshot: why, and the two ways to activate it. */
function printHolds(pres: Presentation, r: ImportResult): void {
  const held = r.dealerships.filter((d) => d.held);
  if (held.length === 0) return;
  pres.out();
  for (const d of held) {
    pres.out(
      pres.c.yellow(`${d.name}: ${r.dryRun ? 'would be held' : 'new snapshot held, not activated'}`) +
        `: ${d.held!.reason}; CAO and LIST keep using the active snapshot.`,
    );
  }
  if (!r.dryRun) {
    pres.out(
      '  If the drop is real, accept the held snapshot: `silverfox scrape NAME --accept-drop` ' +
        '(no re-scrape), or import the file again with --force.',
    );
  }
}

export const importCommand: Action<ImportOptions> = async (env, files, opts) => {
  const { pres } = env;
  const { importFiles, REJECT_REASON_TEXT } = await import('../../app/import.js');
  // The first SIGINT/SIGTERM cancels at the next batch (define.ts traps them); a second quits at once.
  env.stopGracefully = true;
  env.stopNote = () => 'the import was rolled back: no snapshot was activated or archived';
  const onAbort = () =>
    pres.warn('cancelling: the import is rolled back, nothing changes (Ctrl-C again to quit at once)');
  env.signal.addEventListener('abort', onAbort, { once: true });
  const progress = progressReporter(pres);
  let r: ImportResult;
  try {
    r = await withApp(env, (ctx) =>
      importFiles(ctx, {
        files,
        map: opts.map ?? [],
        dealer: opts.dealer,
        strictDealers: opts.strictDealers,
        force: opts.force,
        // --force also means "I know this file is smaller than the active inventory".
        acceptDrop: opts.force,
        dryRun: opts.dryRun,
        normalize: opts.normalize,
        stdin: process.stdin,
        signal: env.signal,
        onProgress: progress.onProgress,
      }),
    );
  } finally {
    progress.stop();
    env.signal.removeEventListener('abort', onAbort);
  }
  env.note({
    dealerships: r.dealerships.slice(0, 100).map((d) => d.name),
    // A dry run imported nothing: its numbers say what it would do, never `imported`.
    counts: r.dryRun
      ? { read: r.rowsRead, wouldImport: r.rowsImported, wouldReject: r.rowsRejected }
      : { read: r.rowsRead, imported: r.rowsImported, rejected: r.rowsRejected },
  });
  if (pres.json) pres.outJson(r);
  else printImport(pres, r, REJECT_REASON_TEXT);
  if (!r.skippedDuplicateContent && r.rowsRead > 0 && r.rowsImported === 0) {
    pres.error('no row could be imported', [
      r.rejectsFile ? `Every row was rejected; see ${r.rejectsFile}.` : 'Every row was rejected.',
      'Check the columns (--map field=Header) and the file.',
    ]);
    return ExitCode.error;
  }
  // A held snapshot needs an operator: cron sees exit 3 (partial), like a failed dealership.
  if (!r.dryRun && r.dealerships.some((d) => d.held)) return ExitCode.partial;
  return ExitCode.ok;
};

function printNormalize(pres: Presentation, r: NormalizeResult): void {
  pres.out(
    pres.table(
      [
        'dealership',
        'raw rows',
        'vehicles',
        'duplicates',
        'invalid VIN',
        'bad check digit',
        'no price',
        'not vehicles',
      ],
      r.dealerships.map((d) => [
        d.name,
        d.counts.raw,
        d.counts.normalized,
        d.counts.duplicates,
        d.counts.invalidVin,
        d.counts.badCheckDigit,
        d.counts.noPrice,
        d.counts.notVehicles,
      ]),
      { align: ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'] },
    ),
  );
  const t = r.totals;
  pres.out(
    `${r.dealerships.length} active snapshot(s): ${n(t.raw)} raw rows -> ${n(t.normalized)} vehicles ` +
      `(${n(t.duplicates)} duplicates, ${n(t.notVehicles)} not vehicles); flagged ${n(t.flagged)} in ${(r.durationMs / 1000).toFixed(1)}s`,
  );
  for (const name of r.withoutSnapshot) pres.warn(`${name} has no active snapshot: nothing to normalize`);
}

export const normalize: Action = async (env, dealers) => {
  const { pres } = env;
  const { normalizeDealerships } = await import('../../app/normalize.js');
  const r = await withApp(env, (ctx) =>
    normalizeDealerships(ctx, {
      dealers,
      onProgress: (p) =>
        pres.debug(`normalizing ${p.dealership} (${p.index + 1} of ${p.count}, ${n(p.rows)} rows)`),
    }),
  );
  env.note({
    dealerships: r.dealerships.slice(0, 100).map((d) => d.name),
    counts: { raw: r.totals.raw, normalized: r.totals.normalized },
  });
  if (pres.json) pres.outJson(r);
  else printNormalize(pres, r);
  return ExitCode.ok;
};
