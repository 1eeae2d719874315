import type { Action } from '../define.js';
import { withApp } from '../run.js';

export const migrate: Action = async (env) => {
  const { openDatabase } = await import('../../db/open.js');
  const { migrate: run, schemaStatus } = await import('../../db/migrate.js');
  const db = await openDatabase(env.config, { migrate: false });
  try {
    const applied = await run(db);
    const s = await schemaStatus(db);
    if (env.pres.json) env.pres.outJson({ applied, version: s.version });
    else if (applied.length === 0) env.pres.out(`schema is up to date (version ${s.version})`);
    else env.pres.out(`applied ${applied.join(', ')}; schema version ${s.version}`);
  } finally {
    await db.close();
  }
};

export const status: Action = async (env) => {
  const { schemaStatus } = await import('../../db/migrate.js');
  const s = await withApp(env, (ctx) => schemaStatus(ctx.db));
  if (env.pres.json) env.pres.outJson(s);
  else
    env.pres.out(
      `schema version ${s.version} of ${s.latest}${s.pending.length ? `; pending: ${s.pending.join(', ')}` : ''}`,
    );
};
