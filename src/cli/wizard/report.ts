/**
 * Report: the HTML report of a period (this month, last month, the last 30 days) written into the
 * orders folder (`<orders>/reports/`), its path printed, as `silverfox report --html` renders it.
 */
import type { Wizard } from './ui.js';
import { localDay } from '../../core/calendar.js';

export async function reportFlow(w: Wizard): Promise<void> {
  const now = new Date();
  const month = (d: Date) => localDay(d).slice(0, 7);
  const thisMonth = month(now);
  const lastMonth = month(new Date(now.getFullYear(), now.getMonth() - 1, 1));
  const choice = await w.select<string>('Report for which period?', [
    { name: `This month so far (${thisMonth})`, value: `month:${thisMonth}` },
    { name: `Last month (${lastMonth})`, value: `month:${lastMonth}` },
    { name: 'The last 30 days', value: 'since:30d' },
  ]);
  const [kind, value] = choice.split(':') as ['month' | 'since', string];
  const { reportIntoOrdersFolder } = await import('../commands/report.js');
  await w.step('report', [`--${kind}`, value], (env) =>
    reportIntoOrdersFolder(env, kind === 'month' ? { month: value } : { since: value }),
  );
}
