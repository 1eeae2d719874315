import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  bootId,
  currentProcessIdentity,
  processStartTime,
  processState,
} from '../../src/process-identity.js';

describe('process identity (pid + start time + boot id)', () => {
  it('reads field 22 of /proc/<pid>/stat and the boot id of this machine', () => {
    const me = currentProcessIdentity();
    expect(me.pid).toBe(process.pid);
    expect(me.host).toBe(os.hostname());
    expect(me.start_time).toMatch(/^\d+$/);
    // Counted by hand from the raw line: the 20th field after the ") " that ends the command name.
    const stat = readFileSync(`/proc/${process.pid}/stat`, 'utf8');
    expect(me.start_time).toBe(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    expect(me.boot_id).toBe(readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
    expect(bootId()).toBe(me.boot_id);
  });

  it('another live process: its own start time, alive while it runs', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 5000)']);
    try {
      await new Promise((r) => setTimeout(r, 300));
      const start = processStartTime(child.pid!);
      expect(start).toMatch(/^\d+$/);
      expect(processState({ ...currentProcessIdentity(), pid: child.pid!, start_time: start })).toBe('alive');
    } finally {
      child.kill();
    }
  });

  it('this process is alive; the same pid with another start time or boot id is dead (a reused pid)', () => {
    const me = currentProcessIdentity();
    expect(processState(me)).toBe('alive');
    expect(processState({ ...me, start_time: String(Number(me.start_time) + 1) })).toBe('dead');
    expect(processState({ ...me, boot_id: '00000000-0000-0000-0000-000000000000' })).toBe('dead');
    // An old record without start time or boot id: only the pid can be checked.
    expect(processState({ pid: me.pid, host: me.host })).toBe('alive');
    expect(processState({ ...me, pid: spawnSync('true').pid! })).toBe('dead');
    expect(processState({ ...me, host: `${me.host}-elsewhere` })).toBe('other_host');
    expect(processState(null)).toBe('dead');
  });
});

describe('pid lock files record the identity (src/lockfile.ts)', () => {
  it('a lock naming a live pid with another start time is stale (its pid was reused), a bare live pid is held', async () => {
    const { lockContent, lockHeldByOther, tryLockFile } = await import('../../src/lockfile.js');
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 5000)']);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'silverfox-lockfile-'));
    try {
      await new Promise((r) => setTimeout(r, 300));
      const start = processStartTime(child.pid!)!;
      const mine = JSON.parse(lockContent({ command: 'cao' })) as Record<string, unknown>;
      expect(mine).toEqual({
        ...currentProcessIdentity(),
        host: undefined,
        pid: process.pid,
        command: 'cao',
      });
      const live = JSON.stringify({ ...mine, pid: child.pid, start_time: start });
      const reused = JSON.stringify({ ...mine, pid: child.pid, start_time: String(Number(start) + 1) });
      expect(lockHeldByOther(live)).toBe(true);
      expect(lockHeldByOther(String(child.pid))).toBe(true);
      expect(lockHeldByOther(reused)).toBe(false);
      // A lock of the reused pid is taken over; one of the live process is not.
      const file = path.join(dir, 'x.lock');
      writeFileSync(file, live);
      expect(tryLockFile(file, lockContent()).holder).toBe(live);
      writeFileSync(file, reused);
      const got = tryLockFile(file, lockContent());
      expect(got.release).toBeTypeOf('function');
      got.release!();
      expect(existsSync(file)).toBe(false);
    } finally {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
