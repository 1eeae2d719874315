/**
 * What every wizard screen shares: prompts (@inquirer/prompts on stderr, ASCII theme and colour
 * from the Presentation), reads and tracked steps over the app functions, and Ctrl-C handling.
 * The database is opened per step and closed again, so an operator idling in a menu never holds
 * the embedded database (or the run lock) that cron needs.
 */
import type { Command } from 'commander';
import type { AppContext } from '../../app/context.js';
import type { DealershipStatus } from '../../app/status.js';
import type { Dealership } from '../../app/dealers.js';
import { runTracked } from '../define.js';
import { formatAge, type Presentation } from '../presentation.js';
import { reportError, withApp, type CommandEnv } from '../run.js';

/** A choice of a select, search or checkbox prompt. */
export interface Choice<V> {
  name: string;
  value: V;
  /** What the answered prompt shows (default: the name). */
  short?: string;
  description?: string;
  disabled?: boolean | string;
  checked?: boolean;
}

/** A line between choices. */
export interface Line {
  line: string;
}

/** Thrown to leave a flow for the main menu (Ctrl-C at a prompt, or "back"). */
export class BackToMenu extends Error {
  constructor() {
    super('back to the menu');
    this.name = 'BackToMenu';
  }
}

/** Ctrl-C (or Escape-like aborts) at an @inquirer prompt. */
export function isCancel(err: unknown): boolean {
  const name = (err as { name?: string } | null)?.name;
  return (
    name === 'ExitPromptError' ||
    name === 'AbortPromptError' ||
    name === 'CancelPromptError' ||
    err instanceof BackToMenu
  );
}

const loadPrompts = () => import('@inquirer/prompts');

/** A dealership as the pickers show it: the record, with its freshness and VIN-log size when known. */
export interface PickableDealership {
  dealership: Dealership;
  status: DealershipStatus | undefined;
}

export class Wizard {
  constructor(
    /** The env of the `wizard` command (its presentation prints the screens). */
    readonly env: CommandEnv,
    /** The `wizard` command: steps build their env and run-log line from its global flags. */
    readonly cmd: Command,
  ) {}

  get pres(): Presentation {
    return this.env.pres;
  }

  /** Rows the terminal has (for list heights). */
  private get pageSize(): number {
    const rows = process.stderr.rows ?? 24;
    return Math.max(5, Math.min(15, rows - 12));
  }

  private toInquirer<V>(
    Separator: new (s?: string) => unknown,
    choices: readonly (Choice<V> | Line)[],
  ): (Choice<V> | InstanceType<typeof Separator>)[] {
    return choices.map((c) => ('line' in c ? new Separator(this.pres.ce.dim(c.line)) : c));
  }

  /** One of several choices. */
  async select<V>(message: string, choices: readonly (Choice<V> | Line)[], def?: V): Promise<V> {
    const { select, Separator } = await loadPrompts();
    return select<V>(
      {
        message,
        choices: this.toInquirer(Separator, choices) as never,
        default: def,
        pageSize: this.pageSize,
        loop: false,
        theme: this.pres.promptTheme(),
      },
      this.pres.promptContext(),
    );
  }

  /** Several of a list (those with `checked` ticked); the answer line says how many. */
  async checkbox<V>(message: string, choices: readonly (Choice<V> | Line)[]): Promise<V[]> {
    const { checkbox, Separator } = await loadPrompts();
    const theme = this.pres.promptTheme();
    const total = choices.filter((c) => !('line' in c)).length;
    return checkbox<V>(
      {
        message,
        choices: this.toInquirer(Separator, choices) as never,
        pageSize: this.pageSize,
        loop: false,
        theme: {
          ...theme,
          style: {
            ...theme.style,
            renderSelectedChoices: (chosen: readonly unknown[]) => `${chosen.length} of ${total}`,
          },
        },
      },
      this.pres.promptContext(),
    );
  }

  /** One of a list the operator narrows by typing (`term` arrives trimmed and lower-cased). */
  async search<V>(message: string, source: (term: string) => (Choice<V> | Line)[]): Promise<V> {
    const { search, Separator } = await loadPrompts();
    return search<V>(
      {
        message,
        source: (term) => this.toInquirer(Separator, source((term ?? '').trim().toLowerCase())) as never,
        pageSize: this.pageSize,
        theme: this.pres.promptTheme(),
      },
      this.pres.promptContext(),
    );
  }

  /** A line of text; `validate` returns an error message or true. */
  async input(
    message: string,
    opts: { default?: string; validate?: (v: string) => string | true } = {},
  ): Promise<string> {
    const { input } = await loadPrompts();
    return input(
      { message, default: opts.default, validate: opts.validate, theme: this.pres.promptTheme() },
      this.pres.promptContext(),
    );
  }

  /**
   * Lines typed or pasted until an empty line (or Ctrl-D); `count` says how many items the lines
   * hold so far, for the prompt. Node's readline rather than an @inquirer input: a pasted block
   * arrives in one chunk, and a prompt per line would drop every line after the first.
   * Ctrl-C goes back to the menu.
   */
  async lines(message: string, count: (lines: readonly string[]) => number): Promise<string[]> {
    const { createInterface } = await import('node:readline');
    const { ce } = this.pres;
    process.stderr.write(`${ce.blue('?')} ${ce.bold(message)}\n`);
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    const lines: string[] = [];
    const prompt = () => {
      rl.setPrompt(`  ${count(lines)} so far> `);
      rl.prompt();
    };
    return new Promise<string[]>((resolve, reject) => {
      let settled = false;
      const finish = (err?: Error) => {
        if (settled) return;
        settled = true;
        rl.close();
        if (err) reject(err);
        else {
          process.stderr.write(`${ce.green('ok')} ${count(lines)} given\n`);
          resolve(lines);
        }
      };
      rl.on('line', (line) => {
        if (line.trim() === '') return finish();
        lines.push(line);
        prompt();
      });
      rl.on('SIGINT', () => {
        process.stderr.write('\n');
        finish(new BackToMenu());
      });
      rl.on('close', () => finish());
      prompt();
    });
  }

  async confirm(message: string, def: boolean): Promise<boolean> {
    const { confirm } = await loadPrompts();
    return confirm({ message, default: def, theme: this.pres.promptTheme() }, this.pres.promptContext());
  }

  /** Text from the operator's editor ($VISUAL / $EDITOR); throws when no editor can start. */
  async editor(message: string, text = ''): Promise<string> {
    const { editor } = await loadPrompts();
    return editor(
      {
        message,
        default: text,
        waitForUserInput: false,
        postfix: '.txt',
        theme: this.pres.promptTheme(),
      },
      this.pres.promptContext(),
    );
  }

  /**
   * Runs `fn` while no prompt is up. Ctrl-C then reaches the process as SIGINT: the first one
   * says what is still running (an action that handles Ctrl-C itself, like import and scrape,
   * says it instead), the second quits at once; an order is all or nothing either way.
   */
  async busy<T>(fn: () => Promise<T>, opts: { handlesCtrlC?: boolean } = {}): Promise<T> {
    let presses = 0;
    const onSigint = () => {
      presses++;
      if (presses >= 2) {
        process.stderr.write('\nquitting now (an order is written all or nothing)\n');
        process.exit(130);
      }
      if (!opts.handlesCtrlC)
        this.pres.warn(
          'still working: it finishes (or rolls back) on its own, then you are back here. Ctrl-C again to quit now.',
        );
    };
    process.on('SIGINT', onSigint);
    try {
      return await fn();
    } finally {
      process.removeListener('SIGINT', onSigint);
    }
  }

  /** Reads through an app function with a context opened for it. */
  read<T>(fn: (ctx: AppContext) => Promise<T>): Promise<T> {
    return this.busy(() => withApp(this.env, fn));
  }

  /**
   * A step that does something: run as the command `lockAs` runs (run lock for writing
   * commands, error reported, a run-log line named `wizard <name>`). Resolves to its exit code.
   */
  step(
    name: string,
    args: string[],
    body: (env: CommandEnv) => Promise<number | void>,
    opts: { lockAs?: string; handlesCtrlC?: boolean } = {},
  ): Promise<number> {
    return this.busy(async () => {
      // The command this step stands for decides the run lock, as its own run would.
      const { commandWrites } = await import('../defs/index.js');
      const writes = commandWrites(opts.lockAs ?? name);
      return runTracked(this.cmd, { name: `wizard ${name}`, args, writes }, body);
    }, opts);
  }

  /** Reports an error that ended a flow (the flow is left, the menu comes back). */
  report(err: unknown): void {
    reportError(err, this.pres);
  }

  /** "Open another ..." or back to the menu. */
  async again(what: string): Promise<boolean> {
    return (await this.select('Next?', [
      { name: `Open another ${what}`, value: true },
      { name: 'Back to the menu', value: false },
    ])) as boolean;
  }

  /**
   * Picks dealerships by typing part of a name, slug or alias. With `multi`, Enter adds or
   * removes the highlighted one and "continue" ends; each shows its snapshot age and VIN-log size.
   */
  async pickDealerships(
    all: PickableDealership[],
    opts: { multi: boolean; message: string; filter?: (d: PickableDealership) => boolean },
  ): Promise<Dealership[]> {
    const { ce } = this.pres;
    const list = all.filter(opts.filter ?? (() => true));
    if (list.length === 0) {
      this.pres.warn('there is no dealership to choose: add one with `silverfox dealers add NAME`');
      throw new BackToMenu();
    }
    const width = Math.min(40, Math.max(...list.map((d) => d.dealership.name.length)));
    const label = (p: PickableDealership, chosen: boolean) => {
      const s = p.status;
      const age = !s || s.importedAt === null ? 'no inventory' : `snapshot ${formatAge(s.ageHours)}`;
      const fresh = s?.stale ? ce.yellow(`${age} STALE`.padEnd(20)) : age.padEnd(20);
      return [
        opts.multi ? (chosen ? ce.green('[x]') : '[ ]') : '',
        p.dealership.name.padEnd(width),
        fresh,
        `VIN log ${s?.vinLogSize ?? 0}`.padEnd(14),
        p.dealership.enabled ? '' : ce.dim('(disabled)'),
      ]
        .filter((x) => x !== '')
        .join('  ');
    };
    const matches = (p: PickableDealership, term: string) =>
      term === '' ||
      [p.dealership.name, p.dealership.slug, ...p.dealership.aliases].some((n) =>
        n.toLowerCase().includes(term),
      );
    const chosen = new Map<string, Dealership>();
    const CONTINUE = '\u0000continue';
    const BACK = '\u0000back';
    for (;;) {
      const picked = await this.search<string>(
        opts.multi
          ? `${opts.message} (type to search; Enter adds or removes; ${chosen.size} chosen)`
          : `${opts.message} (type to search, Enter chooses)`,
        (term) => {
          // Names that start with what was typed first (a stable sort keeps the order otherwise).
          const found = list
            .filter((p) => matches(p, term))
            .sort(
              (a, b) =>
                Number(!a.dealership.name.toLowerCase().startsWith(term)) -
                Number(!b.dealership.name.toLowerCase().startsWith(term)),
            );
          const names = [...chosen.values()].map((d) => d.name).join(', ');
          const go =
            opts.multi && chosen.size > 0
              ? [{ name: ce.green(`-> Continue with ${names}`), value: CONTINUE, short: names }]
              : [];
          // Typing looks for a dealership: the first match is highlighted, "continue" comes after.
          return [
            ...(term === '' ? go : []),
            ...found.map((p) => ({
              name: label(p, chosen.has(p.dealership.slug)),
              value: p.dealership.slug,
              short: p.dealership.name,
            })),
            ...(found.length === 0 ? [{ line: `no dealership matches "${term}"` }] : []),
            ...(term === '' ? [] : go),
            { name: '<- Back to the menu', value: BACK, short: 'back' },
          ];
        },
      );
      if (picked === BACK) throw new BackToMenu();
      if (picked === CONTINUE) return [...chosen.values()];
      const p = list.find((x) => x.dealership.slug === picked)!;
      if (!opts.multi) return [p.dealership];
      if (chosen.has(picked)) chosen.delete(picked);
      else chosen.set(picked, p.dealership);
    }
  }

  /** Every dealership with its status, for the pickers. */
  async dealerships(): Promise<PickableDealership[]> {
    const [{ listDealers }, { getStatus }] = await Promise.all([
      import('../../app/dealers.js'),
      import('../../app/status.js'),
    ]);
    return this.read(async (ctx) => {
      const dealers = await listDealers(ctx);
      const status = new Map((await getStatus(ctx)).dealerships.map((s) => [s.slug, s]));
      return dealers
        .map((d) => ({ dealership: d, status: status.get(d.slug) }))
        .sort(
          (a, b) =>
            Number(b.dealership.enabled) - Number(a.dealership.enabled) ||
            a.dealership.name.localeCompare(b.dealership.name),
        );
    });
  }
}
