import { describe, expect, it } from 'vitest';
import { cut, VEHICLE_NAME_WIDTH, vehicleTable } from '../../src/cli/order-tables.js';
import { Presentation } from '../../src/cli/presentation.js';

describe('vehicle tables', () => {
  const pres = new Presentation({ color: false }, undefined, {});
  const long = {
    vin: '1HGCM82633A004352',
    stock: 'H1',
    year: 2024,
    make: 'Mercedes-Benz',
    model: `GLE 450 4MATIC SUV ${'with the Premium and Driver Assistance packages '.repeat(5)}`,
    condition: 'new',
    price: 71_000,
    reason: 'new',
    filter: 'max_price',
    detail: `price $71,000 is above max_price $70,000 ${'x'.repeat(250)}`,
  };
  const short = { ...long, vin: '1HGCM82633A004353', model: 'GLE' };

  it('cut keeps short text and marks a cut', () => {
    expect(cut('Accord', 10)).toBe('Accord');
    expect(cut('a'.repeat(50), 10)).toBe('aaaaaaa...');
  });

  it('the order table and the --explain tables cut a long name the same way', () => {
    const toOrder = vehicleTable(pres, [long, short], [['reason', (v) => v.reason]]);
    const explained = vehicleTable(
      pres,
      [long, short],
      [
        ['filter', (v) => v.filter],
        ['why', (v) => v.detail],
      ],
    );
    const name = cut(`2024 Mercedes-Benz ${long.model}`, VEHICLE_NAME_WIDTH);
    expect(name).toHaveLength(VEHICLE_NAME_WIDTH);
    for (const table of [toOrder, explained]) {
      expect(table).toContain(name);
      expect(table).toContain('2024 Mercedes-Benz GLE ');
      for (const line of table.split('\n')) expect(line.length).toBeLessThanOrEqual(170);
    }
  });
});
