/**
 * Dealership settings: the settings as `dealers show` prints them, then one setting at a time
 * changed through `dealers set` (the database, recorded in the history; setDealer validates and a
 * refused value is shown with its reason and asked again).
 */
import {
  SETTING_DEFAULTS,
  SETTING_KEYS,
  VEHICLE_TYPES,
  type DealershipSettings,
} from '../../core/dealership.js';
import { templateNames } from '../../core/templates.js';
import { ExitCode } from '../../errors.js';
import { optionsWith } from '../define.js';
import { dealerChangeOptions, type DealerChangeOptions } from '../defs/dealers.js';
import type { Wizard } from './ui.js';

type Key = keyof DealershipSettings;

/** What each setting means, in the operator's words. */
const HELP: Partial<Record<Key, string>> = {
  vehicle_types: 'which conditions CAO orders (used = po + cpo)',
  min_price: 'lowest price ordered (none = no limit)',
  max_price: 'highest price ordered (none = no limit)',
  min_year: 'oldest model year ordered (none = no limit)',
  seasoning_days: 'days in stock before a vehicle is ordered (none = at once)',
  require_stock: 'skip vehicles without a stock number',
  require_price: 'skip vehicles without a price',
  brands: 'only these makes, comma-separated (empty = all)',
  exclude_keywords: 'skip vehicles whose make/model/trim/status says one of these, comma-separated',
  recent_days: 'days within which a vehicle ordered here is not ordered again',
  list_updates_vin_log: 'LIST orders write the VIN log',
  template: "the order CSV's columns",
  sticker_template: 'the sticker sheet design (templates/<name>/)',
  split_new_used: 'write _NEW and _USED CSV files',
  allow_off_lot: 'also order vehicles in transit, sold, in service...',
};

function valueText(v: unknown): string {
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(',') || '-';
  if (v === null || v === undefined) return 'none';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  return String(v);
}

/** Asks the new value of `key` as the text `dealers set --setting key=value` takes. */
async function askValue(w: Wizard, values: ReadonlyMap<Key, unknown>, key: Key): Promise<string> {
  const current = values.get(key);
  const sample = SETTING_DEFAULTS[key];
  if (key === 'template') {
    const custom = values.get('custom_templates');
    return w.select(
      'Template:',
      templateNames(Array.isArray(custom) ? (custom as DealershipSettings['custom_templates']) : []).map(
        (t) => ({ name: t, value: t }),
      ),
      String(current),
    );
  }
  if (key === 'vehicle_types') {
    const types = await w.checkbox<string>(
      'Vehicle types CAO orders (space ticks; used = po + cpo):',
      VEHICLE_TYPES.map((t) => ({ name: t, value: t, checked: (current as string[]).includes(t) })),
    );
    return types.join(',');
  }
  if (typeof sample === 'boolean') {
    return (await w.select(
      `${key}:`,
      [
        { name: 'yes', value: 'yes' },
        { name: 'no', value: 'no' },
      ],
      current ? 'yes' : 'no',
    )) as string;
  }
  return w.input(`${key} (${HELP[key] ?? ''}):`, {
    default: Array.isArray(current) ? current.join(',') : current === null ? 'none' : String(current),
  });
}

export async function settingsFlow(w: Wizard): Promise<void> {
  const [picked] = await w.pickDealerships(await w.dealerships(), {
    multi: false,
    message: 'Dealership',
  });
  const slug = picked!.slug;
  const { showDealer, shownSettings } = await import('../../app/dealers.js');
  const dealers = await import('../commands/dealers.js');
  await w.busy(async () => dealers.show(w.env, [slug], {}, w.cmd));
  for (;;) {
    const d = await w.read((ctx) => showDealer(ctx, slug));
    const shown = shownSettings(d);
    const values = new Map<Key, unknown>(shown.map((x) => [x.key, x.value]));
    const source = new Map(shown.map((x) => [x.key, x.source]));
    const keys = SETTING_KEYS.filter((k) => k !== 'custom_templates');
    const width = Math.max(...keys.map((k) => k.length));
    const key = await w.select<Key | 'enabled' | ''>(`Change a setting of ${d.name}:`, [
      ...keys.map((k) => ({
        name: `${k.padEnd(width)}  ${valueText(values.get(k)).padEnd(16)}${source.get(k) === 'set' ? '' : ` (${source.get(k)})`}`,
        value: k,
        description: HELP[k],
      })),
      {
        name: `${'enabled'.padEnd(width)}  ${d.enabled ? 'yes' : 'no'}`,
        value: 'enabled' as const,
        short: 'enabled',
      },
      { line: 'custom_templates: silverfox dealers set NAME --setting custom_templates=JSON' },
      { name: 'Done', value: '' as const },
    ]);
    if (key === '') return;
    let opts: Partial<DealerChangeOptions>;
    let text: string;
    if (key === 'enabled') {
      const on = await w.confirm(
        `Enable ${d.name} (scrape --all, cao --all and the queue include it)?`,
        !d.enabled,
      );
      opts = on ? { enable: true } : { disable: true };
      text = `enabled=${on ? 'yes' : 'no'}`;
    } else {
      text = `${key}=${await askValue(w, values, key)}`;
      opts = { setting: [text] };
    }
    const code = await w.step('dealers set', [slug, text], (env) =>
      dealers.set(env, [slug], optionsWith(dealerChangeOptions, opts), w.cmd),
    );
    if (code !== ExitCode.ok) w.pres.info('nothing changed; try another value');
  }
}
