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

function printDealer(
  env: Parameters<Action>[0],
  d: Awaited<ReturnType<Awaited<ReturnType<typeof loadApp>>['resolveDealership']>>,
) {
  const { pres } = env;
  if (pres.json) {
    const { effectiveSettings, ...rest } = d;
    pres.outJson({ ...rest, settings: effectiveSettings });
    return;
  }
  pres.out(`${pres.c.bold(d.name)} (${d.slug})`);
  pres.out(`  aliases:   ${d.aliases.join(', ') || '-'}`);
  pres.out(`  platform:  ${d.platform ?? '-'}`);
  pres.out(`  site:      ${d.siteUrl ?? '-'}`);
  pres.out(`  enabled:   ${d.enabled ? 'yes' : 'no'}${d.inRegistry ? '' : ' (not in the registry)'}`);
  pres.out('  settings:');
  for (const [k, v] of Object.entries(d.effectiveSettings)) {
    const set = k in d.settings ? '' : pres.c.dim(' (default)');
    pres.out(
      `    ${k.padEnd(22)} ${Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(',') || '-' : v === null ? '-' : String(v)}${set}`,
    );
  }
}

export const show: Action = async (env, [name]) => {
  const { resolveDealership } = await loadApp();
  printDealer(env, await withApp(env, (ctx) => resolveDealership(ctx, name!)));
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
  const d = await withApp(env, (ctx) => setDealer(ctx, name!, changes));
  env.pres.info(`updated ${d.name}`);
  printDealer(env, d);
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
