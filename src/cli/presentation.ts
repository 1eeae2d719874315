/**
 * The one place that decides colour, spinners and prompts. stdout carries results, stderr
 * progress and diagnostics. No colour, spinner or prompt when the stream is not a TTY, with
 * NO_COLOR, TERM=dumb, CI, --json, --yes or --no-color. Output is ASCII so cron logs stay readable.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import Table from 'cli-table3';
import { terminalEnv } from '../terminal-config.js';
import { localDateTime } from '../core/calendar.js';

export interface GlobalFlags {
  json?: boolean;
  yes?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  color?: boolean;
  db?: string;
}

interface Streams {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
}

export interface Spinner {
  update(text: string): void;
  succeed(text: string): void;
  fail(text: string): void;
  stop(): void;
}

export class Presentation {
  readonly json: boolean;
  readonly yes: boolean;
  readonly quiet: boolean;
  readonly verbose: boolean;
  /** Colours for stdout / stderr (level 0 when colour is off). */
  readonly c: ChalkInstance;
  readonly ce: ChalkInstance;
  /** True when we may ask the operator a question. */
  readonly interactive: boolean;
  private readonly spinners: boolean;
  /** Stops of the spinners running now (cleared before an error line). */
  private readonly liveSpinners = new Set<() => void>();
  /** Error lines printed so far (a spinner asked for before one never starts after it). */
  private errorsShown = 0;

  constructor(
    flags: GlobalFlags,
    private readonly streams: Streams = {
      stdout: process.stdout,
      stderr: process.stderr,
      stdin: process.stdin,
    },
    env?: Record<string, string | undefined>,
  ) {
    const t = terminalEnv(env);
    this.json = Boolean(flags.json);
    this.yes = Boolean(flags.yes);
    this.quiet = Boolean(flags.quiet);
    this.verbose = Boolean(flags.verbose);
    const colourAllowed =
      flags.color !== false && !t.noColor && !t.termDumb && t.forceColor !== '0' && !this.json;
    const forced = t.forceColor !== undefined && t.forceColor !== '0' && colourAllowed;
    this.c = new Chalk({ level: forced || (colourAllowed && streams.stdout.isTTY && !t.ci) ? 1 : 0 });
    this.ce = new Chalk({ level: forced || (colourAllowed && streams.stderr.isTTY && !t.ci) ? 1 : 0 });
    this.interactive =
      !this.json && !this.yes && !t.ci && Boolean(streams.stdin.isTTY) && Boolean(streams.stderr.isTTY);
    // ora loops forever on a 0-column terminal: spinners only on a real, sized stderr TTY.
    this.spinners =
      !this.json &&
      !this.yes &&
      !this.quiet &&
      !t.ci &&
      !t.termDumb &&
      Boolean(streams.stderr.isTTY) &&
      (streams.stderr.columns ?? 0) > 0;
  }

  /** A result line on stdout. */
  out(text = ''): void {
    this.streams.stdout.write(`${text}\n`);
  }

  /** A JSON result on stdout. */
  outJson(value: unknown): void {
    this.streams.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** Progress or a note on stderr (silent with --quiet). */
  info(text: string): void {
    if (!this.quiet) this.streams.stderr.write(`${text}\n`);
  }

  /** Diagnostics only with --verbose. */
  debug(text: string): void {
    if (this.verbose) this.streams.stderr.write(`${this.ce.dim(text)}\n`);
  }

  /** A warning on stderr (shown even with --quiet). */
  warn(text: string): void {
    this.streams.stderr.write(`${this.ce.yellow('warning:')} ${text}\n`);
  }

  /**
   * An error with its hints on stderr. Spinners still running are cleared first, and one asked for
   * before the error but not yet drawn never starts: a frame after the error line would garble it.
   */
  error(text: string, hints: readonly string[] = []): void {
    this.errorsShown++;
    for (const stop of this.liveSpinners) stop();
    this.liveSpinners.clear();
    this.streams.stderr.write(`${this.ce.red('error:')} ${text}\n`);
    for (const h of hints) this.streams.stderr.write(`  ${h}\n`);
  }

  /** A plain ASCII table with colour decided here (cli-table3 colours by itself otherwise). */
  table(
    head: string[],
    rows: (string | number | null | undefined)[][],
    opts: { align?: ('left' | 'right')[] } = {},
  ): string {
    const table = new Table({
      head: head.map((h) => this.c.bold(h)),
      style: { head: [], border: [], compact: true, 'padding-left': 0, 'padding-right': 0 },
      chars: {
        top: '',
        'top-mid': '',
        'top-left': '',
        'top-right': '',
        bottom: '',
        'bottom-mid': '',
        'bottom-left': '',
        'bottom-right': '',
        left: '',
        'left-mid': '',
        mid: '-',
        'mid-mid': '-+-',
        right: '',
        'right-mid': '',
        middle: ' | ',
      },
      colAligns: opts.align ?? head.map(() => 'left' as const),
    });
    for (const r of rows) table.push(r.map((v) => (v === null || v === undefined ? '' : String(v))));
    return table
      .toString()
      .split('\n')
      .map((l) => l.trimEnd())
      .join('\n');
  }

  /** No spinner: the final line only (nothing with --quiet). */
  private plainSpinner(): Spinner {
    return {
      update: () => {},
      succeed: (t) => this.info(t),
      fail: (t) => this.streams.stderr.write(`${t}\n`),
      stop: () => {},
    };
  }

  /** A spinner on stderr when allowed; otherwise plain lines (or nothing with --quiet). */
  async spinner(text: string): Promise<Spinner> {
    const errorsBefore = this.errorsShown;
    const plain = () => !this.spinners || this.errorsShown !== errorsBefore;
    if (plain()) return this.plainSpinner();
    const { default: ora } = await import('ora');
    // An error printed while ora was loading (import's spinner comes up late): none after it.
    if (plain()) return this.plainSpinner();
    const s = ora({ text, stream: this.streams.stderr, spinner: 'line', color: 'cyan' }).start();
    const stop = () => void s.stop();
    this.liveSpinners.add(stop);
    const done = (f: () => void) => {
      this.liveSpinners.delete(stop);
      f();
    };
    return {
      update: (t) => {
        s.text = t;
      },
      succeed: (t) => done(() => s.stopAndPersist({ symbol: this.ce.green('ok'), text: t })),
      fail: (t) => done(() => s.stopAndPersist({ symbol: this.ce.red('!!'), text: t })),
      stop: () => done(stop),
    };
  }

  /** Asks yes/no on stderr; only call when `interactive` (never under cron). */
  async confirm(message: string, def = false): Promise<boolean> {
    if (!this.interactive) return this.yes;
    const { confirm } = await import('@inquirer/prompts');
    return confirm({ message, default: def, theme: this.promptTheme() }, this.promptContext());
  }

  /** Where @inquirer/prompts read and draw: the terminal's stdin, and stderr (stdout stays for results). */
  promptContext(): { input: NodeJS.ReadStream; output: NodeJS.WriteStream } {
    return { input: this.streams.stdin, output: this.streams.stderr };
  }

  /**
   * A theme for every @inquirer/prompts prompt: ASCII only (its defaults draw Unicode ticks,
   * arrows and circles) and coloured by the level decided here, not by node:util's styleText.
   */
  promptTheme() {
    const c = this.ce;
    const key = (k: string) =>
      ({ '\u2191\u2193': 'up/down', '\u23ce': 'enter' })[k] ?? k.replace(/[^\x20-\x7e]/g, '?');
    return {
      prefix: { idle: c.blue('?'), done: c.green('ok') },
      spinner: { interval: 120, frames: ['-', '\\', '|', '/'].map((f) => c.yellow(f)) },
      icon: {
        cursor: '>',
        checked: c.green('[x]'),
        unchecked: '[ ]',
        disabledChecked: c.green('[=]'),
        disabledUnchecked: ' - ',
      },
      style: {
        answer: (t: string) => c.cyan(t),
        message: (t: string) => c.bold(t),
        error: (t: string) => c.red(`> ${t}`),
        defaultAnswer: (t: string) => c.dim(`(${t})`),
        help: (t: string) => c.dim(t),
        highlight: (t: string) => c.cyan(t),
        key: (t: string) => c.cyan(c.bold(`<${t}>`)),
        disabled: (t: string) => c.dim(t),
        description: (t: string) => c.cyan(t),
        searchTerm: (t: string) => c.cyan(t),
        confirmDefault: (t: string) => t.toUpperCase(),
        keysHelpTip: (keys: [string, string][]) =>
          keys.map(([k, action]) => `${c.bold(key(k))} ${c.dim(action)}`).join(c.dim(', ')),
      },
    };
  }
}

/** `2026-11-23 14:05` in local time, or an empty cell. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '';
  return localDateTime(new Date(iso), { seconds: false });
}

/** `3.5h`, `2.1d`. */
export function formatAge(hours: number | null | undefined): string {
  if (hours === null || hours === undefined) return 'never';
  return hours < 48 ? `${hours.toFixed(1)}h` : `${(hours / 24).toFixed(1)}d`;
}
