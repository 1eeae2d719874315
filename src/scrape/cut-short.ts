/**
 * When a dealership's scrape stopped early after collecting part of its inventory, that part is
 * not thrown away: it is imported as a snapshot the drop guard holds (core/drop-guard), so the
 * operator can look at it and accept it, while CAO keeps using the complete active snapshot.
 *
 * "Cut short" means the site or the clock stopped the scrape half-way: the dealership timeout or
 * the watchdog, an abort of that dealership, or a page that failed after earlier pages had
 * answered (HTTP error, request timeout, network, a page that is not the expected response).
 * Not cut short: a registry entry that cannot drive its adapter, an internal error, or any
 * failure by which an adapter refuses to import a part on purpose (e.g. a capped query it could not
 * split): those keep failing the dealership with nothing imported. Ctrl-C cancels the whole run
 * instead (nothing is imported; `scrape --resume` continues it).
 */
import { SilverfoxError } from '../errors.js';

/** Error codes (scrape/errors.ts) of failures that stop a scrape half-way. */
const CUT_SHORT_CODES = new Set([
  'dealership_timeout',
  'aborted',
  'http_status',
  'request_timeout',
  'network',
  'unexpected_shape',
]);

/** Whether `err` stopped the scrape half-way (see above). */
export function isCutShort(err: unknown): boolean {
  return err instanceof SilverfoxError && CUT_SHORT_CODES.has(err.code);
}
