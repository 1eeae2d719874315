import { describe, expect, it } from 'vitest';
import { DatabaseError, InputError, toFailure, UsageError } from '../../src/errors.js';

describe('toFailure', () => {
  it('keeps a SilverfoxError: code, message and hints, no stack', () => {
    const f = toFailure(new InputError('bad row', { hints: ['fix line 3'] }));
    expect(f).toEqual({ code: 'input', message: 'bad row', hints: ['fix line 3'] });
    expect(toFailure(new UsageError('no name')).code).toBe('usage');
    expect(toFailure(new DatabaseError('down', { sqlState: '57P01' })).code).toBe('database');
  });

  it('anything else is a bug: code internal, says so, keeps the stack', () => {
    const err = new TypeError("Cannot read properties of undefined (reading 'x')");
    const f = toFailure(err);
    expect(f.code).toBe('internal');
    expect(f.message).toBe(
      "internal error (this is a bug in silverfox): Cannot read properties of undefined (reading 'x')",
    );
    expect(f.stack).toBe(err.stack);
    expect(f.hints.join(' ')).toMatch(/report/);
  });

  it('a raw driver error never lends its SQLSTATE or errno as the code', () => {
    const pgError = Object.assign(new Error('relation "x" does not exist'), { code: '42P01' });
    expect(toFailure(pgError).code).toBe('internal');
    const fsError = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    expect(toFailure(fsError).code).toBe('internal');
    expect(toFailure('a string').message).toMatch(/bug.*a string/);
    expect(toFailure(undefined).code).toBe('internal');
  });

  it('a cancelled prompt is cancelled, not a bug', () => {
    const e = Object.assign(new Error('User force closed the prompt'), { name: 'ExitPromptError' });
    expect(toFailure(e)).toEqual({ code: 'cancelled', message: 'cancelled', hints: [] });
  });
});

describe('noteFailures', () => {
  it('puts every failed dealership in the run log, and prints and logs the stack of a bug', async () => {
    const { noteFailures } = await import('../../src/cli/run.js');
    const noted: unknown[] = [];
    const env = { note: (f: unknown) => noted.push(f) } as unknown as Parameters<typeof noteFailures>[0];
    const printed: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((s: string) => {
      printed.push(s);
      return true;
    }) as typeof process.stderr.write;
    try {
      noteFailures(env, [
        { dealership: 'A', error: null },
        { dealership: 'B', error: toFailure(new UsageError('no such template')) },
        { dealership: 'C', error: toFailure(new RangeError('boom')) },
      ]);
    } finally {
      process.stderr.write = write;
    }
    expect(noted).toEqual([
      {
        failures: [
          { dealership: 'B', code: 'usage', message: 'no such template' },
          {
            dealership: 'C',
            code: 'internal',
            message: 'internal error (this is a bug in silverfox): boom',
            stack: expect.stringMatching(/RangeError: boom\n\s+at /),
          },
        ],
      },
    ]);
    expect(printed.join('')).toMatch(/^C: RangeError: boom\n\s+at /);
  });
});
