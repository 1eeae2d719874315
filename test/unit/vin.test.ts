import { describe, expect, it } from 'vitest';
import { expectedCheckDigit, isNotAVin, normalizeVin, type VinProblem } from '../../src/core/vin.js';
import { VinSet } from '../../src/core/vin-set.js';

describe('normalizeVin', () => {
  const cases: [string | null, string, boolean, boolean, VinProblem | null][] = [
    // text, vin, valid, checkDigitOk, problem
    ['3FA6P0LU6KR225374', '3FA6P0LU6KR225374', true, true, null],
    ['  5xyktca69fg566472 ', '5XYKTCA69FG566472', true, true, null], // car_prices: lower case
    ['1FD0X4GX3FED32455', '1FD0X4GX3FED32455', true, false, 'check_digit'], // craigslist: wrong check digit
    ['UPONREQUEST123456', 'UPONREQUEST123456', false, false, 'invalid_letters'],
    ['1GCRCOEC2FZ284763', '1GCRCOEC2FZ284763', false, false, 'invalid_letters'], // O for 0
    ['JNKBYO1F08M550130', 'JNKBYO1F08M550130', false, false, 'invalid_letters'],
    ['', '', false, false, 'blank'],
    ['   ', '', false, false, 'blank'],
    [null, '', false, false, 'blank'],
    ['VIN', 'VIN', false, false, 'header'],
    ['vins', 'VINS', false, false, 'header'],
    ['7.77778E+16', '7.77778E+16', false, false, 'scientific_notation'],
    ['1.51515e+16', '1.51515E+16', false, false, 'scientific_notation'],
    ['1E+16', '1E+16', false, false, 'scientific_notation'],
    ['181819073', '181819073', false, false, 'wrong_length'],
    ['242370R108722', '242370R108722', false, false, 'wrong_length'],
    ['3FA6P0LU6KR2253745', '3FA6P0LU6KR2253745', false, false, 'wrong_length'],
    ['3FA6P0LU6KR22537-', '3FA6P0LU6KR22537-', false, false, 'bad_characters'],
    ['3FA6P0LU6 KR22537', '3FA6P0LU6 KR22537', false, false, 'bad_characters'],
  ];
  it.each(cases)('%j', (text, vin, valid, checkDigitOk, problem) => {
    const r = normalizeVin(text);
    expect(r).toEqual({ vin, valid, checkDigitOk, problem });
  });

  it('not-a-VIN problems are exactly the ones an import rejects', () => {
    expect(isNotAVin(normalizeVin(''))).toBe(true);
    expect(isNotAVin(normalizeVin('7.77778E+16'))).toBe(true);
    expect(isNotAVin(normalizeVin('181819073'))).toBe(true);
    expect(isNotAVin(normalizeVin('UPONREQUEST123456'))).toBe(false);
    expect(isNotAVin(normalizeVin('1FD0X4GX3FED32455'))).toBe(false);
    expect(isNotAVin(normalizeVin('3FA6P0LU6KR225374'))).toBe(false);
  });
});

describe('expectedCheckDigit (ISO 3779)', () => {
  it.each([
    ['1M8GDM9AXKP042788', 'X'], // the textbook example: remainder 10 -> X
    ['11111111111111111', '1'],
    ['5XYKTCA69FG566472', '9'],
    ['WBA3C1C51EK116351', '1'],
    ['1GCRCOEC2FZ284763', null], // O has no value
    ['SHORT', null],
  ])('%s -> %s', (vin, digit) => {
    expect(expectedCheckDigit(vin)).toBe(digit);
  });
});

describe('VinSet', () => {
  it('adds each VIN once, exactly', () => {
    const s = new VinSet();
    expect(s.add('3FA6P0LU6KR225374')).toBe(true);
    expect(s.add('3FA6P0LU6KR225374')).toBe(false);
    expect(s.add('3FA6P0LU6KR225375')).toBe(true);
    expect(s.add('UPONREQUEST123456')).toBe(true);
    expect(s.size).toBe(3);
  });

  it('keeps 200,000 distinct VINs apart through many resizes', () => {
    const s = new VinSet();
    const vin = (i: number) => `1HGCM82633A${i.toString(36).toUpperCase().padStart(6, '0')}`;
    // One expect per loop, not per VIN: 200,000 expect() calls took >10 s on a loaded machine.
    const refused: number[] = [];
    for (let i = 0; i < 200_000; i++) if (!s.add(vin(i))) refused.push(i);
    expect(refused).toEqual([]);
    const readded: number[] = [];
    for (let i = 0; i < 200_000; i += 997) if (s.add(vin(i))) readded.push(i);
    expect(readded).toEqual([]);
    expect(s.size).toBe(200_000);
  });

  it('refuses what is not 17 letters and digits', () => {
    expect(() => new VinSet().add('SHORT')).toThrow(/17/);
    expect(() => new VinSet().add('3fa6p0lu6kr225374')).toThrow(/upper-case/);
  });
});
