/** Helpers for declaring commands: lazy actions, example blocks, repeatable options. */
import type { Command } from 'commander';
import { ExitCode } from '../errors.js';
import { Presentation } from './presentation.js';
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

/** Wraps a lazily imported action: builds its env, runs it, maps errors to exit codes. */
export function lazy(load: () => Promise<Action>) {
  return async (...all: unknown[]) => {
    const cmd = all[all.length - 1] as Command;
    const opts = all[all.length - 2] as Record<string, unknown>;
    const args = all
      .slice(0, -2)
      .flat()
      .filter((a): a is string => typeof a === 'string');
    let env: CommandEnv | undefined;
    const { commandEnv, reportError } = await import('./run.js');
    try {
      env = commandEnv(cmd);
      const action = await load();
      lastExit.code = (await action(env, args, opts, cmd)) ?? ExitCode.ok;
    } catch (err) {
      lastExit.code = reportError(err, env?.pres ?? new Presentation(cmd.optsWithGlobals()));
    }
  };
}

/** The "Examples:" block of a command's help. */
export function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}

/** For repeatable options: `--x a --x b` -> ['a', 'b']. */
export const collect = (value: string, previous: string[] = []) => [...previous, value];
