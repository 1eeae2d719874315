/**
 * Errors in one module. Every error silverfox raises on purpose is a SilverfoxError with a stable
 * `code` and the process `exitCode` the CLI should end with. Anything else reaching the CLI is a bug.
 */

/** Exit codes documented in the README. */
export const ExitCode = { ok: 0, error: 1, usage: 2, partial: 3 } as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** Base class: a message that says what happened, why, and what to do. */
export class SilverfoxError extends Error {
  readonly code: string;
  readonly exitCode: ExitCodeValue;
  /** Extra lines shown under the message (what to do next, details of every problem). */
  readonly hints: string[];

  constructor(
    code: string,
    message: string,
    opts: { exitCode?: ExitCodeValue; hints?: string[]; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = opts.exitCode ?? ExitCode.error;
    this.hints = opts.hints ?? [];
  }
}

/** Wrong command line: unknown option, missing argument, contradicting flags. Exit 2. */
export class UsageError extends SilverfoxError {
  constructor(message: string, hints: string[] = []) {
    super('usage', message, { exitCode: ExitCode.usage, hints });
  }
}

/** A setting (flag, environment variable or .env) is invalid. */
export class ConfigError extends SilverfoxError {
  constructor(message: string, hints: string[] = []) {
    super('config', message, { hints });
  }
}

/** Bad input data: a file, a line, a value. */
export class InputError extends SilverfoxError {
  readonly file?: string;
  readonly line?: number;
  constructor(
    message: string,
    opts: { file?: string; line?: number; hints?: string[]; cause?: unknown } = {},
  ) {
    super('input', message, { hints: opts.hints, cause: opts.cause });
    this.file = opts.file;
    this.line = opts.line;
  }
}

/** A file named on the command line cannot be read: the same words from every command. */
export function unreadableFile(file: string, cause?: unknown): InputError {
  return new InputError(unreadableFileText(file), { file, cause, hints: ['Check the path and try again.'] });
}

/** The words of `unreadableFile`, for a check that reports several files together. */
export function unreadableFileText(file: string): string {
  return `${file} does not exist or cannot be read`;
}

/** Something named does not exist (dealership, order, VIN). */
export class NotFoundError extends SilverfoxError {
  constructor(message: string, hints: string[] = []) {
    super('not_found', message, { hints });
  }
}

/** The database failed or cannot be reached; keeps the SQLSTATE when there is one. */
export class DatabaseError extends SilverfoxError {
  readonly sqlState?: string;
  constructor(
    message: string,
    opts: { sqlState?: string; hints?: string[]; cause?: unknown; code?: string } = {},
  ) {
    super(opts.code ?? 'database', message, { hints: opts.hints, cause: opts.cause });
    this.sqlState = opts.sqlState;
  }
}

/**
 * The connection failed while COMMIT was on its way: the server may have committed or not, and
 * the reply that would say so is lost. Not a rollback: whoever staged files for the transaction
 * keeps them until the database, asked again, says which it was (see the README, "Proof").
 */
export class CommitOutcomeUnknownError extends DatabaseError {
  constructor(message: string, opts: { hints?: string[]; cause?: unknown } = {}) {
    super(message, { code: 'commit_unknown', hints: opts.hints, cause: opts.cause });
  }
}

/** The embedded database folder is held by another live process. */
export class DatabaseInUseError extends DatabaseError {
  readonly pid: number;
  constructor(pid: number, dir: string) {
    super(`database in use by process ${pid}`, {
      code: 'database_in_use',
      hints: [
        `The embedded database in ${dir} is open in another silverfox process.`,
        'Wait for it to finish, or set DATABASE_URL to a PostgreSQL server for several operators at once.',
      ],
    });
    this.pid = pid;
  }
}

/** A file-system problem writing output (orders folder missing, read-only, full). */
export class OutputError extends SilverfoxError {
  constructor(message: string, opts: { hints?: string[]; cause?: unknown } = {}) {
    super('output', message, opts);
  }
}

/** The run was cancelled (Ctrl-C, or the operator declined). */
export class CancelledError extends SilverfoxError {
  constructor(message = 'cancelled') {
    super('cancelled', message, { exitCode: ExitCode.error });
  }
}

/**
 * A failure as a result carries it (one dealership of a batch, a scrape checkpoint, the run log).
 * `stack` is there only for a bug: an error silverfox did not raise on purpose.
 */
export interface Failure {
  code: string;
  message: string;
  hints: string[];
  stack?: string;
}

/** The words every bug report starts with (the CLI, the run log and per-dealership results). */
export const BUG_PREFIX = 'internal error (this is a bug in silverfox): ';

/**
 * Turns anything thrown into a Failure. A SilverfoxError keeps its code and hints; an
 * @inquirer/prompts cancellation is `cancelled`; anything else is a bug: code `internal`, the
 * message says so and the stack is kept (never a raw SQLSTATE or errno as the code).
 */
export function toFailure(err: unknown): Failure {
  if (err instanceof SilverfoxError) return { code: err.code, message: err.message, hints: [...err.hints] };
  if ((err as { name?: unknown } | null)?.name === 'ExitPromptError')
    return { code: 'cancelled', message: 'cancelled', hints: [] };
  const e = err as { message?: unknown; stack?: unknown } | null | undefined;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  return {
    code: 'internal',
    message: `${BUG_PREFIX}${message}`,
    hints: ['Please report it with the command you ran and the stack (printed, and in the run log).'],
    stack: typeof e?.stack === 'string' ? e.stack : undefined,
  };
}

/** Masks the password of a connection URL for messages and logs. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '****';
    return u.toString();
  } catch {
    return url.replace(/:\/\/([^:/@]+):[^@]*@/, '://$1:****@');
  }
}
