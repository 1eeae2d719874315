/** Helpers for declaring commands: lazy actions, example blocks, repeatable options. */
import type { Command } from 'commander';
import { ExitCode, SilverfoxError, toFailure } from '../errors.js';
import type { CommandEnv } from './run.js';

/** A command's code: gets its env, positional args, own options; returns an exit code. */
export type Action = (
  env: CommandEnv,
  args: string[],
  opts: Record<string, unknown>,
  cmd: Command,
) => Promise<number | void>;

/** Exit code chosen by the last action (commander's parseAsync returns the program, not ours). */
export const lastExit = { code: ExitCode.ok as number };

/**
 * Commands that write: they take the run lock (unless `--dry-run`) so two overlapping runs, e.g.
 * two nightly cron runs, never interleave. Add a new writing command's path here.
 */
export const RUN_LOCKED_COMMANDS: ReadonlySet<string> = new Set([
  'import',
  'normalize',
  'scrape',
  'cao',
  'list',
  'demo',
  'orders void',
  'orders paths',
  'orders repair',
  'orders archive',
  'vinlog import',
  'db prune',
  'db restore',
]);

/**
 * Writing commands that a SIGINT/SIGTERM stops with a message and a run-log line (exit 130/143).
 * `scrape` is not among them: it stops gracefully on its own SIGINT handler.
 */
const SIGNAL_TRAPPED: ReadonlySet<string> = new Set([
  'import',
  'normalize',
  'cao',
  'list',
  'demo',
  'orders void',
  'orders archive',
  'vinlog import',
  'db prune',
  'db restore',
]);

const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

/** Commands that leave no line in the run log (reading the log should not grow it). */
const UNLOGGED_COMMANDS: ReadonlySet<string> = new Set(['logs']);

/** `db prune` for the `prune` subcommand of `db`. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * Wraps a lazily imported action: builds its env, takes the run lock for writing commands, runs
 * it, maps errors to exit codes, and appends the run's line to the run log (on failure the last
 * line of stderr names the log file).
 */
export function lazy(load: () => Promise<Action>) {
  return async (...all: unknown[]) => {
    const cmd = all[all.length - 1] as Command;
    const opts = all[all.length - 2] as Record<string, unknown>;
    const args = all
      .slice(0, -2)
      .flat()
      .filter((a): a is string => typeof a === 'string');
    const name = commandPath(cmd);
    lastExit.code = await runTracked(
      cmd,
      { name, args, opts, trapSignals: SIGNAL_TRAPPED.has(name) },
      async (env) => (await load())(env, args, opts, cmd),
    );
  };
}

/**
 * Runs `body` as the command `name` runs: a fresh env (from `cmd`'s global flags), the run lock
 * when `lockAs` (default `name`) is a writing command and this is no dry run, errors reported and
 * mapped to an exit code, one run-log line. The wizard runs each of its steps through this.
 */
export async function runTracked(
  cmd: Command,
  run: {
    name: string;
    args: string[];
    opts?: Record<string, unknown>;
    lockAs?: string;
    /** Stop on SIGINT/SIGTERM with a message and a run-log line (not the wizard: it has its own). */
    trapSignals?: boolean;
  },
  body: (env: CommandEnv) => Promise<number | void>,
): Promise<number> {
  const started = new Date();
  const { name, args } = run;
  const opts = run.opts ?? {};
  let env: CommandEnv | undefined;
  let failure: unknown;
  let code: number;
  const { commandEnv, reportError } = await import('./run.js');
  // Not at the top: chalk and cli-table3 stay unloaded for `--help` (bench/startup.bench.mjs).
  const { Presentation } = await import('./presentation.js');
  let lock: { release(): Promise<void> } | undefined;
  let lockSpan: { waitMs: number; heldMs: number } | undefined;
  let untrap = () => {};
  try {
    const stop = new AbortController();
    env = { ...commandEnv(cmd), signal: stop.signal };
    const e = env;
    if (run.trapSignals) {
      // Without this, SIGINT/SIGTERM ended the run with 130/143, no message and no run-log line.
      // A run that stops mid-transaction loses that transaction: the server rolls back a dropped
      // session, the embedded database recovers without it, and the next order run removes a
      // staged order folder (rule 5; the crash tests kill -9 at every point).
      let stopping = false;
      const onSignal = (sig: 'SIGINT' | 'SIGTERM') => {
        if (e.stopGracefully && !stop.signal.aborted) {
          stop.abort(new Error(sig));
          return;
        }
        const exit = SIGNAL_EXIT[sig];
        // A second signal while the log line is written: quit at once.
        if (stopping) process.exit(exit);
        stopping = true;
        if (lockSpan) lockSpan.heldMs = Date.now() - started.getTime() - lockSpan.waitMs;
        const what = e.stopNote?.() ?? 'the work in progress was rolled back: nothing of it was committed';
        const message = `interrupted by ${sig}: \`silverfox ${name}\` stopped; ${what}`;
        e.pres.error(message, [
          'A staged order folder left behind is removed by the next order run; `silverfox doctor` checks.',
        ]);
        const failure = new SilverfoxError('interrupted', message);
        void writeRunLog(e, { name, args, started, code: exit, failure, lock: lockSpan, cmd })
          .then((file) => {
            if (file) process.stderr.write(`log: ${file}\n`);
          })
          .finally(() => process.exit(exit));
      };
      const onInt = () => onSignal('SIGINT');
      const onTerm = () => onSignal('SIGTERM');
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
      untrap = () => {
        process.removeListener('SIGINT', onInt);
        process.removeListener('SIGTERM', onTerm);
      };
    }
    if (RUN_LOCKED_COMMANDS.has(run.lockAs ?? name) && opts.dryRun !== true) {
      const { acquireRunLock } = await import('../db/run-lock.js');
      lock = await acquireRunLock(e.config, {
        command: [name, ...args].join(' '),
        waitSeconds: e.config.waitLockSeconds,
        onWait: (m) => e.pres.info(m),
      });
      lockSpan = { waitMs: Date.now() - started.getTime(), heldMs: 0 };
    }
    code = (await body(env)) ?? ExitCode.ok;
  } catch (err) {
    failure = err;
    code = reportError(err, env?.pres ?? new Presentation(cmd.optsWithGlobals()));
  } finally {
    untrap();
    // A command that stopped gracefully on a signal exits as a signalled run does.
    const reason: unknown = env?.signal.aborted ? env.signal.reason : undefined;
    if (
      failure !== undefined &&
      reason instanceof Error &&
      (reason.message === 'SIGINT' || reason.message === 'SIGTERM')
    )
      code = SIGNAL_EXIT[reason.message];
    if (lockSpan) lockSpan.heldMs = Date.now() - started.getTime() - lockSpan.waitMs;
    await lock?.release().catch(() => {});
  }
  if (env && !UNLOGGED_COMMANDS.has(name)) {
    const file = await writeRunLog(env, { name, args, started, code, failure, lock: lockSpan, cmd });
    if (file && code !== ExitCode.ok) process.stderr.write(`log: ${file}\n`);
  }
  return code;
}

/** Appends the run's line; a log that cannot be written is a warning, never the run's failure. */
async function writeRunLog(
  env: CommandEnv,
  run: {
    name: string;
    args: string[];
    started: Date;
    code: number;
    failure: unknown;
    lock?: { waitMs: number; heldMs: number };
    cmd: Command;
  },
): Promise<string | undefined> {
  try {
    const { appendRunLog, maskSecrets } = await import('../app/logs.js');
    const f = run.failure === undefined ? undefined : toFailure(run.failure);
    return appendRunLog(env.config, {
      time: run.started.toISOString(),
      pid: process.pid,
      command: run.name,
      args: run.args,
      // Only the options given (flag or environment), not commander's defaults: `logs` shows them.
      options: Object.fromEntries(
        Object.entries(env.flags).filter(
          ([k, v]) =>
            v !== undefined &&
            !(k === 'color' && v === true) &&
            run.cmd.getOptionValueSourceWithGlobals(k) !== 'default',
        ),
      ),
      database: env.config.databaseUrl ? 'server' : 'embedded',
      ...env.notes,
      ...(run.lock ? { lock: run.lock } : {}),
      durationMs: Date.now() - run.started.getTime(),
      exitCode: run.code,
      ...(f !== undefined
        ? {
            error: {
              code: f.code,
              message: maskSecrets(f.message),
              ...(f.stack ? { stack: maskSecrets(f.stack) } : {}),
            },
          }
        : {}),
    });
  } catch (err) {
    env.pres.warn(`could not write the run log in ${env.config.logDir}: ${(err as Error).message}`);
    return undefined;
  }
}

/** The "Examples:" block of a command's help. */
export function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}

/** For repeatable options: `--x a --x b` -> ['a', 'b']. */
export const collect = (value: string, previous: string[] = []) => [...previous, value];
