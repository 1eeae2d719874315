/** Spawns the built binary, as a user would run it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { BIN } from './env.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The signal that ended the process (SIGKILL from a test), else null. */
  signal?: NodeJS.Signals | null;
}

export interface CliOptions {
  env?: Record<string, string>;
  cwd?: string;
  input?: string;
  timeoutMs?: number;
  /** Another copy of bin/silverfox.js (a read-only install). */
  bin?: string;
}

export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  return startCli(args, opts).done;
}

/** Starts the built binary; `child` is there to signal it (kill -9 tests), `done` resolves on exit. */
export function startCli(
  args: string[],
  opts: CliOptions = {},
): { child: ChildProcess; done: Promise<CliResult> } {
  let child!: ChildProcess;
  const done = new Promise<CliResult>((resolve, reject) => {
    child = spawn(process.execPath, [opts.bin ?? BIN, ...args], {
      cwd: opts.cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, signal });
    });
    child.stdin!.end(opts.input ?? '');
  });
  return { child, done };
}
