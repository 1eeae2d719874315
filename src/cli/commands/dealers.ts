import type { DealerChanges } from '../../app/dealers.js';
import { ExitCode, UsageError } from '../../errors.js';
import type { Action } from '../define.js';
import { withApp } from '../run.js';

const loadApp = () => import('../../app/dealers.js');

function changesFrom(opts: Record<string, unknown>): DealerChanges {
  if (opts.enable && opts.disable) throw new UsageError('--enable and --disable contradict each other');
  const settings: Record<string, string> = {};
  for (const s of (opts.setting as string[] | undefined) ?? []) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new UsageError(`--setting expects key=value, got "${s}"`);
    settings[s.slice(0, eq).trim().replace(/-/g, '_')] = s.slice(eq + 1);
  }
  return {
    url: opts.url as string | undefined,
    apiHost: opts.apiHost as string | undefined,
    platform: opts.platform as string | undefined,
    enabled: opts.enable ? true : opts.disable ? false : undefined,
    addAliases: opts.addAlias as string[] | undefined,
    removeAliases: opts.removeAlias as string[] | undefined,
    settings,
  };
}

export const list: Action = async (env) => {
  const { listDealers } = await loadApp();
  const all = await withApp(env, listDealers);
  const { pres } = env;
  if (pres.json) {
    pres.outJson(all.map(({ effectiveSettings, ...d }) => ({ ...d, settings: effectiveSettings })));
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
        d.effectiveSettings.template,
        d.siteUrl ?? '',
      ]),
    ),
  );
  pres.out(`${all.length} dealerships, ${all.filter((d) => d.enabled).length} enabled`);
};

type LoadedApp = Awaited<ReturnType<typeof loadApp>>;
type ShownDealer = Awaited<ReturnType<LoadedApp['resolveDealership']>>;
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

function printDealer(env: Parameters<Action>[0], d: ShownDealer, params?: ShownParameters) {
  const { pres } = env;
  if (pres.json) {
    const { effectiveSettings, ...rest } = d;
    pres.outJson({
      ...rest,
      settings: effectiveSettings,
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
  pres.out('  settings:');
  for (const [k, v] of Object.entries(d.effectiveSettings)) {
    const set = k in d.settings ? '' : pres.c.dim(' (default)');
    pres.out(
      `    ${k.padEnd(22)} ${Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(',') || '-' : v === null ? '-' : String(v)}${set}`,
    );
  }
}

export const show: Action = async (env, [name]) => {
  const { resolveDealership, scrapeParameters } = await loadApp();
  const [d, params] = await withApp(env, async (ctx) => {
    const found = await resolveDealership(ctx, name!);
    return [found, await scrapeParameters(ctx, found)] as const;
  });
  printDealer(env, d, params);
};

export const add: Action = async (env, [name], opts) => {
  const { addDealer } = await loadApp();
  const changes = changesFrom(opts);
  const d = await withApp(env, (ctx) => addDealer(ctx, name!, changes));
  env.pres.info(`added ${d.name}`);
  printDealer(env, d);
};

export const set: Action = async (env, [name], opts) => {
  const { setDealer } = await loadApp();
  const changes = changesFrom(opts);
  const { scrapeParameters } = await loadApp();
  const [d, params] = await withApp(env, async (ctx) => {
    const changed = await setDealer(ctx, name!, changes);
    return [changed, await scrapeParameters(ctx, changed)] as const;
  });
  env.pres.info(`updated ${d.name}`);
  printDealer(env, d, params);
};

export const remove: Action = async (env, [name]) => {
  const { removeDealer, resolveDealership } = await loadApp();
  return withApp(env, async (ctx) => {
    const d = await resolveDealership(ctx, name!);
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
    const removed = await removeDealer(ctx, d.name);
    if (env.pres.json) env.pres.outJson({ removed: removed.name, enabled: removed.enabled });
    else env.pres.out(`removed ${removed.name} from the registry (kept in the database, disabled)`);
    return ExitCode.ok;
  });
};

export const sync: Action = async (env) => {
  const { syncDealers } = await loadApp();
  const r = await withApp(env, syncDealers);
  if (env.pres.json) env.pres.outJson(r);
  else
    env.pres.out(
      `synced ${r.dealerships} dealerships from the registry${r.retired.length ? `; retired ${r.retired.join(', ')}` : ''}`,
    );
};
