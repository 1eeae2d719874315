import { describe, expect, it } from 'vitest';
import type { OrderVehicle } from '../../src/core/order.js';
import {
  BUILT_IN_TEMPLATES,
  compileTemplate,
  type CustomTemplateDefinition,
  conditionLabel,
  formatPrice,
  neutralizeFormula,
  orderCsvFileName,
  orderFolderName,
  qrContent,
  qrFilePath,
  renderRows,
  resolveTemplate,
  splitNewUsed,
  templateNames,
} from '../../src/core/templates.js';
import { InputError, NotFoundError } from '../../src/errors.js';

const accord: OrderVehicle = {
  vin: '1HGCV1F34LA012345',
  stock: 'H1234',
  year: 2024,
  make: 'Honda',
  model: 'Accord',
  trim: 'EX-L',
  condition: 'new',
  price: 34995,
  url: 'https://www.columbiahonda.com/new/Honda/2024-Honda-Accord-abc.htm',
  reason: 'new',
  notOnWebsite: false,
};
const vehicle = (over: Partial<OrderVehicle>): OrderVehicle => ({ ...accord, ...over });
const render = (name: string, v: OrderVehicle, custom: CustomTemplateDefinition[] = []) =>
  renderRows(resolveTemplate(name, custom), [v], undefined, { dealership: 'Columbia Honda' });

describe('built-in templates: exact headers (DESIGN.md)', () => {
  it.each([
    ['standard', 'VIN,Make,Model,Year,Price,Full_Name,URL,Dealership,Stock,Condition,@QR'],
    ['shortcut', 'STOCK,MODEL,@QR'],
    ['shortcut_pack', 'YEARMAKE,MODEL,TRIM,STOCK,VIN,@QR,QRYEARMODEL,QRSTOCK,@QR2,MISC'],
    ['flyout', 'QRYEARMODEL,QRPRICE,@QR2'],
  ])('%s', (name, header) => {
    expect(render(name, accord).header.join(',')).toBe(header);
    expect(resolveTemplate(name).builtIn).toBe(true);
  });

  it('lists the four built-ins and then custom names', () => {
    expect(Object.keys(BUILT_IN_TEMPLATES)).toEqual(['standard', 'shortcut', 'shortcut_pack', 'flyout']);
    expect(templateNames([{ name: 'kia_window', columns: { A: '{vin}' } }])).toEqual([
      'standard',
      'shortcut',
      'shortcut_pack',
      'flyout',
      'kia_window',
    ]);
  });
});

describe('built-in templates: exact cells', () => {
  it('standard', () => {
    expect(render('standard', accord).rows).toEqual([
      [
        '1HGCV1F34LA012345',
        'Honda',
        'Accord',
        '2024',
        '$34,995',
        '2024 Honda Accord',
        'https://www.columbiahonda.com/new/Honda/2024-Honda-Accord-abc.htm',
        'Columbia Honda',
        'H1234',
        'NEW',
        'qr_codes/1HGCV1F34LA012345.png',
      ],
    ]);
  });

  it('shortcut', () => {
    expect(render('shortcut', vehicle({ condition: 'po' })).rows).toEqual([
      ['2024 Accord - H1234', 'Accord', 'qr_codes/1HGCV1F34LA012345.png'],
    ]);
  });

  it('shortcut_pack, per DESIGN.md formulas', () => {
    expect(render('shortcut_pack', vehicle({ condition: 'cpo' })).rows[0]).toEqual([
      '2024 Honda',
      'Accord',
      'EX-L',
      '2024 Accord - H1234',
      'CERTIFIED - 1HGCV1F34LA012345',
      'qr_codes/1HGCV1F34LA012345.png',
      '2024 Accord - H1234',
      'CERTIFIED - 1HGCV1F34LA012345',
      'qr_codes/1HGCV1F34LA012345.png',
      '2024 Accord - H1234 - CERTIFIED - 1HGCV1F34LA012345',
    ]);
  });

  it('flyout', () => {
    expect(render('flyout', vehicle({ price: 1234567.6 })).rows[0]).toEqual([
      '2024 Accord - H1234',
      '$1,234,568',
      'qr_codes/1HGCV1F34LA012345.png',
    ]);
  });

  it('drops a missing value with its separator, and leaves built-in empty cells empty', () => {
    const bare = vehicle({
      stock: null,
      price: null,
      trim: null,
      year: null,
      url: null,
      condition: 'unknown',
    });
    expect(render('shortcut_pack', bare).rows[0]).toEqual([
      'Honda',
      'Accord',
      '',
      'Accord',
      'USED - 1HGCV1F34LA012345',
      'qr_codes/1HGCV1F34LA012345.png',
      'Accord',
      'USED - 1HGCV1F34LA012345',
      'qr_codes/1HGCV1F34LA012345.png',
      'Accord - USED - 1HGCV1F34LA012345',
    ]);
    expect(render('flyout', bare).rows[0]).toEqual(['Accord', '', 'qr_codes/1HGCV1F34LA012345.png']);
    expect(render('standard', vehicle({ make: null, model: '  ', price: 0 })).rows[0]!.slice(1, 6)).toEqual([
      '',
      '',
      '2024',
      '',
      '2024',
    ]);
  });

  it('keeps vehicles in order and names each QR by its own VIN (never by position)', () => {
    const a = vehicle({ vin: 'AAAAAAAAAAAAAAAAA', condition: 'po' });
    const b = vehicle({ vin: 'BBBBBBBBBBBBBBBBB' });
    const { rows } = renderRows(resolveTemplate('shortcut'), [a, b]);
    expect(rows.map((r) => r[2])).toEqual([
      'qr_codes/AAAAAAAAAAAAAAAAA.png',
      'qr_codes/BBBBBBBBBBBBBBBBB.png',
    ]);
    const split = splitNewUsed([a, b]);
    expect(renderRows(resolveTemplate('shortcut'), split.NEW).rows[0]![2]).toBe(
      'qr_codes/BBBBBBBBBBBBBBBBB.png',
    );
  });

  it('takes the QR path from the caller when given', () => {
    const { rows } = renderRows(resolveTemplate('flyout'), [accord], (v) => `codes/${v.stock}.png`);
    expect(rows[0]![2]).toBe('codes/H1234.png');
  });
});

describe('template names', () => {
  it('resolves any spelling of a built-in', () => {
    for (const n of ['Shortcut Pack', 'shortcut-pack', 'SHORTCUT_PACK'])
      expect(resolveTemplate(n).name).toBe('shortcut_pack');
  });

  it('an unknown name is a NotFoundError listing the known ones', () => {
    const custom = [{ name: 'kia_window', columns: { A: '{vin}' } }];
    try {
      resolveTemplate('shortcutpak', custom);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(NotFoundError);
      expect((err as NotFoundError).message).toBe('unknown template "shortcutpak"');
      expect((err as NotFoundError).hints[0]).toBe(
        'Known templates: standard, shortcut, shortcut_pack, flyout, kia_window.',
      );
    }
  });

  it('a custom template may not take a built-in name', () => {
    expect(() => resolveTemplate('anything', [{ name: 'standard', columns: { A: '{vin}' } }])).toThrow(
      InputError,
    );
  });
});

describe('custom templates', () => {
  const custom = [
    {
      name: 'kia_window',
      columns: {
        'Year Model': '{year} {model:upper}',
        Status: '{NEW|USED|CERTIFIED}',
        Price: 'Only {price}!',
        Stock: 'Stock #{stock}',
        Raw: '{price_number}',
        Braces: '{{{vin}}}',
        Scan: '{qr_content}',
        '@Code': '@qr',
        Where: '{dealership:lower}',
        Why: '{reason} / {condition}',
      },
    },
  ];

  it('renders every expression form, in the columns order of the setting', () => {
    const { header, rows } = render(
      'kia_window',
      vehicle({ condition: 'po', reason: 'condition_changed' }),
      custom,
    );
    expect(header).toEqual([
      'Year Model',
      'Status',
      'Price',
      'Stock',
      'Raw',
      'Braces',
      'Scan',
      '@Code',
      'Where',
      'Why',
    ]);
    expect(rows[0]).toEqual([
      '2024 ACCORD',
      'USED',
      'Only $34,995!',
      'Stock #H1234',
      '34995',
      '{1HGCV1F34LA012345}',
      'https://www.columbiahonda.com/new/Honda/2024-Honda-Accord-abc.htm?utm_source=SilverFox&utm_medium=VDP_ShortCut',
      'qr_codes/1HGCV1F34LA012345.png',
      'columbia honda',
      'condition_changed / po',
    ]);
  });

  it('writes an empty cell as *', () => {
    const { rows } = render(
      'kia_window',
      vehicle({ stock: null, price: null, year: null, model: null }),
      custom,
    );
    expect(rows[0]!.slice(0, 5)).toEqual(['*', 'NEW', '*', '*', '*']);
  });

  it('collects every problem of a bad definition into one InputError', () => {
    try {
      compileTemplate('bad', [
        ['=cmd', '{vin}'],
        ['Model', '{modle}'],
        ['A', '{year'],
        ['B', 'x}'],
        ['C', '{model:shout}'],
        ['model', '{model}'],
      ]);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(InputError);
      const all = [(err as InputError).message, ...(err as InputError).hints].join('\n');
      expect(all).toContain('header "=cmd" is not allowed');
      expect(all).toContain('unknown field "{modle}"; known fields: vin, stock, year');
      expect(all).toContain('unclosed "{" at position 1');
      expect(all).toContain('unmatched "}" at position 2');
      expect(all).toContain('unknown modifier in "{model:shout}"');
      expect(all).toContain('header "model" appears twice');
    }
    expect(() => compileTemplate('empty', [])).toThrow(/has no columns/);
    expect(() => compileTemplate('proto', [['A', '{constructor}']])).toThrow(
      /unknown field "\{constructor\}"/,
    );
  });
});

describe('formula neutralization', () => {
  it.each([
    ['=1+1', "'=1+1"],
    ['+1 314 555 0100', "'+1 314 555 0100"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['-cmd', "'-cmd"],
    ['-.5', "'-.5"],
    ['\t=x', "'\t=x"],
    ['\rx', "'\rx"],
    ['-5000', '-5000'],
    ['-1,250.00', '-1,250.00'],
    ["-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"],
    ['-', '-'],
    ['', ''],
    ['Accord', 'Accord'],
    ['a=b', 'a=b'],
    ["'=quoted", "'=quoted"],
  ])('%j -> %j', (cell, out) => expect(neutralizeFormula(cell)).toBe(out));

  it('applies to every rendered cell but leaves @ headers alone', () => {
    const v = vehicle({ make: '=HYPERLINK("http://x","y")', model: '+Plus', trim: '-Sport', stock: '@12' });
    const { header, rows } = render('shortcut_pack', v);
    expect(header).toContain('@QR');
    expect(rows[0]!.slice(0, 4)).toEqual([
      `2024 =HYPERLINK("http://x","y")`,
      "'+Plus",
      "'-Sport",
      '2024 +Plus - @12',
    ]);
    const custom = [{ name: 'm', columns: { Make: '{make}', Stock: '{stock}' } }];
    expect(render('m', v, custom).rows[0]).toEqual([`'=HYPERLINK("http://x","y")`, "'@12"]);
  });
});

describe('condition label and NEW/USED split', () => {
  it('labels', () => {
    expect(
      ['new', 'po', 'cpo', 'unknown'].map((c) => conditionLabel(c as OrderVehicle['condition'])),
    ).toEqual(['NEW', 'USED', 'CERTIFIED', 'USED']);
  });

  it('new goes to NEW; po, cpo and unknown to USED, order kept', () => {
    const vs = (['po', 'new', 'cpo', 'unknown', 'new'] as const).map((c, i) =>
      vehicle({ vin: `VIN${i}`, condition: c }),
    );
    const parts = splitNewUsed(vs);
    expect(parts.NEW.map((v) => v.vin)).toEqual(['VIN1', 'VIN4']);
    expect(parts.USED.map((v) => v.vin)).toEqual(['VIN0', 'VIN2', 'VIN3']);
  });
});

describe('qrContent', () => {
  const q = (url: string | null, vin = '1hgcv1f34la012345') => qrContent({ vin, url });
  const utm = 'utm_source=SilverFox&utm_medium=VDP_ShortCut';
  it.each([
    ['https://d.com/vdp/1', `https://d.com/vdp/1?${utm}`],
    ['https://d.com/vdp?id=7&x=1', `https://d.com/vdp?id=7&x=1&${utm}`],
    ['https://d.com/vdp?id=7#photos', `https://d.com/vdp?id=7&${utm}#photos`],
    ['https://d.com/vdp#a?b', `https://d.com/vdp?${utm}#a?b`],
    ['https://d.com/vdp?', `https://d.com/vdp?${utm}`],
    ['https://d.com/vdp?id=7&', `https://d.com/vdp?id=7&${utm}`],
    [
      'https://d.com/v?utm_source=google&utm_medium=cpc&utm_campaign=x',
      `https://d.com/v?utm_campaign=x&${utm}`,
    ],
    ['https://d.com/v?UTM_SOURCE=a&id=1', `https://d.com/v?id=1&${utm}`],
    ['  HTTP://D.COM/V  ', `HTTP://D.COM/V?${utm}`],
    ['www.dealer.com/vdp/1', `https://www.dealer.com/vdp/1?${utm}`],
    ['https://d.com/2024 Honda Accord/é', `https://d.com/2024%20Honda%20Accord/%C3%A9?${utm}`],
  ])('%s', (url, out) => expect(q(url)).toBe(out));

  it('is stable when the URL carries our parameters already', () => {
    const once = q('https://d.com/v?id=1#top');
    expect(q(once)).toBe(once);
  });

  it.each([null, '', '   ', 'N/A', 'null', 'javascript:alert(1)', '/relative/path', 'ftp://d.com/x'])(
    'falls back to the VIN for %j',
    (url) => expect(q(url)).toBe('1HGCV1F34LA012345'),
  );
});

describe('names inside the order folder', () => {
  it('folder name: slug, type, local time', () => {
    expect(orderFolderName('columbia_honda', 'cao', new Date(2026, 0, 5, 7, 8, 9))).toBe(
      'columbia_honda_cao_20260105-070809',
    );
    expect(orderFolderName('../../etc', 'list', new Date(2026, 10, 23, 23, 59, 59))).toBe(
      'etc_list_20261123-235959',
    );
  });

  it('CSV and QR names', () => {
    expect(orderCsvFileName('hw_kia', 'shortcut_pack')).toBe('hw_kia_shortcut_pack.csv');
    expect(orderCsvFileName('hw_kia', 'flyout', 'USED')).toBe('hw_kia_flyout_USED.csv');
    expect(qrFilePath(' 1hgcv1f34la012345 ')).toBe('qr_codes/1HGCV1F34LA012345.png');
  });

  it('formats prices in whole dollars, nothing for none', () => {
    expect([34995, 999, 1000, 0, -5, null, Number.NaN].map(formatPrice)).toEqual([
      '$34,995',
      '$999',
      '$1,000',
      '',
      '',
      '',
      '',
    ]);
  });
});
