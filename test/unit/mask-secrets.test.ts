import { describe, expect, it } from 'vitest';
import { maskSecrets } from '../../src/app/logs.js';

describe('maskSecrets', () => {
  it('masks the password of a URL and of password= pairs, and keeps the rest', () => {
    expect(maskSecrets('connect postgres://op:s3cret@db.example:5432/sf failed')).toBe(
      'connect postgres://op:****@db.example:5432/sf failed',
    );
    expect(maskSecrets('x=1 password=hunter2&y=2')).toBe('x=1 password=****&y=2');
    expect(maskSecrets('1postgres://u:p@h')).toBe('1postgres://u:****@h');
    expect(maskSecrets('see https://example.com/a:b')).toBe('see https://example.com/a:b');
  });

  it('returns a million-letter argument unchanged (linear time: the old pattern took minutes and hit the timeout)', () => {
    const long = 'A'.repeat(1_000_000);
    expect(maskSecrets(long)).toBe(long);
    const mixed = `${'1a'.repeat(300_000)}postgres://u:p@h`;
    expect(maskSecrets(mixed)).toBe(`${'1a'.repeat(300_000)}postgres://u:****@h`);
  });
});
