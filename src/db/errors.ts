/** Turns driver errors into DatabaseError, keeping SQLSTATE and the cause. */
import { CommitOutcomeUnknownError, DatabaseError, SilverfoxError } from '../errors.js';

export function toDatabaseError(err: unknown, context: string): Error {
  if (err instanceof SilverfoxError) return err;
  const e = err as { code?: string; message?: string };
  const sqlState = typeof e.code === 'string' ? e.code : undefined;
  // pg reports a server that went away mid-query without a code, only these words.
  const lost = /^Connection terminated|is not queryable/.test(e.message ?? '');
  if (
    lost ||
    (sqlState &&
      ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', '57P01', '57P03', '08006', '08003'].includes(sqlState))
  ) {
    return new DatabaseError(`lost the database connection: ${e.message ?? String(err)}`, {
      code: 'database_unreachable',
      sqlState,
      cause: err,
      hints: [
        'Check that the PostgreSQL server is running, then run the command again: the step that was running was rolled back, and whatever finished before it (e.g. earlier dealerships of a batch) stays committed.',
      ],
    });
  }
  return new DatabaseError(`database error: ${e.message ?? String(err)}`, {
    sqlState,
    cause: err,
    hints:
      context.length < 200 ? [`while running: ${context.replace(/\s+/g, ' ').trim().slice(0, 120)}`] : [],
  });
}

/**
 * What an error from COMMIT means. A server that answered with an SQLSTATE (other than a lost
 * connection's) rolled back: an ordinary DatabaseError. Anything else (the connection dropped,
 * no answer) leaves the outcome unknown: CommitOutcomeUnknownError.
 */
export function commitError(err: unknown): Error {
  if (err instanceof SilverfoxError && !(err instanceof DatabaseError)) return err;
  const cause = err instanceof DatabaseError && err.cause !== undefined ? err.cause : err;
  const e = cause as { code?: string; message?: string };
  const sqlState = typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) ? e.code : undefined;
  if (sqlState && !sqlState.startsWith('08') && !sqlState.startsWith('57P'))
    return toDatabaseError(cause, 'COMMIT');
  return new CommitOutcomeUnknownError(
    `the database connection failed during COMMIT (${e.message ?? String(cause)}): whether the change was committed is unknown`,
    { cause },
  );
}
