/** Connecting to a PostgreSQL server that may be starting, restarting or not reachable yet. */
import { DatabaseError, maskUrl } from '../errors.js';

/** Connection failures worth waiting out (refused, reset, timed out, DNS not ready, server starting up). */
export const RETRYABLE_CONNECT_ERRORS: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EAI_AGAIN',
  '57P03',
]);

/**
 * Runs `attempt` until it succeeds, retrying a retryable failure with backoff (200 ms, doubling up
 * to 2 s) for `timeoutMs`. Any other failure, or one after the deadline, is thrown as a
 * DatabaseError `database_unreachable` with `hints`. `attempt` cleans up after its own failure.
 */
export async function connectWithBackoff<T>(
  url: string,
  timeoutMs: number,
  attempt: () => Promise<T>,
  hints: string[],
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let delay = 200;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      const left = deadline - Date.now();
      if (RETRYABLE_CONNECT_ERRORS.has(code) && left > 0) {
        await new Promise((r) => setTimeout(r, Math.min(delay, left)));
        delay = Math.min(delay * 2, 2000);
        continue;
      }
      throw new DatabaseError(`cannot connect to PostgreSQL at ${maskUrl(url)}: ${(err as Error).message}`, {
        code: 'database_unreachable',
        sqlState: code || undefined,
        cause: err,
        hints,
      });
    }
  }
}
