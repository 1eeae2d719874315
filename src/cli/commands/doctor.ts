import { ExitCode } from '../../errors.js';
import type { Action } from '../define.js';

const MARK = { ok: 'ok', warn: 'WARN', fail: 'FAIL', skip: 'skip' } as const;

export const doctor: Action = async (env) => {
  const { pres } = env;
  const { runDoctor } = await import('../../app/doctor.js');
  const report = await runDoctor(env.config);
  const failed = report.checks.filter((c) => c.status === 'fail');
  env.note({ counts: { checks: report.checks.length, failed: failed.length } });
  if (pres.json) {
    pres.outJson(report);
  } else {
    pres.out(
      pres.table(
        ['check', 'status', 'detail'],
        report.checks.map((c) => [
          c.name,
          c.status === 'fail'
            ? pres.c.red(MARK.fail)
            : c.status === 'warn'
              ? pres.c.yellow(MARK.warn)
              : MARK[c.status],
          c.detail,
        ]),
      ),
    );
    const todo = report.checks.filter((c) => c.status !== 'ok' && c.fix.length > 0);
    if (todo.length > 0) {
      pres.out();
      pres.out('To fix:');
      for (const c of todo) for (const f of c.fix) pres.out(`  ${c.name}: ${f}`);
    }
  }
  if (!report.ok) {
    pres.error(`${failed.length} problem(s) found: ${failed.map((c) => c.name).join(', ')}`);
    return ExitCode.error;
  }
  return ExitCode.ok;
};
