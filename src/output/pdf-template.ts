/**
 * Sticker templates: HTML/CSS documents designers edit, filled with an order's vehicles.
 *
 * Glossary: a *sticker template* is a folder `templates/<name>/` holding `sticker.html` (the
 * print sheet: one page per vehicle) and `proof.html` (the proof sheet: every vehicle of the
 * order on as few pages as the design allows), plus any CSS, fonts or images they link to by
 * relative path. Each document marks the part repeated per vehicle with `{{#vehicles}}` ...
 * `{{/vehicles}}` (exactly once) and names values as `{{field}}`. Every value is HTML-escaped,
 * whatever it holds: scraped text is data, never markup. There is no way to insert raw HTML.
 *
 * This module is pure apart from `loadStickerTemplate` (which reads the folder).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fieldValue, qrScanHint, TEMPLATE_FIELDS, type TemplateField } from '../core/templates.js';
import type { OrderVehicle } from '../core/order.js';
import { InputError, NotFoundError } from '../errors.js';
import { localDay } from '../core/calendar.js';

/** Values of one vehicle, usable inside the `{{#vehicles}}` block. */
export const VEHICLE_FIELDS = [
  // The CSV templates' vehicle fields (one list, core/templates), plus the place on the sheet
  // and what scanning the QR code gives (its page, or only the VIN).
  ...TEMPLATE_FIELDS.filter((f): f is Exclude<TemplateField, 'dealership'> => f !== 'dealership'),
  'position',
  'qr_hint',
] as const;

/** Values of the order, usable anywhere in a document. */
export const ORDER_FIELDS = [
  'dealership',
  'order_id',
  'order_type',
  'order_date',
  'vehicle_count',
  'template',
] as const;

export type VehicleField = (typeof VEHICLE_FIELDS)[number];
export type OrderField = (typeof ORDER_FIELDS)[number];

/** The two documents of a sticker template. */
export const TEMPLATE_DOCUMENTS = ['sticker', 'proof'] as const;
export type TemplateDocument = (typeof TEMPLATE_DOCUMENTS)[number];

type Part = { kind: 'text'; text: string } | { kind: 'field'; field: VehicleField | OrderField };

/** A parsed document: what comes before, inside and after the vehicles block. */
export interface ParsedDocument {
  file: string;
  before: Part[];
  block: Part[];
  after: Part[];
}

/** A loaded sticker template. */
export interface StickerTemplate {
  name: string;
  /** The folder; relative links in the documents resolve against it. */
  dir: string;
  sticker: ParsedDocument;
  proof: ParsedDocument;
}

/** The order-level values of a render. */
export interface OrderInfo {
  dealership: string;
  orderId: number;
  orderType: string;
  createdAt: Date;
  template: string;
  vehicleCount: number;
}

/** A vehicle to render, with its QR image as bytes (PNG). */
export interface StickerVehicle extends OrderVehicle {
  position: number;
  qrPng: Uint8Array;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML content and quoted or unquoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const lineOf = (text: string, index: number) => text.slice(0, index).split('\n').length;

/** Parses one document; every problem (unknown field, bad block) is collected into one InputError. */
export function parseDocument(file: string, text: string): ParsedDocument {
  const problems: string[] = [];
  const parts: Part[][] = [[]];
  const re = /\{\{\s*([#/]?)\s*([A-Za-z_][A-Za-z0-9_]*)?\s*\}\}/g;
  let last = 0;
  let opens = 0;
  let closes = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const [whole, sigil, rawName = ''] = m;
    const name = rawName.toLowerCase();
    const current = parts[parts.length - 1]!;
    if (m.index > last) current.push({ kind: 'text', text: text.slice(last, m.index) });
    last = m.index + whole.length;
    const at = `line ${lineOf(text, m.index)}`;
    if (sigil === '#' || sigil === '/') {
      if (name !== 'vehicles') {
        problems.push(`${at}: unknown block "${whole}"; the only block is {{#vehicles}} ... {{/vehicles}}`);
        continue;
      }
      if (sigil === '#') {
        opens++;
        if (opens > 1 || parts.length !== 1) problems.push(`${at}: {{#vehicles}} may appear only once`);
        else parts.push([]);
      } else {
        closes++;
        if (parts.length !== 2) problems.push(`${at}: {{/vehicles}} without {{#vehicles}} before it`);
        else parts.push([]);
      }
      continue;
    }
    const inBlock = parts.length === 2;
    if ((ORDER_FIELDS as readonly string[]).includes(name)) {
      current.push({ kind: 'field', field: name as OrderField });
    } else if ((VEHICLE_FIELDS as readonly string[]).includes(name)) {
      if (inBlock) current.push({ kind: 'field', field: name as VehicleField });
      else
        problems.push(
          `${at}: {{${rawName}}} is a vehicle field; use it inside {{#vehicles}} ... {{/vehicles}}`,
        );
    } else {
      problems.push(
        `${at}: unknown field {{${rawName}}}; vehicle fields: ${VEHICLE_FIELDS.join(', ')}; order fields: ${ORDER_FIELDS.join(', ')}`,
      );
    }
  }
  const tail = text.slice(last);
  if (tail) parts[parts.length - 1]!.push({ kind: 'text', text: tail });
  if (opens === 0) problems.push('there is no {{#vehicles}} ... {{/vehicles}} block');
  else if (closes === 0) problems.push('{{#vehicles}} is never closed with {{/vehicles}}');
  if (problems.length > 0) {
    throw new InputError(`sticker template file ${file} is invalid: ${problems[0]}`, {
      file,
      hints: [...problems.slice(1), 'See templates/README.md for the fields and the block.'],
    });
  }
  return { file, before: parts[0]!, block: parts[1]!, after: parts[2] ?? [] };
}

/** The names of the templates in a folder (sub-folders holding a sticker.html). */
export function listStickerTemplates(templatesDir: string): string[] {
  if (!existsSync(templatesDir)) return [];
  return readdirSync(templatesDir)
    .filter((n) => existsSync(path.join(templatesDir, n, 'sticker.html')))
    .sort();
}

/** Reads and checks `templatesDir/<name>/`; a missing template lists the ones there are. */
export function loadStickerTemplate(templatesDir: string, name: string): StickerTemplate {
  const dir = path.join(templatesDir, name);
  if (!/^[a-z0-9][a-z0-9_-]*$/i.test(name) || !existsSync(dir) || !statSync(dir).isDirectory()) {
    const known = listStickerTemplates(templatesDir);
    throw new NotFoundError(`unknown sticker template "${name}" in ${templatesDir}`, [
      known.length > 0 ? `Templates there: ${known.join(', ')}.` : 'That folder holds no templates.',
      'Pick one with --template, or set the dealership setting sticker_template (silverfox dealers set NAME --setting sticker_template=...).',
      'SILVERFOX_TEMPLATES_DIR says where templates are.',
    ]);
  }
  const docs = {} as Record<TemplateDocument, ParsedDocument>;
  for (const doc of TEMPLATE_DOCUMENTS) {
    const file = path.join(dir, `${doc}.html`);
    if (!existsSync(file))
      throw new InputError(`sticker template "${name}" has no ${doc}.html`, {
        file,
        hints: ['A template folder needs sticker.html and proof.html; copy templates/default to start.'],
      });
    docs[doc] = parseDocument(file, readFileSync(file, 'utf8'));
  }
  return { name, dir, ...docs };
}

function orderValue(field: OrderField, order: OrderInfo): string {
  switch (field) {
    case 'dealership':
      return order.dealership;
    case 'order_id':
      return String(order.orderId);
    case 'order_type':
      return order.orderType.toUpperCase();
    case 'order_date':
      return localDay(order.createdAt);
    case 'vehicle_count':
      return String(order.vehicleCount);
    case 'template':
      return order.template;
  }
}

function vehicleValue(field: VehicleField, v: StickerVehicle, qrUri: string): string {
  // One home per rule: every field but the sheet position reads as in the CSV templates.
  if (field === 'position') return String(v.position);
  if (field === 'qr_hint') return qrScanHint(v);
  return fieldValue(field, v, qrUri, {}) ?? '';
}

function fill(parts: readonly Part[], order: OrderInfo, v?: StickerVehicle, qrUri = ''): string {
  let out = '';
  for (const p of parts) {
    if (p.kind === 'text') out += p.text;
    else if ((ORDER_FIELDS as readonly string[]).includes(p.field))
      out += escapeHtml(orderValue(p.field as OrderField, order));
    else out += escapeHtml(v ? vehicleValue(p.field as VehicleField, v, qrUri) : '');
  }
  return out;
}

/** The PNG as a data: URI, so a render needs no file access for QR codes. */
export function pngDataUri(png: Uint8Array): string {
  return `data:image/png;base64,${Buffer.from(png).toString('base64')}`;
}

/** The HTML of a document for some vehicles of an order. */
export function renderDocument(
  doc: ParsedDocument,
  order: OrderInfo,
  vehicles: readonly StickerVehicle[],
): string {
  let html = fill(doc.before, order);
  for (const v of vehicles) html += fill(doc.block, order, v, pngDataUri(v.qrPng));
  return html + fill(doc.after, order);
}
