/**
 * The silverfox command line. Commands are declared in defs/ (so `--help` is complete) but their
 * code is imported only when they run: `--help` and `status` never load Playwright, QR or PDF code,
 * and `--help` loads neither chalk nor cli-table3 (presentation.ts is imported when a command runs).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { packageRoot } from '../paths.js';
import { ExitCode } from '../errors.js';
import { addCommand, examples, lastExit } from './define.js';
import { commands } from './defs/index.js';

function version(): string {
  try {
    return (JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string })
      .version;
  } catch {
    return '0.0.0';
  }
}

/** Builds the program; exported for tests of the wiring. */
export function buildProgram(): Command {
  const program = new Command('silverfox');
  // Must be set before subcommands are created so they inherit it.
  program.exitOverride();
  program.configureOutput({
    writeErr: (s) => process.stderr.write(s),
    writeOut: (s) => process.stdout.write(s),
  });
  program
    .description('The order desk of a dealership-graphics shop: inventory in, CAO and LIST orders out.')
    .version(version(), '-V, --version', 'print the version')
    .option('--json', 'print results as JSON on stdout (no colour, no prompts)')
    .option('-y, --yes', 'answer yes to confirmations (for cron and scripts)')
    .option('-q, --quiet', 'print only results and errors')
    .option('-v, --verbose', 'print diagnostics, and stack traces of errors')
    .option('--no-color', 'never use colour')
    .option(
      '--db <url-or-path>',
      'PostgreSQL URL, or folder of the embedded database (overrides DATABASE_URL)',
    )
    // Every writing command honours it (the `writes` of its declaration).
    .option(
      '--wait-lock <seconds>',
      'when another writing run holds the run lock, wait up to this long (default SILVERFOX_WAIT_LOCK, 0)',
    )
    .showSuggestionAfterError(true)
    .addHelpText(
      'after',
      examples([
        'silverfox status',
        'silverfox dealers list',
        'silverfox --db postgres://localhost/silverfox status',
      ]) +
        '\nExit codes: 0 ok, 1 error, 2 usage, 3 partial failure.\n' +
        'Environment: DATABASE_URL, SILVERFOX_DATA_DIR, SILVERFOX_ORDERS_DIR, SILVERFOX_LOG_DIR,\n' +
        '  CHROMIUM_PATH, SILVERFOX_CONCURRENCY (see .env.example).\n',
    );
  for (const decl of commands) addCommand(program, decl);
  return program;
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  lastExit.code = ExitCode.ok;
  // `silverfox ... | head` closes the pipe early: no stack, and no exit on the spot either. The
  // command runs to its end with its output dropped, so a write is never cut off half way and the
  // run still appends its run-log line (the README: every run is logged).
  let stdoutGone = false;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' || stdoutGone) {
      stdoutGone = true;
      return;
    }
    throw err;
  });
  const program = buildProgram();
  if (argv.length <= 2) {
    // At a terminal, no arguments open the wizard; never wait for input under cron: print help, exit 2.
    const { Presentation } = await import('./presentation.js');
    if (!new Presentation({}).interactive) {
      process.stderr.write(program.helpInformation());
      return ExitCode.usage;
    }
    argv = [...argv, 'wizard'];
  }
  try {
    await program.parseAsync(argv);
    return lastExit.code;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) {
        return ExitCode.ok;
      }
      // Unknown command or option, missing argument: usage errors exit 2 (commander says 1).
      return ExitCode.usage;
    }
    const { reportError } = await import('./run.js');
    const { Presentation } = await import('./presentation.js');
    return reportError(err, new Presentation({}));
  }
}
