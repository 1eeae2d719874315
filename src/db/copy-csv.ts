/** Encoding values as COPY ... (FORMAT csv) text: an unquoted empty field is NULL. */
import { quoteCsvCell } from '../core/csv-rows.js';

/** One CSV cell for COPY: null and '' become NULL; quotes, commas and newlines are quoted. */
export function copyCell(value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '';
  return quoteCsvCell(value);
}

/** Strings as the async iterable copyIn takes. */
export async function* each(pieces: readonly string[]): AsyncGenerator<string> {
  yield* pieces;
}
