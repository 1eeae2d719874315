/** The server run lock names its connection so another run can say who holds the lock. */
import { describe, expect, it } from 'vitest';
import { lockConnectionName, parseLockConnectionName } from '../../src/db/run-lock.js';

// What the server keeps of an application_name: 63 bytes (NAMEDATALEN - 1).
const asServerKeeps = (name: string) => name.slice(0, 63);

describe('run lock connection name', () => {
  it('reads back the pid and the command', () => {
    expect(parseLockConnectionName(asServerKeeps(lockConnectionName(4242, 'cao --all')))).toEqual({
      pid: 4242,
      command: 'cao --all',
    });
  });

  it('keeps the pid when a long command is cut by the server, and marks the command as cut', () => {
    const command = `import /tmp/silverfox-test-run-AbCdEf/silverfox-server-XyZ/inventory/${'x'.repeat(80)}.csv`;
    const got = parseLockConnectionName(asServerKeeps(lockConnectionName(31337, command)));
    expect(got.pid).toBe(31337);
    expect(got.command).toMatch(/^import \/tmp\/silverfox-test-run-.*\.\.\.$/);
    expect(command.startsWith(got.command!.slice(0, -3))).toBe(true);
  });

  it('reads the older `silverfox CMD pid N` form of a run still on the previous version', () => {
    expect(parseLockConnectionName('silverfox list --batch pid 77')).toEqual({
      pid: 77,
      command: 'list --batch',
    });
  });

  it('says nothing about a connection it did not name', () => {
    expect(parseLockConnectionName('psql')).toEqual({});
  });
});
