import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError, NotFoundError } from '../../src/errors.js';
import {
  escapeHtml,
  listStickerTemplates,
  loadStickerTemplate,
  parseDocument,
  renderDocument,
  type OrderInfo,
  type StickerVehicle,
} from '../../src/output/pdf-template.js';
import { chunkSizeFor } from '../../src/output/pdf.js';
import { fieldValue } from '../../src/core/templates.js';
import { ROOT } from '../helpers/env.js';

const order: OrderInfo = {
  dealership: 'H&W Kia',
  orderId: 42,
  orderType: 'list',
  createdAt: new Date(2026, 10, 23, 9, 30),
  template: 'default',
  vehicleCount: 2,
};

const vehicle = (over: Partial<StickerVehicle> = {}): StickerVehicle => ({
  vin: '1HGCM82633A004352',
  stock: 'H1234',
  year: 2024,
  make: 'Honda',
  model: 'Accord',
  trim: 'EX-L',
  condition: 'cpo',
  price: 34995,
  url: 'https://example.test/vdp/1',
  reason: 'new',
  notOnWebsite: false,
  position: 1,
  qrPng: Buffer.from([0x89, 0x50, 0x4e, 0x47]),
  ...over,
});

describe('sticker template documents', () => {
  it('fills order fields anywhere and vehicle fields per vehicle, in order', () => {
    const doc = parseDocument(
      'x.html',
      '<h1>{{dealership}} #{{ order_id }}</h1>{{#vehicles}}<p>{{position}}. {{full_name}} {{label}} {{price}} {{stock}}</p>{{/vehicles}}<i>{{vehicle_count}} {{order_type}} {{order_date}}</i>',
    );
    const html = renderDocument(doc, order, [
      vehicle(),
      vehicle({ position: 2, vin: 'X', year: null, make: null, stock: null, price: null, condition: 'new' }),
    ]);
    expect(html).toBe(
      '<h1>H&amp;W Kia #42</h1><p>1. 2024 Honda Accord CERTIFIED $34,995 H1234</p><p>2. Accord NEW  </p><i>2 LIST 2026-11-23</i>',
    );
  });

  it('escapes every value, in text and in attributes: markup in scraped data stays text', () => {
    const doc = parseDocument(
      'x.html',
      '{{#vehicles}}<a title="{{model}}" data-x=\'{{trim}}\'>{{model}}</a>{{/vehicles}}',
    );
    const html = renderDocument(doc, order, [
      vehicle({ model: '<script>alert("x")</script>', trim: "it's & <b>" }),
    ]);
    expect(html).not.toContain('<script>');
    expect(html).toBe(
      '<a title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" data-x=\'it&#39;s &amp; &lt;b&gt;\'>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</a>',
    );
    expect(escapeHtml(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;');
  });

  it('gives the QR image as a data URI and the QR content with the utm parameters', () => {
    const doc = parseDocument('x.html', '{{#vehicles}}<img src="{{qr}}">{{qr_content}}{{/vehicles}}');
    const html = renderDocument(doc, order, [vehicle()]);
    expect(html).toBe(
      '<img src="data:image/png;base64,iVBORw==">https://example.test/vdp/1?utm_source=SilverFox&amp;utm_medium=VDP_ShortCut',
    );
  });

  it('reports every problem of a document at once, with lines', () => {
    const err = (() => {
      try {
        parseDocument('bad.html', '{{vin}}\n{{#vehicles}}{{colour}}\n{{#vehicles}}{{/vehicles}}{{#items}}');
      } catch (e) {
        return e as InputError;
      }
    })()!;
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toBe(
      'sticker template file bad.html is invalid: line 1: {{vin}} is a vehicle field; use it inside {{#vehicles}} ... {{/vehicles}}',
    );
    expect(err.hints.join('\n')).toContain('line 2: unknown field {{colour}}');
    expect(err.hints.join('\n')).toContain('line 3: {{#vehicles}} may appear only once');
    expect(err.hints.join('\n')).toContain('line 3: unknown block "{{#items}}"');
    expect(() => parseDocument('x.html', '<p>no block</p>')).toThrow(/no \{\{#vehicles\}\}/);
    expect(() => parseDocument('x.html', '{{#vehicles}}<p>')).toThrow(/never closed/);
    expect(() => parseDocument('x.html', '{{/vehicles}}')).toThrow(/without \{\{#vehicles\}\}/);
  });

  it('the shipped templates load; an unknown one lists those there are', () => {
    const dir = path.join(ROOT, 'templates');
    expect(listStickerTemplates(dir)).toContain('default');
    const t = loadStickerTemplate(dir, 'default');
    expect(t.sticker.block.length).toBeGreaterThan(0);
    expect(t.proof.block.length).toBeGreaterThan(0);
    expect(() => loadStickerTemplate(dir, 'nope')).toThrow(NotFoundError);
    expect(() => loadStickerTemplate(dir, '../default')).toThrow(NotFoundError);
  });

  it('the default sticker promises photos only when the QR holds a URL, not only the VIN', () => {
    const t = loadStickerTemplate(path.join(ROOT, 'templates'), 'default');
    const html = renderDocument(t.sticker, order, [
      vehicle(),
      vehicle({ position: 2, vin: '5XYP3DHC9NG000002', url: 'www.example.test/vdp/2' }),
      vehicle({ position: 3, vin: '5XYP3DHC9NG000003', url: null }),
      vehicle({ position: 4, vin: '5XYP3DHC9NG000004', url: 'not a url' }),
    ]);
    const stickers = html.split('<section class="sticker">').slice(1);
    expect(stickers).toHaveLength(4);
    const hint = (s: string) => /<div class="scan">([^<]*)<\/div>/.exec(s)![1];
    expect(stickers.map(hint)).toEqual([
      'Scan for photos, options and price',
      'Scan for photos, options and price',
      'Scan for the VIN',
      'Scan for the VIN',
    ]);
    expect(fieldValue('qr_content', vehicle({ url: 'www.example.test/vdp/2' }), '', {})).toMatch(
      /^https:\/\/www\.example\.test\/vdp\/2\?utm_source=SilverFox/,
    );
    expect(fieldValue('qr_content', vehicle({ url: null }), '', {})).toBe('1HGCM82633A004352');
  });

  it('full names leave out what is missing; chunks keep the pool busy but stay small', () => {
    const v = {
      vin: 'X',
      stock: null,
      trim: null,
      condition: 'new',
      price: null,
      url: null,
      reason: 'new',
      notOnWebsite: false,
    } as const;
    expect(fieldValue('full_name', { ...v, year: 2024, make: ' Honda ', model: 'Accord' }, '', {})).toBe(
      '2024 Honda Accord',
    );
    expect(fieldValue('full_name', { ...v, year: null, make: null, model: 'Accord' }, '', {})).toBe('Accord');
    expect(chunkSizeFor(500, 4)).toBe(25);
    expect(chunkSizeFor(7, 3)).toBe(3);
    expect(chunkSizeFor(1, 8)).toBe(1);
  });
});
