import path from 'node:path';
import type { DealerChanges, DealershipChange, ImportPlan, ShownSetting } from '../../app/dealers.js';
import { ExitCode, UsageError } from '../../errors.js';
import type { Action } from '../define.js';
import type { DealerChangeOptions, DealersHistoryOptions } from '../defs/dealers.js';
import { formatTime } from '../presentation.js';
import { withApp } from '../run.js';

const loadApp = () => import('../../app/dealers.js');

/** The command line as typed, recorded in the registry history. */
function typedCommand(): string {
  const args = process.argv.slice(2).map((a) => (/^[\w./:=,@+-]+$/.test(a) ? a : JSON.stringify(a)));
  return `silverfox ${args.join(' ')}`;
}

function changesFrom(opts: DealerChangeOptions): DealerChanges {
  if (opts.enable && opts.disable) throw new UsageError('--enable and --disable contradict each other');
  const settings: Record<string, string> = {};
  for (const s of opts.setting ?? []) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new UsageError(`--setting expects key=value, got "${s}"`);
    settings[s.slice(0, eq).trim().replace(/-/g, '_')] = s.slice(eq + 1);
  }
  return {
    url: opts.url,
    apiHost: opts.apiHost,
    platform: opts.platform,
    enabled: opts.enable ? true : opts.disable ? false : undefined,
    addAliases: opts.addAlias,
    removeAliases: opts.removeAlias,
    settings,
    unset: (opts.unset ?? []).map((k) => k.trim().replace(/-/g, '_')),
  };
}

export const list: Action = async (env) => {
  const { listDealers } = await loadApp();
  const all = await withApp(env, listDealers);
  const { pres } = env;
  if (pres.json) {
    pres.outJson(
      all.map((d) => ({
        ...d,
        // What it orders with (the stored values over the defaults); the stored ones alone beside it.
        settings: d.settingsProblems.length > 0 ? null : d.effectiveSettings,
        stored_settings: d.settings,
      })),
    );
    return;
  }
  pres.out(
    pres.table(
      ['dealership', 'slug', 'platform', 'enabled', 'template', 'site'],
      all.map((d) => [
        d.name,
        d.slug,
        d.platform ?? '',
        d.enabled ? 'yes' : pres.c.dim(d.inRegistry ? 'no' : 'no (from feed)'),
        d.settingsProblems.length > 0 ? pres.c.red('(invalid settings)') : d.effectiveSettings.template,
        d.siteUrl ?? '',
      ]),
    ),
  );
  pres.out(`${all.length} dealerships, ${all.filter((d) => d.enabled).length} enabled`);
};

type LoadedApp = Awaited<ReturnType<typeof loadApp>>;
type ShownDealer = Awaited<ReturnType<LoadedApp['showDealer']>>;
type ShownParameters = Awaited<ReturnType<LoadedApp['scrapeParameters']>>;

/** One value of the scrape parameters on one line. */
function paramText(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (Array.isArray(v))
    return v.length ? v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(', ') : '-';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** The shared scrape parameters, spelled out; the adapter's own options as they are written. */
function scraperLines(p: ShownParameters): string[] {
  const s = p.scraper as Record<string, unknown>;
  const lines: string[] = [];
  const sf = s.store_filter as { field?: string; value: unknown; match?: string; param?: string } | undefined;
  lines.push(`group site:   ${s.group_site === true ? 'yes' : 'no'}`);
  lines.push(
    `store filter: ${
      sf
        ? [
            sf.field ? `${sf.field} ${sf.match ?? 'equals'} ${paramText(sf.value)}` : '',
            sf.param
              ? `sent as ${sf.param}=${paramText(Array.isArray(sf.value) ? sf.value[0] : sf.value)}`
              : '',
          ]
            .filter(Boolean)
            .join('; ')
        : '-'
    }`,
  );
  const st = s.status as Record<string, unknown> | undefined;
  lines.push(
    `status:       ${
      st
        ? [
            `fields ${paramText(st.fields)}`,
            st.in_transit_flags ? `in-transit flags ${paramText(st.in_transit_flags)}` : '',
            st.in_stock_flags ? `in-stock flags ${paramText(st.in_stock_flags)}` : '',
            `on lot ${paramText(st.on_lot)}`,
            `off lot ${paramText(st.off_lot)}`,
            `other ${paramText(st.unlisted ?? 'unknown')}`,
            `blank ${paramText(st.blank ?? 'on_lot')}`,
          ]
            .filter(Boolean)
            .join('; ')
        : '- (the status text as the site writes it)'
    }`,
  );
  const pr = s.price as { fields?: string[]; msrp_fields?: string[] } | undefined;
  lines.push(
    `price:        ${pr ? `${(pr.fields ?? []).join(' > ')}; msrp ${(pr.msrp_fields ?? []).join(' > ') || '-'}` : "- (the adapter's default)"}`,
  );
  const ex =
    (s.exclude as { field: string; value: unknown; match?: string; reason: string }[] | undefined) ?? [];
  lines.push(
    `exclude:      ${ex.length ? ex.map((e) => `${e.reason}: ${e.field} ${e.match ?? 'equals'} ${paramText(e.value)}`).join('; ') : '-'}`,
  );
  const shared = new Set(['group_site', 'store_filter', 'status', 'price', 'exclude', 'source', 'notes']);
  for (const [k, v] of Object.entries(s)) if (!shared.has(k)) lines.push(`${k.padEnd(13)} ${paramText(v)}`);
  if (s.source) lines.push(`source:       ${paramText(s.source)}`);
  for (const n of (s.notes as string[] | undefined) ?? []) lines.push(`note:         ${n}`);
  return lines;
}

/** A setting value on one line. */
function settingText(v: unknown): string {
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(',') || '-';
  if (v === null || v === undefined) return '-';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function printDealer(
  env: Parameters<Action>[0],
  d: ShownDealer,
  settings: ShownSetting[],
  params?: ShownParameters,
) {
  const { pres } = env;
  if (pres.json) {
    pres.outJson({
      id: d.id,
      name: d.name,
      slug: d.slug,
      platform: d.platform,
      siteUrl: d.siteUrl,
      enabled: d.enabled,
      inRegistry: d.inRegistry,
      aliases: d.aliases,
      schedule: d.schedule,
      /** Only what was set (what the database stores). */
      stored_settings: d.settings,
      settings: Object.fromEntries(
        settings.map((s) => [
          s.key,
          {
            value: s.value,
            source: s.source,
            default: s.default,
            ...(s.problem ? { problem: s.problem } : {}),
          },
        ]),
      ),
      settings_problems: d.settingsProblems,
      ...(params
        ? {
            api_host: params.apiHost,
            scraper: params.scraper,
            scrapable: params.problems.length === 0,
            scrape_problems: params.problems,
          }
        : {}),
    });
    return;
  }
  pres.out(`${pres.c.bold(d.name)} (${d.slug})`);
  pres.out(`  aliases:   ${d.aliases.join(', ') || '-'}`);
  pres.out(`  platform:  ${d.platform ?? '-'}`);
  pres.out(`  site:      ${d.siteUrl ?? '-'}`);
  if (params) pres.out(`  api host:  ${params.apiHost ?? '-'}`);
  pres.out(`  enabled:   ${d.enabled ? 'yes' : 'no'}${d.inRegistry ? '' : ' (not in the registry)'}`);
  if (params?.inRegistry) {
    pres.out('  scrape parameters:');
    for (const l of scraperLines(params)) pres.out(`    ${l}`);
    pres.out(
      `  scrapable: ${params.problems.length === 0 ? pres.c.green('yes') : pres.c.red(`no: ${params.problems.join('; ')}`)}`,
    );
  }
  pres.out('  settings (set: stored for this dealership; default: from silverfox, follows its changes):');
  for (const s of settings) {
    const mark =
      s.source === 'invalid'
        ? pres.c.red(` (invalid: ${s.problem ?? ''})`)
        : s.source === 'default'
          ? pres.c.dim(' (default)')
          : ` (set; default ${settingText(s.default)})`;
    pres.out(`    ${s.key.padEnd(22)} ${settingText(s.value)}${mark}`);
  }
  if (d.schedule.length > 0) {
    pres.out('  schedule:');
    for (const e of d.schedule)
      pres.out(
        `    ${e.weekdays.join(',')}: ${e.order_type} ${e.template} ${e.vehicle_types.join('+')} (priority ${e.priority})`,
      );
  }
}

export const show: Action = async (env, [name]) => {
  const { showDealer, scrapeParameters, shownSettings } = await loadApp();
  const [d, params] = await withApp(env, async (ctx) => {
    const found = await showDealer(ctx, name!);
    return [found, await scrapeParameters(ctx, found)] as const;
  });
  printDealer(env, d, shownSettings(d), params);
};

export const add: Action<DealerChangeOptions> = async (env, [name], opts) => {
  const { addDealer, scrapeParameters, shownSettings } = await loadApp();
  const changes = changesFrom(opts);
  if (changes.unset?.length) throw new UsageError('--unset has nothing to unset on a new dealership');
  const [d, params] = await withApp(env, async (ctx) => {
    const added = await addDealer(ctx, name!, changes, { command: typedCommand() });
    return [added, await scrapeParameters(ctx, added)] as const;
  });
  env.pres.info(`added ${d.name}`);
  printDealer(env, d, shownSettings(d), params);
};

export const set: Action<DealerChangeOptions> = async (env, [name], opts) => {
  const { setDealer, scrapeParameters, shownSettings } = await loadApp();
  const changes = changesFrom(opts);
  const [d, params] = await withApp(env, async (ctx) => {
    const changed = await setDealer(ctx, name!, changes, { command: typedCommand() });
    return [changed, await scrapeParameters(ctx, changed)] as const;
  });
  env.pres.info(`updated ${d.name}`);
  printDealer(env, d, shownSettings(d), params);
};

export const remove: Action = async (env, [name]) => {
  const { removeDealer, showDealer } = await loadApp();
  return withApp(env, async (ctx) => {
    const d = await showDealer(ctx, name!);
    if (!env.pres.yes) {
      if (!env.pres.interactive) {
        env.pres.error(`not removing "${d.name}" without confirmation`, ['Add --yes to confirm.']);
        return ExitCode.usage;
      }
      if (!(await env.pres.confirm(`Remove "${d.name}" from the registry? Its orders and VIN log stay.`))) {
        env.pres.info('nothing removed');
        return ExitCode.ok;
      }
    }
    const removed = await removeDealer(ctx, d.name, { command: typedCommand() });
    if (env.pres.json) env.pres.outJson({ removed: removed.name, enabled: removed.enabled });
    else env.pres.out(`removed ${removed.name} from the registry (kept in the database, disabled)`);
    return ExitCode.ok;
  });
};

/** A value in a history or diff line. */
function valueText(v: unknown): string {
  if (v === undefined) return '(absent)';
  if (v === null) return 'none';
  return JSON.stringify(v);
}

const sinceText = (c: DealershipChange) =>
  `changed since by ${c.osUser}@${c.host} at ${formatTime(c.changedAt.toISOString())} (${c.command})`;

export const history: Action<DealersHistoryOptions> = async (env, [name], opts) => {
  const { dealerHistory } = await loadApp();
  const h = await withApp(env, (ctx) => dealerHistory(ctx, name, { limit: opts.limit }));
  const { pres } = env;
  if (pres.json) {
    pres.outJson(
      h.changes.map((c) => ({
        id: c.id,
        dealership: c.dealership,
        field: c.field,
        /** null: absent (a setting not set, back to its default). */
        old_value: c.oldValue ?? null,
        new_value: c.newValue ?? null,
        source: c.source,
        command: c.command,
        os_user: c.osUser,
        host: c.host,
        changed_at: c.changedAt.toISOString(),
      })),
    );
    return;
  }
  if (h.changes.length === 0) {
    pres.out(h.dealership ? `no recorded changes of ${h.dealership}` : 'no recorded changes');
    return;
  }
  for (const c of h.changes) {
    const what =
      c.field === 'dealership'
        ? c.oldValue === undefined || c.oldValue === null
          ? 'added to the registry'
          : 'removed from the registry'
        : `${c.field}: ${valueText(c.oldValue)} -> ${valueText(c.newValue)}`;
    pres.out(
      `${formatTime(c.changedAt.toISOString())}  ${c.osUser}@${c.host}  ${c.dealership}  ${what}  [${c.source}: ${c.command}]`,
    );
  }
  pres.out(`${h.changes.length} change(s)`);
};

/** The import diff, one line per change. */
function planLines(plan: ImportPlan): string[] {
  const lines: string[] = [];
  for (const a of plan.added) lines.push(`+ ${a.entry.name} (new, from ${path.basename(a.file)})`);
  for (const c of plan.changed) {
    lines.push(`~ ${c.name} (${path.basename(c.file)})`);
    for (const f of c.changes) {
      lines.push(`    ${f.field}: ${valueText(f.old)} -> ${valueText(f.new)}`);
      if (f.changedSince) lines.push(`      ! overwrites a change: ${sinceText(f.changedSince)}`);
    }
  }
  for (const r of plan.removed) {
    lines.push(`- ${r.name} (in the database, in no file read: taken out of the registry, disabled)`);
    if (r.changedSince) lines.push(`      ! ${sinceText(r.changedSince)}`);
  }
  return lines;
}

const overwrites = (plan: ImportPlan) =>
  plan.changed.reduce((n, c) => n + c.changes.filter((f) => f.changedSince).length, 0) +
  plan.removed.filter((r) => r.changedSince).length;

export const importFiles: Action = async (env, paths) => {
  const { planDealersImport, applyDealersImport } = await loadApp();
  const { pres } = env;
  return withApp(env, async (ctx) => {
    const plan = await planDealersImport(
      ctx,
      paths.map((p) => path.resolve(p)),
    );
    const empty = plan.added.length + plan.changed.length + plan.removed.length === 0;
    const lines = planLines(plan);
    const summary = {
      sources: plan.sources,
      added: plan.added.map((a) => a.entry.name),
      changed: plan.changed.map((c) => ({
        dealership: c.name,
        fields: c.changes.map((f) => ({
          field: f.field,
          old: f.old ?? null,
          new: f.new ?? null,
          ...(f.changedSince
            ? {
                changed_since: {
                  by: `${f.changedSince.osUser}@${f.changedSince.host}`,
                  at: f.changedSince.changedAt.toISOString(),
                  command: f.changedSince.command,
                },
              }
            : {}),
        })),
      })),
      removed: plan.removed.map((r) => r.name),
      overwrites: overwrites(plan),
    };
    if (empty) {
      if (pres.json) pres.outJson({ ...summary, applied: false });
      else pres.out(`nothing to import: the database already holds ${plan.sources.join(', ')}`);
      return ExitCode.ok;
    }
    if (!pres.json) {
      for (const l of lines) pres.out(l);
      pres.out(
        `${plan.added.length} to add, ${plan.changed.length} to change, ${plan.removed.length} to remove` +
          (overwrites(plan)
            ? `; ${overwrites(plan)} change(s) made since in the database would be overwritten (marked !)`
            : ''),
      );
    }
    if (!pres.yes) {
      if (!pres.interactive) {
        if (pres.json) pres.outJson({ ...summary, applied: false });
        pres.error('not importing without confirmation', [
          'Review the diff above, then add --yes to import it.',
        ]);
        return ExitCode.usage;
      }
      if (!(await pres.confirm('Import these changes into the registry?'))) {
        pres.info('nothing imported');
        return ExitCode.ok;
      }
    }
    const r = await applyDealersImport(ctx, plan, { command: typedCommand() });
    if (pres.json) pres.outJson({ ...summary, applied: true });
    else pres.out(`imported: ${r.added} added, ${r.changed} changed, ${r.removed} removed`);
    return ExitCode.ok;
  });
};

export const exportFiles: Action = async (env, [dir]) => {
  const { exportDealers } = await loadApp();
  const r = await withApp(env, (ctx) => exportDealers(ctx, path.resolve(dir!)));
  if (env.pres.json) env.pres.outJson(r);
  else env.pres.out(`exported ${r.files.length} dealerships to ${r.dir}`);
};
