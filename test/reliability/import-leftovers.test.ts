/**
 * What a killed import leaves in the log folder, and how it is finished (rule 7: the rejects of
 * an import that exists must be readable):
 *   - killed before its COMMIT: `logs/imports/<time>-import-N.tmp/` with rejects of an import
 *     that does not exist -> removed by the next import;
 *   - killed between COMMIT and the rename: the `.tmp` folder of a committed import, whose
 *     `imports.rejects_file` points to the final folder that is not there -> renamed into place;
 *   - a rejects file gone with nothing left to finish it -> doctor reports it.
 * The folders are put in exactly the state a kill at those points leaves (the random `kill -9`
 * runs of crash.test.ts check that no `.tmp` folder survives the next import); both databases.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDoctor } from '../../src/app/doctor.js';
import { createTestEnv, DATABASE_KINDS, type TestEnv } from '../helpers/databases.js';
import { runCli } from '../helpers/cli.js';
import { count, withDb } from './helpers/checks.js';
import { vins, writeFeed } from './helpers/fleet.js';

const HONDA = 'Columbia Honda';

function feedWithReject(file: string, n: number, from: number): string {
  writeFeed(
    file,
    vins(n, from).map((vin) => ({ dealer: HONDA, vin })),
  );
  writeFileSync(file, readFileSync(file, 'utf8') + `"${HONDA}",NOT-A-VIN,S1,2024,Honda,Accord,EX,New,,,,\n`);
  return file;
}

describe.each(DATABASE_KINDS)('import report leftovers (%s)', (kind) => {
  let t: TestEnv;
  let imports: string;
  beforeAll(async () => {
    t = await createTestEnv(kind);
    imports = path.join(t.env.SILVERFOX_LOG_DIR!, 'imports');
  });
  afterAll(async () => t?.cleanup());
  const check = async (name: string) => (await runDoctor(t.config)).checks.find((c) => c.name === name)!;
  const tmp = () => (existsSync(imports) ? readdirSync(imports).filter((n) => n.endsWith('.tmp')) : []);

  it('a .tmp folder of an import that never committed is removed; one of a committed import is moved into place; doctor says so until then', async () => {
    const a = await runCli(['import', feedWithReject(path.join(t.dir, 'a.csv'), 5, 10_000), '--json'], {
      env: t.env,
    });
    expect(a.code, a.stderr).toBe(0);
    const ra = JSON.parse(a.stdout);
    const finalDir = path.dirname(ra.rejectsFile);
    // A kill between COMMIT and the rename leaves the committed import's folder as .tmp.
    renameSync(finalDir, `${finalDir}.tmp`);
    // A kill before COMMIT leaves rejects of an import id that never existed.
    const ghost = path.join(imports, `20261130-010203-import-${ra.importId + 1000}.tmp`);
    mkdirSync(ghost, { recursive: true });
    writeFileSync(path.join(ghost, 'rejects.csv'), 'file,line,reason\n');

    const before = await check('import_reports');
    expect(before.status).toBe('fail');
    expect(before.detail).toContain('2 unfinished report folder(s)');
    expect(before.detail).toContain(`import #${ra.importId}`);

    const b = await runCli(['import', feedWithReject(path.join(t.dir, 'b.csv'), 5, 20_000), '--json'], {
      env: t.env,
    });
    expect(b.code, b.stderr).toBe(0);
    expect(tmp()).toEqual([]);
    expect(existsSync(ghost)).toBe(false);
    expect(readFileSync(ra.rejectsFile, 'utf8')).toContain('NOT-A-VIN');
    expect(readFileSync(path.join(finalDir, 'report.json'), 'utf8')).toContain(`"importId": ${ra.importId}`);
    expect(await check('import_reports')).toMatchObject({ status: 'ok' });
  });

  it('a rejects file gone with nothing to finish it: doctor reports the import', async () => {
    const c = await runCli(['import', feedWithReject(path.join(t.dir, 'c.csv'), 5, 30_000), '--json'], {
      env: t.env,
    });
    const rc = JSON.parse(c.stdout);
    rmSync(path.dirname(rc.rejectsFile), { recursive: true });
    const r = await check('import_reports');
    expect(r.status).toBe('fail');
    expect(r.detail).toContain(`import #${rc.importId} (${rc.rejectsFile})`);
    expect(r.fix.join(' ')).toMatch(/--force/);
    // The import itself is intact.
    expect(
      await withDb(t.env, (db) =>
        count(db, 'SELECT count(*)::int AS n FROM imports WHERE id = $1 AND finished_at IS NOT NULL', [
          rc.importId,
        ]),
      ),
    ).toBe(1);
  });
});
