/**
 * Order templates: the columns of an order CSV, defined once here and used by CAO, LIST, the
 * wizard and the tests (DESIGN.md "Order folder"). Also the QR content and the names inside an
 * order folder, so a preview can show them without writing anything.
 *
 * Glossary: a *template* is a list of *columns*; a column is a CSV header and an *expression*.
 * A header starting with `@` is an InDesign Data Merge image field: its cells hold the QR PNG
 * path, relative to the CSV (`qr_codes/<VIN>.png`; InDesign resolves it against the CSV's folder).
 *
 * Expression syntax (built-in and custom templates alike):
 * - text with `{field}` placeholders; `{{` and `}}` are literal braces. Field names are
 *   case-insensitive; `{field:upper}` / `{field:lower}` change the case of the value.
 * - `@qr` alone, or `{qr}`, is the QR PNG path.
 * - fields: vin, stock, year, make, model, trim, price (`$34,995`), price_number (`34995`), url,
 *   qr_content (what the QR code says), condition (`new|po|cpo|unknown`), label (`NEW|USED|CERTIFIED`,
 *   also written `{NEW|USED|CERTIFIED}`), full_name (`{year} {make} {model}`), dealership, reason.
 * - a missing value (no stock, no price...) drops out together with the text joining it to the
 *   previous value, so `{year} {model} - {stock}` without a stock is `2024 Accord`, not
 *   `2024 Accord - `. Text before the first value stays only if that value is there, text after
 *   the last only if the last is there.
 * - a cell that ends up empty is `*` in custom templates (DESIGN.md) and empty in built-in ones.
 *
 * Every cell passes through `neutralizeFormula`, so a value a spreadsheet would run as a formula
 * is written as text. Headers are validated instead (they are never neutralized: `@QR` must stay).
 */
import { InputError, NotFoundError } from '../errors.js';
import { slugify, TEMPLATES, type Condition } from './dealership.js';
import type { OrderType, OrderVehicle } from './order.js';
import { qrFilePath } from './qr-path.js';
import { localStamp } from './calendar.js';

/** The fields an expression can name. */
export const TEMPLATE_FIELDS = [
  'vin',
  'stock',
  'year',
  'make',
  'model',
  'trim',
  'price',
  'price_number',
  'url',
  'qr',
  'qr_content',
  'condition',
  'label',
  'full_name',
  'dealership',
  'reason',
] as const;
export type TemplateField = (typeof TEMPLATE_FIELDS)[number];

export type BuiltInTemplateName = (typeof TEMPLATES)[number];

/** Built-in templates: header -> expression, in column order. DESIGN.md is the contract. */
export const BUILT_IN_TEMPLATES: Readonly<
  Record<BuiltInTemplateName, readonly (readonly [string, string])[]>
> = {
  standard: [
    ['VIN', '{vin}'],
    ['Make', '{make}'],
    ['Model', '{model}'],
    ['Year', '{year}'],
    ['Price', '{price}'],
    ['Full_Name', '{full_name}'],
    ['URL', '{url}'],
    ['Dealership', '{dealership}'],
    ['Stock', '{stock}'],
    ['Condition', '{label}'],
    ['@QR', '@qr'],
  ],
  // A header means the same thing in every built-in template: STOCK is `{year} {model} - {stock}`
  // here as in shortcut_pack, MODEL is the model alone.
  shortcut: [
    ['STOCK', '{year} {model} - {stock}'],
    ['MODEL', '{model}'],
    ['@QR', '@qr'],
  ],
  shortcut_pack: [
    ['YEARMAKE', '{year} {make}'],
    ['MODEL', '{model}'],
    ['TRIM', '{trim}'],
    ['STOCK', '{year} {model} - {stock}'],
    ['VIN', '{label} - {vin}'],
    ['@QR', '@qr'],
    ['QRYEARMODEL', '{year} {model} - {stock}'],
    ['QRSTOCK', '{label} - {vin}'],
    ['@QR2', '@qr'],
    ['MISC', '{year} {model} - {stock} - {label} - {vin}'],
  ],
  flyout: [
    ['QRYEARMODEL', '{year} {model} - {stock}'],
    ['QRPRICE', '{price}'],
    ['@QR2', '@qr'],
  ],
};

/** A custom template from the dealership setting `custom_templates`. */
export interface CustomTemplateDefinition {
  name: string;
  /** Header -> expression, in column order (JSON object order; headers are never integer-like). */
  columns: Record<string, string>;
}

type Token =
  | { kind: 'text'; text: string }
  | { kind: 'field'; field: TemplateField; modifier: 'upper' | 'lower' | null };

/** One CSV column of a template. */
export interface TemplateColumn {
  header: string;
  expression: string;
  /** True for `@` headers: InDesign reads the cell as an image path. */
  image: boolean;
  tokens: readonly Token[];
}

/** A resolved template, ready for `renderRows`. */
export interface Template {
  name: string;
  builtIn: boolean;
  columns: readonly TemplateColumn[];
  /** What a cell that renders empty is written as. */
  emptyCell: string;
}

/** Values every vehicle's cells are rendered from, besides the vehicle itself. */
export interface RenderContext {
  /** The dealership's display name, for `{dealership}`. */
  dealership?: string;
}

const FIELD_ALIASES: Record<string, TemplateField> = { 'new|used|certified': 'label' };

/** Splits an expression into text and field tokens; throws a readable message on a bad one. */
function parseExpression(expression: string): Token[] {
  if (/^\s*@qr\s*$/i.test(expression)) return [{ kind: 'field', field: 'qr', modifier: null }];
  const tokens: Token[] = [];
  let text = '';
  let i = 0;
  while (i < expression.length) {
    const ch = expression[i]!;
    if ((ch === '{' || ch === '}') && expression[i + 1] === ch) {
      text += ch;
      i += 2;
      continue;
    }
    if (ch === '}') throw new Error(`unmatched "}" at position ${i + 1} (write "}}" for a literal brace)`);
    if (ch !== '{') {
      text += ch;
      i++;
      continue;
    }
    const end = expression.indexOf('}', i + 1);
    if (end < 0) throw new Error(`unclosed "{" at position ${i + 1} (write "{{" for a literal brace)`);
    const [rawName = '', rawModifier, ...rest] = expression
      .slice(i + 1, end)
      .trim()
      .split(':');
    const name = rawName.trim().toLowerCase();
    const field = (TEMPLATE_FIELDS as readonly string[]).includes(name)
      ? (name as TemplateField)
      : Object.hasOwn(FIELD_ALIASES, name)
        ? FIELD_ALIASES[name]
        : undefined;
    if (!field) throw new Error(`unknown field "{${rawName}}"; known fields: ${TEMPLATE_FIELDS.join(', ')}`);
    const modifier = rawModifier?.trim().toLowerCase();
    if (rest.length > 0 || (modifier !== undefined && modifier !== 'upper' && modifier !== 'lower'))
      throw new Error(`unknown modifier in "{${expression.slice(i + 1, end)}}"; use :upper or :lower`);
    if (text) tokens.push({ kind: 'text', text });
    text = '';
    tokens.push({ kind: 'field', field, modifier: (modifier as 'upper' | 'lower' | undefined) ?? null });
    i = end + 1;
  }
  if (text) tokens.push({ kind: 'text', text });
  return tokens;
}

// Headers are written as they are: letters, digits, `_`, space, `.`, `#`, `-`, and `@` only in
// front (the image marker). Nothing a spreadsheet could run, nothing that needs CSV quoting.
const HEADER_PATTERN = /^@?[A-Za-z0-9_][A-Za-z0-9_ .#-]*$/;

/** Builds a template from header/expression pairs, collecting every problem into one InputError. */
export function compileTemplate(
  name: string,
  columns: readonly (readonly [string, string])[],
  opts: { builtIn?: boolean } = {},
): Template {
  const problems: string[] = [];
  if (columns.length === 0) problems.push('it has no columns');
  const seen = new Set<string>();
  const compiled: TemplateColumn[] = [];
  for (const [header, expression] of columns) {
    if (!HEADER_PATTERN.test(header) || header.length > 64)
      problems.push(
        `header "${header}" is not allowed: use letters, digits, _ . # - and spaces, with @ only in front`,
      );
    if (seen.has(header.toLowerCase())) problems.push(`header "${header}" appears twice`);
    seen.add(header.toLowerCase());
    try {
      compiled.push({
        header,
        expression,
        image: header.startsWith('@'),
        tokens: parseExpression(expression),
      });
    } catch (err) {
      problems.push(`column "${header}": ${(err as Error).message}`);
    }
  }
  if (problems.length > 0)
    throw new InputError(`template "${name}" is invalid: ${problems[0]}`, {
      hints: [
        ...problems.slice(1),
        'Fix the custom_templates setting of the dealership (silverfox dealers set).',
      ],
    });
  return { name, builtIn: opts.builtIn ?? false, columns: compiled, emptyCell: opts.builtIn ? '' : '*' };
}

/** The names `resolveTemplate` accepts for a dealership: the built-ins, then its custom ones. */
export function templateNames(customTemplates: readonly CustomTemplateDefinition[] = []): string[] {
  return [...TEMPLATES, ...customTemplates.map((t) => t.name)];
}

/**
 * The template a name denotes (`Shortcut Pack`, `shortcut-pack` and `shortcut_pack` are one):
 * a built-in, or one of the dealership's custom templates. Built-in names cannot be redefined.
 */
export function resolveTemplate(
  name: string,
  customTemplates: readonly CustomTemplateDefinition[] = [],
): Template {
  const key = slugify(name);
  for (const custom of customTemplates) {
    if ((TEMPLATES as readonly string[]).includes(custom.name))
      throw new InputError(`custom template "${custom.name}" has the name of a built-in template`, {
        hints: ['Rename it in the custom_templates setting of the dealership.'],
      });
  }
  const builtIn = (TEMPLATES as readonly string[]).includes(key) ? (key as BuiltInTemplateName) : null;
  if (builtIn) return compileTemplate(builtIn, BUILT_IN_TEMPLATES[builtIn], { builtIn: true });
  const custom = customTemplates.find((t) => slugify(t.name) === key);
  if (custom) return compileTemplate(custom.name, Object.entries(custom.columns));
  throw new NotFoundError(`unknown template "${name}"`, [
    `Known templates: ${templateNames(customTemplates).join(', ')}.`,
    'Custom templates are defined in the dealership setting custom_templates.',
  ]);
}

/** `{NEW|USED|CERTIFIED}`: unknown prints as USED (a car not marked new is not sold as new). */
export function conditionLabel(condition: Condition): 'NEW' | 'USED' | 'CERTIFIED' {
  return condition === 'new' ? 'NEW' : condition === 'cpo' ? 'CERTIFIED' : 'USED';
}

/**
 * Which file of a `split_new_used` order a vehicle goes to: new -> NEW; po, cpo and unknown ->
 * USED (same reasoning as the label; billing and order_summary.json count unknown apart).
 */
export function csvPart(condition: Condition): 'NEW' | 'USED' {
  return condition === 'new' ? 'NEW' : 'USED';
}

/** Splits vehicles for `split_new_used`, keeping their order within each part. */
export function splitNewUsed<V extends { condition: Condition }>(
  vehicles: readonly V[],
): { NEW: V[]; USED: V[] } {
  const parts = { NEW: [] as V[], USED: [] as V[] };
  for (const v of vehicles) parts[csvPart(v.condition)].push(v);
  return parts;
}

/** `34995` -> `$34,995` (whole dollars). */
export function formatPrice(price: number | null): string {
  if (price === null || !Number.isFinite(price) || price <= 0) return '';
  return '$' + String(Math.round(price)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export const QR_UTM_SOURCE = 'SilverFox';
export const QR_UTM_MEDIUM = 'VDP_ShortCut';

/**
 * A usable vehicle URL (http or https; a bare `www.` host is a URL without its scheme and gets
 * https: DESIGN.md gives the VIN only when there is no URL), or null.
 */
function vehicleUrl(url: string | null): string | null {
  const u = url?.trim() ?? '';
  if (/^https?:\/\/[^\s/?#]+/i.test(u)) return u;
  if (/^www\.[^\s/?#]+\.[a-z]{2,}/i.test(u)) return `https://${u}`;
  return null;
}

/** What scanning a vehicle's QR code gives, in words for a sticker: its page, or only its VIN. */
export function qrScanHint(vehicle: Pick<OrderVehicle, 'url'>): string {
  return vehicleUrl(vehicle.url) ? 'Scan for photos, options and price' : 'Scan for the VIN';
}

/**
 * What a vehicle's QR code says: its URL with `utm_source=SilverFox&utm_medium=VDP_ShortCut`
 * (an existing query string is kept, a fragment stays last, utm_source/utm_medium already there
 * are replaced), or its VIN when it has no usable URL.
 */
export function qrContent(vehicle: Pick<OrderVehicle, 'vin' | 'url'>): string {
  const url = vehicleUrl(vehicle.url);
  if (!url) return vehicle.vin.trim().toUpperCase();
  // Phone scanners differ on raw spaces and non-ASCII: percent-encode them, keep the rest as is.
  const clean = url.replace(/[^\x21-\x7e]/gu, (c) => {
    try {
      return encodeURIComponent(c);
    } catch {
      return ''; // a lone UTF-16 surrogate: not a character, nothing to encode
    }
  });
  const hash = clean.indexOf('#');
  const fragment = hash >= 0 ? clean.slice(hash) : '';
  const beforeFragment = hash >= 0 ? clean.slice(0, hash) : clean;
  const q = beforeFragment.indexOf('?');
  const base = q >= 0 ? beforeFragment.slice(0, q) : beforeFragment;
  const params = (q >= 0 ? beforeFragment.slice(q + 1) : '')
    .split('&')
    .filter((p) => p !== '' && !/^utm_(source|medium)(=|$)/i.test(p));
  params.push(`utm_source=${QR_UTM_SOURCE}`, `utm_medium=${QR_UTM_MEDIUM}`);
  return `${base}?${params.join('&')}${fragment}`;
}

// The QR file names live with the QR path bases (core/qr-path), which config loads at start-up
// without this module; re-exported here, where order code looks for them.
export { QR_DIR, qrFilePath } from './qr-path.js';

/**
 * A cell a spreadsheet would run as a formula (`=`, `+`, `@`, `-`, tab or CR first) gets a leading
 * `'` so it is read as text. Only a plain negative number (`-5`, `-1,250.00`) keeps its `-`: a digit
 * after it is not enough (`-2+3+cmd|' /C calc'!A0` is the classic DDE payload).
 */
export function neutralizeFormula(cell: string): string {
  if (/^[=+@\t\r]/.test(cell)) return `'${cell}`;
  return cell.length > 1 && cell.startsWith('-') && !/^-[0-9][0-9.,]*$/.test(cell) ? `'${cell}` : cell;
}

/** The value of one field for one vehicle (null when it has none): shared by CSV templates and sticker sheets. */
export function fieldValue(
  field: TemplateField,
  v: OrderVehicle,
  qrPath: string,
  ctx: RenderContext,
): string | null {
  const text = (s: string | null | undefined) => {
    const t = s?.trim();
    return t ? t : null;
  };
  switch (field) {
    case 'vin':
      return text(v.vin);
    case 'stock':
      return text(v.stock);
    case 'year':
      return v.year === null ? null : String(v.year);
    case 'make':
      return text(v.make);
    case 'model':
      return text(v.model);
    case 'trim':
      return text(v.trim);
    case 'price':
      return text(formatPrice(v.price));
    case 'price_number':
      return v.price !== null && Number.isFinite(v.price) && v.price > 0 ? String(v.price) : null;
    case 'url':
      return text(v.url);
    case 'qr':
      return qrPath;
    case 'qr_content':
      return qrContent(v);
    case 'condition':
      return v.condition;
    case 'label':
      return conditionLabel(v.condition);
    case 'full_name':
      return renderTokens(FULL_NAME, v, qrPath, ctx);
    case 'dealership':
      return text(ctx.dealership);
    case 'reason':
      return v.reason;
  }
}

// Rule 2's full name, `{year} {make} {model}`, with the same missing-value rule as any expression.
const FULL_NAME = parseExpression('{year} {make} {model}');

function renderTokens(tokens: readonly Token[], v: OrderVehicle, qrPath: string, ctx: RenderContext): string {
  let out = '';
  let pending = '';
  let seenField = false;
  let anyPresent = false;
  let lastPresent = true;
  for (const token of tokens) {
    if (token.kind === 'text') {
      pending += token.text;
      continue;
    }
    let value = fieldValue(token.field, v, qrPath, ctx);
    if (value !== null && token.modifier === 'upper') value = value.toUpperCase();
    if (value !== null && token.modifier === 'lower') value = value.toLowerCase();
    // Text before a value stays when the value is there and, past the first field, when a value
    // came before it: the separator belongs to the value it introduces.
    if (value !== null) {
      if (anyPresent || !seenField) out += pending;
      out += value;
      anyPresent = true;
    }
    lastPresent = value !== null;
    seenField = true;
    pending = '';
  }
  if (!seenField || lastPresent) out += pending;
  return out.trim();
}

/** The header and the cells of a template for vehicles, in order; every cell formula-safe. */
export function renderRows(
  template: Template,
  vehicles: readonly OrderVehicle[],
  qrPathOf: (vehicle: OrderVehicle) => string = (v) => qrFilePath(v.vin),
  ctx: RenderContext = {},
): { header: string[]; rows: string[][] } {
  return {
    header: template.columns.map((c) => c.header),
    rows: vehicles.map((v) => {
      const qrPath = qrPathOf(v);
      return template.columns.map((c) => {
        const cell = renderTokens(c.tokens, v, qrPath, ctx);
        return cell === '' ? template.emptyCell : neutralizeFormula(cell);
      });
    }),
  };
}

/**
 * `<slug>_<cao|list>_<YYYYMMDD-HHMMSS>` in local time; the writer adds `_2`, `_3`... when that
 * folder exists already (two orders in one second).
 */
export function orderFolderName(slug: string, type: OrderType, createdAt: Date): string {
  return `${slugify(slug)}_${type}_${localStamp(createdAt)}`;
}

/** `<slug>_<template>[_NEW|_USED].csv` */
export function orderCsvFileName(slug: string, templateName: string, part?: 'NEW' | 'USED'): string {
  return `${slugify(slug)}_${slugify(templateName)}${part ? `_${part}` : ''}.csv`;
}

/** `<slug>_billing.csv` */
export function billingFileName(slug: string): string {
  return `${slugify(slug)}_billing.csv`;
}

/** The manifest of an order folder: what it is and the SHA-256 of every other file. */
export const ORDER_SUMMARY_FILE = 'order_summary.json';
