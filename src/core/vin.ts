/**
 * VINs (rule 2 of DESIGN.md): trimmed and upper-cased; valid = 17 characters of [A-HJ-NPR-Z0-9];
 * the ISO 3779 check digit (position 9) is verified and reported, a wrong one is only a warning.
 * `VIN`/`VINS` header rows and spreadsheet scientific notation (`7.77778E+16`) are never vehicles.
 */

/**
 * What is wrong with a VIN text, if anything.
 * - `blank`, `header`, `scientific_notation`, `wrong_length`, `bad_characters`: not a vehicle at all
 *   (an import rejects the row);
 * - `invalid_letters`: 17 letters/digits but with I, O or Q (typos like `1GCRCOEC2FZ284763`): kept and
 *   stored with vin_valid = false, so it is visible but never ordered;
 * - `check_digit`: a valid VIN whose position 9 does not match: a warning only.
 */
export type VinProblem =
  | 'blank'
  | 'header'
  | 'scientific_notation'
  | 'wrong_length'
  | 'bad_characters'
  | 'invalid_letters'
  | 'check_digit';

/** The problems that make a text "not a VIN": such a row is never a vehicle. */
export const NOT_A_VIN: ReadonlySet<VinProblem> = new Set([
  'blank',
  'header',
  'scientific_notation',
  'wrong_length',
  'bad_characters',
]);

export interface VinResult {
  /** The trimmed, upper-cased text. */
  vin: string;
  /** 17 characters of [A-HJ-NPR-Z0-9]. */
  valid: boolean;
  /** The check digit matches (only ever true for a valid VIN). */
  checkDigitOk: boolean;
  /** The first problem found, or null for a valid VIN with a correct check digit. */
  problem: VinProblem | null;
}

const VALID = /^[A-HJ-NPR-Z0-9]{17}$/;
const ALNUM17 = /^[A-Z0-9]{17}$/;
// Excel turns all-digit fake VINs into `7.77778E+16`; also `1E+16`, `-1.2e-3`.
const SCIENTIFIC = /^[+-]?\d+(\.\d*)?E[+-]?\d+$/;

// ISO 3779 transliteration (A-H=1-8, J-N=1-5, P=7, R=9, S-Z=2-9, digits as themselves) and weights.
const VALUE = new Int8Array(128).fill(-1);
for (let d = 0; d <= 9; d++) VALUE[48 + d] = d;
[...'ABCDEFGH'].forEach((c, i) => (VALUE[c.charCodeAt(0)] = i + 1));
[...'JKLMN'].forEach((c, i) => (VALUE[c.charCodeAt(0)] = i + 1));
VALUE['P'.charCodeAt(0)] = 7;
VALUE['R'.charCodeAt(0)] = 9;
[...'STUVWXYZ'].forEach((c, i) => (VALUE[c.charCodeAt(0)] = i + 2));
const WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];

/**
 * The check digit (`0`-`9` or `X`) a 17-character VIN should carry at position 9, or null when the
 * text is not 17 transliterable characters (I, O, Q, punctuation).
 */
export function expectedCheckDigit(vin: string): string | null {
  if (vin.length !== 17) return null;
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const code = vin.charCodeAt(i);
    const v = code < 128 ? VALUE[code]! : -1;
    if (v < 0) return null;
    sum += v * WEIGHTS[i]!;
  }
  const r = sum % 11;
  return r === 10 ? 'X' : String(r);
}

/** Normalizes one VIN text and says what, if anything, is wrong with it. */
export function normalizeVin(text: string | null | undefined): VinResult {
  const vin = (text ?? '').trim().toUpperCase();
  const fail = (problem: VinProblem): VinResult => ({ vin, valid: false, checkDigitOk: false, problem });
  if (vin === '') return fail('blank');
  if (vin === 'VIN' || vin === 'VINS') return fail('header');
  if (SCIENTIFIC.test(vin)) return fail('scientific_notation');
  if (vin.length !== 17) return fail('wrong_length');
  if (!ALNUM17.test(vin)) return fail('bad_characters');
  if (!VALID.test(vin)) return fail('invalid_letters');
  const checkDigitOk = expectedCheckDigit(vin) === vin[8];
  return { vin, valid: true, checkDigitOk, problem: checkDigitOk ? null : 'check_digit' };
}

/** True when the text denotes no vehicle at all (blank, header, scientific notation, not 17 letters/digits). */
export function isNotAVin(result: VinResult): boolean {
  return result.problem !== null && NOT_A_VIN.has(result.problem);
}

/** Operator-facing words for each problem. */
export const VIN_PROBLEM_TEXT: Record<VinProblem, string> = {
  blank: 'no VIN',
  header: 'header row repeated (VIN column says "VIN")',
  scientific_notation: 'VIN in scientific notation (a spreadsheet mangled it)',
  wrong_length: 'not a VIN (not 17 characters)',
  bad_characters: 'not a VIN (characters other than letters and digits)',
  invalid_letters: 'invalid VIN (contains I, O or Q)',
  check_digit: 'VIN check digit does not match',
};
