/**
 * A pseudo-terminal for e2e tests of the interactive wizard: the built binary runs in a detached
 * tmux session on a socket of its own (never the user's tmux), keys go in with send-keys, the
 * screen comes back with capture-pane. Waits poll the screen until a deadline, never sleep blind.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN } from './env.js';

const SESSION = 'wizard';

function tmux(socket: string, args: string[], env?: NodeJS.ProcessEnv): string {
  const r = spawnSync('tmux', ['-S', socket, ...args], { encoding: 'utf8', env });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`tmux ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

export class Terminal {
  private constructor(
    private readonly socket: string,
    private readonly dir: string,
  ) {}

  /**
   * Starts `silverfox ARGS` in a 120x40 terminal with exactly `env` (plus PATH, HOME, TERM). When
   * the binary ends, the pane prints `[exit N]` and stays until `close()`.
   */
  static start(args: string[], env: Record<string, string>, opts: { cwd?: string } = {}): Terminal {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'silverfox-tty-'));
    const socket = path.join(dir, 'tmux.sock');
    const quoted = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const fullEnv: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      TERM: 'xterm-256color',
      ...env,
    };
    // `exec env -i` so nothing of the tmux server's environment (CI, NO_COLOR...) leaks in.
    const assignments = Object.entries(fullEnv)
      .filter((e): e is [string, string] => e[1] !== undefined)
      .map(([k, v]) => `'${k}=${v.replace(/'/g, `'\\''`)}'`)
      .join(' ');
    const command = `cd '${opts.cwd ?? dir}' && env -i ${assignments} ${quoted}; echo "[exit $?]"; sleep 600`;
    tmux(socket, ['-f', '/dev/null', 'new-session', '-d', '-s', SESSION, '-x', '120', '-y', '40', command], {
      PATH: fullEnv.PATH,
      HOME: fullEnv.HOME,
      TERM: 'xterm-256color',
    });
    tmux(socket, ['set-option', '-t', SESSION, 'history-limit', '50000']);
    return new Terminal(socket, dir);
  }

  /** What is on the screen now (the visible 40 lines, wrapped lines joined). */
  screen(): string {
    return tmux(this.socket, ['capture-pane', '-p', '-J', '-t', SESSION]);
  }

  /** Everything printed since the start, scrolled-off lines included. */
  transcript(): string {
    return tmux(this.socket, ['capture-pane', '-p', '-J', '-S', '-', '-E', '-', '-t', SESSION]);
  }

  /** Keys by tmux name: Enter, Down, Up, Space, C-c... */
  keys(...keys: string[]): void {
    tmux(this.socket, ['send-keys', '-t', SESSION, ...keys]);
  }

  /** Types text literally. */
  type(text: string): void {
    tmux(this.socket, ['send-keys', '-t', SESSION, '-l', text]);
  }

  /** Polls the visible screen until `pattern` shows (default 20 s); returns the screen. */
  async waitFor(pattern: RegExp | string, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const last = this.screen();
      if (typeof pattern === 'string' ? last.includes(pattern) : pattern.test(last)) return last;
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${String(pattern)}; the screen shows:\n${last}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Waits for the binary to end; resolves to its exit code. */
  async exitCode(timeoutMs = 20_000): Promise<number> {
    const s = await this.waitFor(/\[exit \d+\]/, timeoutMs);
    return Number(/\[exit (\d+)\]/.exec(s)![1]);
  }

  close(): void {
    try {
      tmux(this.socket, ['kill-server']);
    } catch {
      // already gone
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
