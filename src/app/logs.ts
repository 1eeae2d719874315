/**
 * Run logs: every command run appends one JSON line to `<logDir>/silverfox-YYYY-MM-DD.jsonl`
 * (local date). A day's file that reaches `logMaxBytes` is renamed to `.1.jsonl`, `.2.jsonl`...;
 * files older than `logKeepDays` are deleted. Secrets never reach a line: URL passwords are
 * masked and options whose name looks like a credential are replaced.
 *
 * Only node:fs here: the CLI loads this module after every command, so it must stay light.
 */
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import path from 'node:path';
import { localDay } from '../core/calendar.js';

/** One line of the run log. */
export interface RunLogEntry {
  /** When the run started (ISO, UTC). */
  time: string;
  pid: number;
  /** The command path: `cao`, `db prune`, `orders archive`. */
  command: string;
  /** Positional arguments, secrets masked. */
  args: string[];
  /** Options given (global ones included), secrets masked. */
  options: Record<string, unknown>;
  database: 'embedded' | 'server';
  /** The dealership(s) the run worked on, when the command said so. */
  dealerships?: string[];
  /** What the run did: rows imported, vehicles ordered... */
  counts?: Record<string, number>;
  /**
   * Writing commands: the run lock was taken `waitMs` after `time` and held `heldMs` (so overlapping
   * runs can be told apart, and a long wait behind another run shows).
   */
  lock?: { waitMs: number; heldMs: number };
  durationMs: number;
  exitCode: number;
  /** Why the run failed; `stack` only for a bug (code `internal`). */
  error?: { code: string; message: string; stack?: string };
  /** Dealerships of a batch that failed while the others went on; `stack` only for a bug. */
  failures?: RunLogFailure[];
}

/** One dealership's failure in a run log line. */
export interface RunLogFailure {
  dealership: string;
  code: string;
  message: string;
  stack?: string;
}

/** What a command adds to its log line while it runs (see CommandEnv.note). */
export interface RunLogNotes {
  dealerships?: string[];
  counts?: Record<string, number>;
  failures?: RunLogFailure[];
}

const FILE_RE = /^silverfox-(\d{4}-\d{2}-\d{2})(?:\.(\d+))?\.jsonl$/;
const SECRET_KEY = /pass(word)?|secret|token|api[-_]?key|credential|cookie|authorization/i;

/**
 * Masks `scheme://user:password@` in any text. The scheme is at most 32 characters: with an
 * unbounded one, a long run of letters (a 100,000-character argument) is re-scanned from every
 * position, quadratic time (minutes) before the error line is logged.
 */
export function maskSecrets(text: string): string {
  return text
    .replace(/([a-z][a-z0-9+.-]{0,31}:\/\/[^:/@\s]*):[^@\s/]*@/gi, '$1:****@')
    .replace(/\b(password|passwd|pwd)=([^&\s]+)/gi, '$1=****');
}

/** Deep copy with secrets masked: credential-like keys replaced, URL passwords masked. */
export function redact(value: unknown, key = ''): unknown {
  if (key && SECRET_KEY.test(key) && value !== undefined && value !== null && value !== false) return '****';
  if (typeof value === 'string') return maskSecrets(value);
  if (Array.isArray(value)) return value.map((v) => redact(v));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = redact(v, k);
    return out;
  }
  return value;
}

/** The file a run that started at `at` appends to. */
export function runLogFile(logDir: string, at: Date): string {
  return path.join(logDir, `silverfox-${localDay(at)}.jsonl`);
}

/** Renames a full day file to the next free `.N.jsonl` (one rename: concurrent runs cannot lose lines). */
function rotate(file: string): void {
  const dir = path.dirname(file);
  const base = path.basename(file, '.jsonl');
  let n = 1;
  for (const f of readdirSync(dir)) {
    const m = FILE_RE.exec(f);
    if (m && `silverfox-${m[1]}` === base && m[2]) n = Math.max(n, Number(m[2]) + 1);
  }
  try {
    renameSync(file, path.join(dir, `${base}.${n}.jsonl`));
  } catch {
    // another process rotated it first
  }
}

/** Deletes run logs whose day is older than `keepDays`. */
function pruneOld(dir: string, now: Date, keepDays: number): void {
  const cutoff = localDay(new Date(now.getTime() - keepDays * 86_400_000));
  for (const f of readdirSync(dir)) {
    const m = FILE_RE.exec(f);
    if (m && m[1]! < cutoff) {
      try {
        unlinkSync(path.join(dir, f));
      } catch {
        // already gone
      }
    }
  }
}

/** Appends one entry (secrets masked); returns the file written. */
export function appendRunLog(
  config: { logDir: string; logMaxBytes: number; logKeepDays: number },
  entry: RunLogEntry,
): string {
  const at = new Date(entry.time);
  const file = runLogFile(config.logDir, at);
  const line = `${JSON.stringify(redact(entry))}\n`;
  mkdirSync(config.logDir, { recursive: true });
  let size = -1;
  try {
    size = statSync(file).size;
  } catch {
    // First line of the day: a good moment to drop old files.
    pruneOld(config.logDir, at, config.logKeepDays);
  }
  if (size > 0 && size + Buffer.byteLength(line) > config.logMaxBytes) rotate(file);
  // One write with O_APPEND: lines of concurrent runs never interleave.
  appendFileSync(file, line);
  return file;
}

export interface ReadLogsOptions {
  since?: Date;
  /** Only runs that ended with a non-zero exit code. */
  errorsOnly?: boolean;
  /** Only this command (`cao`, `db prune`); a group name matches its subcommands. */
  command?: string;
  /** The newest N (after filtering). */
  limit?: number;
}

export interface ReadLogsResult {
  entries: RunLogEntry[];
  files: string[];
  /** Lines that were not valid JSON (a disk-full write, a hand edit). */
  unreadableLines: number;
}

/** Reads the run logs back, oldest first. */
export function readRunLogs(logDir: string, opts: ReadLogsOptions = {}): ReadLogsResult {
  if (!existsSync(logDir)) return { entries: [], files: [], unreadableLines: 0 };
  // File names carry the local day; keep one day more so no run near midnight is missed.
  const fromDay = opts.since ? localDay(new Date(opts.since.getTime() - 86_400_000)) : '';
  const files = readdirSync(logDir)
    .filter((f) => {
      const m = FILE_RE.exec(f);
      return m !== null && m[1]! >= fromDay;
    })
    .sort()
    .map((f) => path.join(logDir, f));
  const entries: RunLogEntry[] = [];
  let unreadableLines = 0;
  for (const file of files) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      let e: RunLogEntry;
      try {
        e = JSON.parse(line) as RunLogEntry;
      } catch {
        unreadableLines++;
        continue;
      }
      if (
        typeof e !== 'object' ||
        e === null ||
        typeof e.time !== 'string' ||
        typeof e.command !== 'string'
      ) {
        unreadableLines++;
        continue;
      }
      if (opts.since && new Date(e.time) < opts.since) continue;
      if (opts.errorsOnly && e.exitCode === 0) continue;
      if (opts.command && e.command !== opts.command && !e.command.startsWith(`${opts.command} `)) continue;
      entries.push(e);
    }
  }
  entries.sort((a, b) => a.time.localeCompare(b.time));
  return {
    entries: opts.limit !== undefined ? entries.slice(-opts.limit) : entries,
    files,
    unreadableLines,
  };
}
