/**
 * Who a process is, well enough to tell a live writer from a dead one whose pid was reused.
 *
 * A pid alone is not an identity: in a container every run can be pid 2, and after a reboot
 * (or a wrap-around) a dead writer's pid belongs to someone else. So ownership records pair
 * the pid with
 *   - the process start time: field 22 of /proc/<pid>/stat (clock ticks since boot), which
 *     differs between two processes that share a pid one after the other; and
 *   - the boot id (/proc/sys/kernel/random/boot_id), which changes on every boot, so a record
 *     written before a reboot names a dead process whatever its pid is now.
 * Where /proc is missing (macOS) both are null and only the pid (and the caller's own age
 * limit) can be checked.
 *
 * One module for every pid check: the order writer's owner files, doctor, the run lock and the
 * embedded database lockfile (src/lockfile.ts). It sits at the top of src/ so every layer may use it.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** What an owner or lock file records about the process that wrote it (snake_case: a file format). */
export interface ProcessIdentity {
  pid: number;
  host: string;
  /** Field 22 of /proc/<pid>/stat, as text (clock ticks since boot); null without /proc. */
  start_time: string | null;
  /** /proc/sys/kernel/random/boot_id; null without /proc. */
  boot_id: string | null;
}

/**
 * `alive`: that very process is running on this host. `dead`: it is not (gone, or its pid
 * now belongs to another process or another boot). `other_host`: it ran on another host and
 * cannot be checked from here.
 */
export type ProcessState = 'alive' | 'dead' | 'other_host';

let cachedBootId: string | null | undefined;

/** This machine's boot id, or null when the kernel does not tell. */
export function bootId(): string | null {
  if (cachedBootId === undefined) {
    try {
      cachedBootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
    } catch {
      cachedBootId = null;
    }
  }
  return cachedBootId;
}

/**
 * The start time of process `pid` (field 22 of /proc/<pid>/stat), or null when it cannot be
 * read (no such process, or no /proc). The command name (field 2) may hold spaces and
 * parentheses, so the fields are counted from the last ')'.
 */
export function processStartTime(pid: number): string | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // `after` starts at field 3 (state): field 22 is after[19].
  const start = after[19];
  return start && /^\d+$/.test(start) ? start : null;
}

let self: ProcessIdentity | undefined;

/** The identity of this process (computed once). */
export function currentProcessIdentity(): ProcessIdentity {
  self ??= {
    pid: process.pid,
    host: os.hostname(),
    start_time: processStartTime(process.pid),
    boot_id: bootId(),
  };
  return { ...self };
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, belongs to another user
  }
}

/**
 * Whether the process a record names is still running. Fields a record lacks (older files,
 * no /proc when it was written) are not checked, so an old-format record falls back to the
 * pid check alone.
 */
export function processState(id: Partial<ProcessIdentity> | null | undefined): ProcessState {
  if (!id || !Number.isInteger(id.pid) || id.pid! <= 0) return 'dead';
  if (id.host && id.host !== os.hostname()) return 'other_host';
  const boot = bootId();
  if (id.boot_id && boot && id.boot_id !== boot) return 'dead';
  if (!pidExists(id.pid!)) return 'dead';
  if (id.start_time) {
    const now = processStartTime(id.pid!);
    if (now !== null && now !== id.start_time) return 'dead';
  }
  return 'alive';
}

/** True when the record carries the start time and boot id, so a reused pid is caught. */
export function hasFullIdentity(id: Partial<ProcessIdentity> | null | undefined): boolean {
  return !!id?.start_time && !!id.boot_id;
}

/** The OS user running this process; `unknown` when the uid has no passwd entry (a container). */
export function currentOsUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** Who runs this, as `user@host`: recorded on orders, queue entries and registry changes. */
export function operatorName(): string {
  return `${currentOsUser()}@${os.hostname()}`;
}
