/** What every command action shares: flags -> config -> presentation -> context, and error reporting. */
import type { Command } from 'commander';
import { resolveConfig, type Config } from '../config.js';
import type { AppContext } from '../app/context.js';
import type { RunLogNotes } from '../app/logs.js';
import { ExitCode, SilverfoxError, toFailure, type Failure } from '../errors.js';
import { Presentation, type GlobalFlags } from './presentation.js';

export interface CommandEnv {
  flags: GlobalFlags;
  pres: Presentation;
  config: Readonly<Config>;
  /**
   * Adds facts to this run's log line (SILVERFOX_LOG_DIR): the dealership(s) worked on and what
   * was done. Counts add up across calls, so a per-dealership loop can note each one.
   * e.g. `env.note({ dealerships: [d.name], counts: { ordered: 12, skipped: 30 } })`.
   */
  note(fields: RunLogNotes): void;
  /** What was noted so far. */
  readonly notes: RunLogNotes;
  /**
   * Aborted on the first SIGINT/SIGTERM when the command set `stopGracefully` (it honours the
   * signal and rolls back by itself); otherwise a signal stops the run at once (see define.ts).
   */
  readonly signal: AbortSignal;
  stopGracefully?: boolean;
  /** What a signal would roll back now, for the message printed when one stops the run. */
  stopNote?: () => string;
}

/** Config flags that the global `--db` option sets. */
export function dbFlag(db: string | undefined): Partial<Record<'databaseUrl' | 'dataDir', string>> {
  if (db === undefined) return {};
  if (/^postgres(ql)?:\/\//i.test(db)) return { databaseUrl: db };
  // A path means the embedded database, even when DATABASE_URL is set.
  return { databaseUrl: '', dataDir: db };
}

/** Builds the environment of a command from its (global) options. */
export function commandEnv(cmd: Command, extraFlags: Partial<Record<string, unknown>> = {}): CommandEnv {
  const flags = cmd.optsWithGlobals<GlobalFlags & Record<string, unknown>>();
  const pres = new Presentation(flags);
  const waitLock = flags.waitLock === undefined ? {} : { waitLockSeconds: flags.waitLock };
  const config = resolveConfig({ flags: { ...dbFlag(flags.db), ...waitLock, ...extraFlags } });
  const notes: RunLogNotes = {};
  const note = (fields: RunLogNotes) => {
    if (fields.dealerships) {
      notes.dealerships = [...new Set([...(notes.dealerships ?? []), ...fields.dealerships])];
    }
    if (fields.failures) notes.failures = [...(notes.failures ?? []), ...fields.failures];
    if (fields.counts) {
      notes.counts ??= {};
      for (const [k, v] of Object.entries(fields.counts)) notes.counts[k] = (notes.counts[k] ?? 0) + v;
    }
  };
  return { flags, pres, config, note, notes, signal: new AbortController().signal };
}

/** Opens the app context (lazily importing the database code), runs `fn`, closes. */
export async function withApp<T>(env: CommandEnv, fn: (ctx: AppContext) => Promise<T>): Promise<T> {
  const { withContext } = await import('../app/context.js');
  return withContext(env.config, fn);
}

/** Prints an error for the operator and returns the exit code to use. */
export function reportError(err: unknown, pres: Presentation): number {
  const f = toFailure(err);
  pres.error(f.message, f.hints);
  // Unknown errors are bugs: the stack goes with them.
  if (f.stack) process.stderr.write(`${f.stack}\n`);
  else if (pres.verbose && err instanceof SilverfoxError && err.cause)
    pres.debug(String((err.cause as Error).stack ?? err.cause));
  return err instanceof SilverfoxError ? err.exitCode : ExitCode.error;
}

/**
 * The dealerships of a batch that failed while the others went on: each failure goes to the run
 * log, and a bug's stack (code `internal`) is printed too, so it is never lost in a summary line.
 * Call it after the failures' own lines are printed.
 */
export function noteFailures(
  env: CommandEnv,
  results: readonly { dealership: string; error?: Failure | null }[],
): void {
  const failures = results.flatMap(({ dealership, error }) =>
    error
      ? [
          {
            dealership,
            code: error.code,
            message: error.message,
            ...(error.stack ? { stack: error.stack } : {}),
          },
        ]
      : [],
  );
  for (const f of failures) if (f.stack) process.stderr.write(`${f.dealership}: ${f.stack}\n`);
  if (failures.length > 0) env.note({ failures });
}
