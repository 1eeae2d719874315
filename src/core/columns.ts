/**
 * Which column of an inventory file holds which field. Headers are compared case- and
 * space-insensitively (`Vehicle URL` = `vehicle_url` = `VEHICLEURL`), with aliases per field,
 * including the real feeds' misspelling `Vechile URL` (failure 8). `--map field=Header` overrides.
 * The canonical field names are themselves headers: the scraper writes CSVs with exactly these.
 */
import { InputError, UsageError } from '../errors.js';

/** The fields of an inventory row, in the order the scraper writes them. */
export const FIELDS = [
  'vin',
  'stock',
  'dealership',
  'year',
  'make',
  'model',
  'trim',
  'condition',
  'status',
  'price',
  'msrp',
  'date_in_stock',
  'url',
] as const;
export type Field = (typeof FIELDS)[number];

/** The raw vehicle fields (every field but the dealership), in raw_vehicles' and scrape CSVs' column order. */
export const RAW_FIELDS = FIELDS.filter((f): f is Exclude<Field, 'dealership'> => f !== 'dealership');
export type RawField = (typeof RAW_FIELDS)[number];

/**
 * Aliases per field, best first: when a file has two headers that could be one field (Craigslist
 * has both `condition` and `type`), the earlier alias wins and the other is reported as ignored.
 */
export const FIELD_ALIASES: Readonly<Record<Field, readonly string[]>> = {
  vin: ['vin', 'vin_num', 'vin number', 'vin_number', 'vehicle vin', 'vins'],
  stock: ['stock', 'stock number', 'stock_number', 'stock #', 'stock no', 'stocknum', 'stk', 'stk #'],
  dealership: ['dealership', 'dealer', 'location', 'dealer_name', 'dealer name', 'dealership name', 'store'],
  year: ['year', 'model year', 'model_year', 'yr'],
  make: ['make', 'manufacturer', 'brand'],
  model: ['model', 'model name'],
  trim: ['trim', 'trim level', 'series'],
  condition: [
    'condition',
    'type',
    'new/used',
    'new_used',
    'vehicle condition',
    'inventory type',
    'stock type',
  ],
  status: ['status', 'lot status', 'vehicle status', 'inventory status', 'availability'],
  price: [
    'price',
    'internet price',
    'internet_price',
    'sellingprice',
    'selling price',
    'sale price',
    'our price',
    'list price',
  ],
  msrp: ['msrp', 'retail price', 'sticker price'],
  date_in_stock: [
    'date_in_stock',
    'date in stock',
    'in stock date',
    'stock date',
    'date received',
    'inventory date',
  ],
  url: [
    'url',
    'vehicle url',
    'vechile url',
    'vehicle_url',
    'vdp url',
    'vdp',
    'link',
    'vehicle link',
    'detail url',
  ],
};

/** The key headers and aliases are compared by: lower case, letters and digits only. */
export function headerKey(header: string): string {
  return header.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Parses `--map` values (`field=Header`, several comma-separated or repeated). `field=` means "no column". */
export function parseColumnMap(specs: readonly string[]): Partial<Record<Field, string | null>> {
  const out: Partial<Record<Field, string | null>> = {};
  const problems: string[] = [];
  for (const spec of specs) {
    for (const part of spec.split(',')) {
      if (part.trim() === '') continue;
      const eq = part.indexOf('=');
      if (eq <= 0) {
        problems.push(`"${part}" is not field=Header`);
        continue;
      }
      const name = part
        .slice(0, eq)
        .trim()
        .toLowerCase()
        .replace(/[\s-]+/g, '_');
      const field = FIELDS.find((f) => f === name || headerKey(f) === headerKey(name));
      if (!field) {
        problems.push(`unknown field "${part.slice(0, eq).trim()}"`);
        continue;
      }
      const header = part.slice(eq + 1).trim();
      out[field] = header === '' ? null : header;
    }
  }
  if (problems.length > 0) {
    throw new UsageError(`invalid --map: ${problems.join('; ')}`, [
      `Fields: ${FIELDS.join(', ')}. Example: --map vin=VIN_NUM,dealership=seller (field= means "no column").`,
    ]);
  }
  return out;
}

/** Where each field is in a file. */
export interface ColumnPlan {
  /** The file's headers as written. */
  headers: string[];
  /** Column index per field; fields the file lacks are absent. */
  index: Partial<Record<Field, number>>;
  /** field -> header used, for the report. */
  used: Partial<Record<Field, string>>;
  /** Headers that could have been a field but lost to a better alias (e.g. `type` when `condition` exists). */
  shadowed: { field: Field; header: string; used: string }[];
}

/**
 * Recognizes the columns of a header row. `map` overrides per field; `dealershipFixed` (from
 * `--dealer`) makes the dealership column optional. A missing VIN or dealership column, or a
 * `--map` header that is not in the file, is an InputError listing the headers found.
 */
export function planColumns(
  headers: readonly string[],
  opts: { map?: Partial<Record<Field, string | null>>; dealershipFixed?: boolean; file?: string } = {},
): ColumnPlan {
  const keys = headers.map(headerKey);
  const taken = new Set<number>();
  const index: Partial<Record<Field, number>> = {};
  const used: Partial<Record<Field, string>> = {};
  const shadowed: ColumnPlan['shadowed'] = [];
  const problems: string[] = [];
  const map = opts.map ?? {};
  // At most 50: a file with a million columns must not make a message of megabytes.
  const found = () =>
    `Headers found: ${headers
      .slice(0, 50)
      .map((h) => JSON.stringify(h.length > 80 ? `${h.slice(0, 80)}...` : h))
      .join(', ')}${headers.length > 50 ? `, and ${headers.length - 50} more` : ''}`;

  // Explicit --map entries first, so an alias cannot take their column.
  for (const field of FIELDS) {
    if (!(field in map)) continue;
    const header = map[field];
    if (header === null || header === undefined) continue;
    let i = headers.indexOf(header);
    if (i < 0) i = keys.indexOf(headerKey(header));
    if (i < 0) problems.push(`--map ${field}=${header}: the file has no column "${header}"`);
    else {
      index[field] = i;
      used[field] = headers[i]!;
      taken.add(i);
    }
  }
  for (const field of FIELDS) {
    if (field in map) continue;
    const candidates: number[] = [];
    for (const alias of FIELD_ALIASES[field]) {
      const k = headerKey(alias);
      keys.forEach((key, i) => {
        if (key === k && !taken.has(i) && !candidates.includes(i)) candidates.push(i);
      });
    }
    const best = candidates[0];
    if (best === undefined) continue;
    index[field] = best;
    used[field] = headers[best]!;
    taken.add(best);
    for (const other of candidates.slice(1)) {
      shadowed.push({ field, header: headers[other]!, used: headers[best]! });
    }
  }
  if (index.vin === undefined && !problems.some((p) => p.startsWith('--map vin'))) {
    problems.push(`no VIN column (looked for ${FIELD_ALIASES.vin.map((a) => `"${a}"`).join(', ')})`);
  }
  if (
    index.dealership === undefined &&
    !opts.dealershipFixed &&
    !problems.some((p) => p.startsWith('--map dealership'))
  ) {
    problems.push(
      `no dealership column (looked for ${FIELD_ALIASES.dealership.map((a) => `"${a}"`).join(', ')})`,
    );
  }
  if (problems.length > 0) {
    throw new InputError(`${opts.file ? `${opts.file}: ` : ''}${problems.join('; ')}`, {
      file: opts.file,
      line: 1,
      hints: [
        found(),
        'Name the columns with --map field=Header (e.g. --map vin=VIN_NUM,dealership=seller), ' +
          'or give every row one dealership with --dealer NAME.',
      ],
    });
  }
  return { headers: [...headers], index, used, shadowed };
}

/** True when a row repeats the header (a concatenated export): every cell equals its header. */
export function isHeaderRow(fields: readonly string[], headers: readonly string[]): boolean {
  if (fields.length !== headers.length) return false;
  for (let i = 0; i < fields.length; i++) {
    if (fields[i]!.trim().toLowerCase() !== headers[i]!.trim().toLowerCase()) return false;
  }
  return true;
}
