/**
 * How a command is declared and run. Each command is declared once (`defineCommand`): its name,
 * arguments, options as a schema (commander flags and help, and how each value is read and
 * checked), whether it writes, and a lazy `load()` of its action. The action gets its options
 * typed and checked; the runner takes the run lock for writing commands, maps errors to exit codes
 * and appends the run-log line.
 */
import { Command, Option } from 'commander';
import { ExitCode, SilverfoxError, toFailure, UsageError } from '../errors.js';
import type { CommandEnv } from './run.js';

/** The options of a command that has none. */
export type NoOptions = Record<never, never>;

/** A command's code: gets its env, positional args, its typed options; returns an exit code. */
export type Action<O = NoOptions> = (
  env: CommandEnv,
  args: string[],
  opts: O,
  cmd: Command,
) => Promise<number | void>;

/**
 * One option: its commander flags and help, and how the value commander read becomes the typed
 * value the action gets. `parse` throws a UsageError naming the flag; it runs when the command
 * runs (not while commander parses), so a bad value is reported and logged like any run's error.
 */
export interface OptionSpec<T> {
  /** Commander flags, e.g. `--concurrency <n>`. */
  readonly flags: string;
  readonly description: string;
  /** Given when the flag is absent; shown in help as `(default: ...)`. */
  readonly defaultValue?: string;
  /** Commander refuses to run the command without it. */
  readonly mandatory?: boolean;
  /** Repeatable (`--x a --x b`): the values in order. */
  readonly repeatable?: boolean;
  /** A second flag that writes the same value, e.g. `--no-update-vin-log` beside `--update-vin-log`. */
  readonly negation?: { readonly flags: string; readonly description: string };
  /** Reads what commander gave (`undefined` when absent); `flag` is the long flag, for messages. */
  readonly parse: (raw: unknown, flag: string) => T;
}

/** The options of a command, keyed as commander names them (`--dry-run` -> `dryRun`). */
export type OptionSpecs = Readonly<Record<string, OptionSpec<unknown>>>;

/** The typed options an action gets from its specs. */
export type OptionsOf<S extends OptionSpecs> = {
  -readonly [K in keyof S]: S[K] extends OptionSpec<infer T> ? T : never;
};

/** `--x`: true when given. `--no-x`: false when given, true otherwise. */
export function flag(flags: string, description: string): OptionSpec<boolean> {
  const negated = /^--no-/.test(flags);
  return { flags, description, parse: (raw) => (negated ? raw !== false : raw === true) };
}

/** `--x` beside `--no-x`: true, false, or undefined when neither is given (the setting decides). */
export function toggle(
  flags: string,
  description: string,
  negation: { flags: string; description: string },
): OptionSpec<boolean | undefined> {
  return { flags, description, negation, parse: (raw) => (raw === undefined ? undefined : raw === true) };
}

/** `--x <value>` (or `--x [value]`): the text given, or undefined. */
export function text(flags: string, description: string): OptionSpec<string | undefined> {
  return { flags, description, parse: (raw) => (raw === undefined ? undefined : String(raw)) };
}

/** `--x <value>` that may not be blank: "--x expects a value". */
export function nonEmptyText(flags: string, description: string): OptionSpec<string | undefined> {
  return {
    flags,
    description,
    parse: (raw, flag) => {
      if (raw === undefined) return undefined;
      if (typeof raw !== 'string' || raw.trim() === '') throw new UsageError(`${flag} expects a value`);
      return raw;
    },
  };
}

/** `--x <value>` that commander requires. */
export function requiredText(flags: string, description: string): OptionSpec<string> {
  return { flags, description, mandatory: true, parse: (raw) => String(raw) };
}

/** `--x [value]`: true when given alone, the text when given with one, undefined when absent. */
export function textOrFlag(flags: string, description: string): OptionSpec<string | true | undefined> {
  return {
    flags,
    description,
    parse: (raw) => (raw === undefined ? undefined : raw === true ? true : String(raw)),
  };
}

/** A repeatable `--x <value>`: every value in order, or undefined when absent. */
export function repeatable(flags: string, description: string): OptionSpec<string[] | undefined> {
  return {
    flags,
    description,
    repeatable: true,
    parse: (raw) => (Array.isArray(raw) ? raw.map(String) : undefined),
  };
}

/** A whole number of at least `min` (else a UsageError with `message`), or undefined when absent. */
export function wholeNumber(
  flags: string,
  description: string,
  check: { min: number; message: (flag: string, raw: string) => string },
): OptionSpec<number | undefined> {
  return {
    flags,
    description,
    parse: (raw, flag) => {
      if (raw === undefined) return undefined;
      const n = Number(raw);
      if (!Number.isInteger(n) || n < check.min) throw new UsageError(check.message(flag, String(raw)));
      return n;
    },
  };
}

/** `--x <n>`, a positive whole number: "--x expects a positive whole number, got "0"". */
export function positiveInt(flags: string, description: string): OptionSpec<number | undefined> {
  return wholeNumber(flags, description, {
    min: 1,
    message: (flag, raw) => `${flag} expects a positive whole number, got "${raw}"`,
  });
}

/** `--x <n>`, a whole number of at least `min`: "--x expects a whole number of at least 1, got "0"". */
export function atLeast(flags: string, description: string, min: number): OptionSpec<number | undefined> {
  return wholeNumber(flags, description, {
    min,
    message: (flag, raw) => `${flag} expects a whole number of at least ${min}, got "${raw}"`,
  });
}

/** `spec` with a default shown in help (`(default: "5")`): never undefined. */
export function withDefault<T>(spec: OptionSpec<T | undefined>, defaultValue: string): OptionSpec<T> {
  return {
    ...spec,
    defaultValue,
    parse: (raw, flag) => {
      const value = spec.parse(raw ?? defaultValue, flag);
      if (value === undefined) throw new Error(`${flag}: the default ${defaultValue} reads as nothing`);
      return value;
    },
  };
}

/** The typed options of `specs` from raw values (commander's, or a caller's); throws UsageError. */
export function parseOptions<S extends OptionSpecs>(specs: S, raw: Record<string, unknown>): OptionsOf<S> {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(specs)) {
    out[key] = spec.parse(raw[key] ?? spec.defaultValue, longFlag(spec.flags));
  }
  // The one place the keys of `specs` meet their parsed values.
  return out as OptionsOf<S>;
}

/** The options a command gets when called from code (the wizard): its defaults and `given`. */
export function optionsWith<S extends OptionSpecs>(specs: S, given: Partial<OptionsOf<S>>): OptionsOf<S> {
  return { ...parseOptions(specs, {}), ...given };
}

const longFlag = (flags: string) => /--[\w-]+/.exec(flags)?.[0] ?? flags;

/** What a command declares (see `defineCommand`). */
export interface CommandSpec<S extends OptionSpecs> {
  /** Its path: `cao`, `orders void`. A group's subcommands come after the group. */
  readonly name: string;
  readonly description: string;
  /** Positional arguments: commander's `<name>`, `[name]`, `[name...]`, and their help. */
  readonly args?: readonly (readonly [string, string])[];
  readonly options?: S;
  /** It writes: it takes the run lock, unless `--dry-run` is given. */
  readonly writes: boolean;
  /**
   * A SIGINT/SIGTERM stops it with a message and a run-log line (exit 130/143). Default: `writes`.
   */
  readonly trapSignals?: boolean;
  /** It appends a run-log line (default true; reading the log should not grow it). */
  readonly logged?: boolean;
  /** The "Examples:" block of its help. */
  readonly examples: readonly string[];
  /** More help after the examples. */
  readonly help?: string;
  /** Its action, imported only when it runs. A group without an action of its own has none. */
  readonly load?: () => Promise<Action<NoInfer<OptionsOf<S>>>>;
}

/** A declared command, its options' types erased (what the program and the wizard look up). */
export interface CommandDecl {
  readonly name: string;
  readonly description: string;
  readonly args: readonly (readonly [string, string])[];
  readonly options: OptionSpecs;
  readonly writes: boolean;
  readonly trapSignals: boolean;
  readonly logged: boolean;
  readonly examples: readonly string[];
  readonly help: string;
  /** Checks the raw options (throws UsageError) and gives the run of the action with them. */
  readonly bind?: (
    raw: Record<string, unknown>,
  ) => (env: CommandEnv, args: string[], cmd: Command) => Promise<number | void>;
}

/** Declares a command once: everything the program, its help and the runner need. */
export function defineCommand<S extends OptionSpecs = NoOptions>(spec: CommandSpec<S>): CommandDecl {
  const { load } = spec;
  const specs = (spec.options ?? {}) as S;
  return {
    name: spec.name,
    description: spec.description,
    args: spec.args ?? [],
    options: specs,
    writes: spec.writes,
    trapSignals: spec.trapSignals ?? spec.writes,
    logged: spec.logged ?? true,
    examples: spec.examples,
    help: spec.help ?? '',
    ...(load
      ? {
          bind: (raw: Record<string, unknown>) => {
            const opts = parseOptions(specs, raw);
            return async (env: CommandEnv, args: string[], cmd: Command) =>
              (await load())(env, args, opts, cmd);
          },
        }
      : {}),
  };
}

/** For repeatable options: `--x a --x b` -> ['a', 'b']. */
const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Adds a declared command to `program` (under its group, declared before it). */
export function addCommand(program: Command, decl: CommandDecl): Command {
  const path = decl.name.split(' ');
  let parent = program;
  for (const name of path.slice(0, -1)) {
    const found = parent.commands.find((c) => c.name() === name);
    if (!found) throw new Error(`${decl.name}: declare the group \`${name}\` before its subcommands`);
    parent = found;
  }
  const cmd = parent.command(path[path.length - 1]!);
  for (const [name, description] of decl.args) cmd.argument(name, description);
  cmd.description(decl.description);
  for (const [key, spec] of Object.entries(decl.options)) {
    const option = new Option(spec.flags, spec.description);
    if (spec.defaultValue !== undefined) option.default(spec.defaultValue);
    if (spec.mandatory) option.makeOptionMandatory();
    if (spec.repeatable) option.argParser(collect);
    // The schema's key is the name commander stores the value under: a typo would read nothing.
    if (option.attributeName() !== key)
      throw new Error(
        `${decl.name}: option ${spec.flags} is stored as ${option.attributeName()}, not ${key}`,
      );
    cmd.addOption(option);
    if (spec.negation) cmd.addOption(new Option(spec.negation.flags, spec.negation.description));
  }
  cmd.addHelpText('after', examples(decl.examples) + decl.help);
  const { bind } = decl;
  if (bind) {
    cmd.action(async (...all: unknown[]) => {
      const c = all[all.length - 1] as Command;
      const raw = c.opts();
      const args = all
        .slice(0, -2)
        .flat()
        .filter((a): a is string => typeof a === 'string');
      let action: ReturnType<typeof bind> | undefined;
      lastExit.code = await runTracked(
        c,
        {
          name: decl.name,
          args,
          opts: raw,
          writes: decl.writes,
          trapSignals: decl.trapSignals,
          logged: decl.logged,
          check: () => {
            action = bind(raw);
          },
        },
        async (env) => action?.(env, args, c),
      );
    });
  }
  return cmd;
}

/** Exit code chosen by the last action (commander's parseAsync returns the program, not ours). */
export const lastExit = { code: ExitCode.ok as number };

const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * Runs `body` as the command `name` runs: a fresh env (from `cmd`'s global flags), `check` (the
 * options), the run lock when it `writes` and this is no dry run, errors reported and mapped to an
 * exit code, one run-log line (on failure the last line of stderr names the log file). The wizard
 * runs each of its steps through this.
 */
export async function runTracked(
  cmd: Command,
  run: {
    name: string;
    args: string[];
    opts?: Record<string, unknown>;
    /** Take the run lock (unless `opts.dryRun`). */
    writes: boolean;
    /** Stop on SIGINT/SIGTERM with a message and a run-log line (not the wizard: it has its own). */
    trapSignals?: boolean;
    /** Append a run-log line (default true). */
    logged?: boolean;
    /** Checks the options before the lock is taken; throws UsageError. */
    check?: () => void;
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
    run.check?.();
    if (run.writes && opts.dryRun !== true) {
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
  if (env && run.logged !== false) {
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
export function examples(lines: readonly string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}
