/**
 * `silverfox wizard` (and `silverfox` alone at a terminal): the order desk as menus. Every screen
 * calls the same src/app functions as the subcommands (or the subcommands' own code); the wizard
 * only asks and shows. Ctrl-C at a prompt goes back to this menu; at this menu it quits.
 */
import { ExitCode, UsageError } from '../../errors.js';
import type { Action } from '../define.js';
import { caoFlow } from './cao.js';
import { historyFlow } from './history.js';
import { importFlow, scrapeFlow, statusFlow } from './inventory.js';
import { listFlow } from './list.js';
import { reportFlow } from './report.js';
import { settingsFlow } from './settings.js';
import { isCancel, Wizard } from './ui.js';

type MenuItem = 'cao' | 'list' | 'import' | 'scrape' | 'status' | 'report' | 'settings' | 'history' | 'quit';

const FLOWS: Record<Exclude<MenuItem, 'quit'>, (w: Wizard) => Promise<void>> = {
  cao: caoFlow,
  list: listFlow,
  import: importFlow,
  scrape: scrapeFlow,
  status: statusFlow,
  report: reportFlow,
  settings: settingsFlow,
  history: historyFlow,
};

export const wizard: Action = async (env, _args, _opts, cmd) => {
  const { pres } = env;
  if (!pres.interactive) {
    const why = pres.json
      ? '--json was given'
      : pres.yes
        ? '--yes was given'
        : !process.stdin.isTTY || !process.stderr.isTTY
          ? 'stdin or stderr is not a terminal'
          : 'CI is set';
    throw new UsageError(`the wizard needs a terminal to ask questions (${why}); nothing was done`, [
      'In scripts and cron use the subcommands: silverfox --help (e.g. silverfox cao --all --yes).',
    ]);
  }
  const w = new Wizard(env, cmd);
  const { ce } = pres;
  process.stderr.write(
    `${ce.bold('silverfox')}: the order desk. Up/down and Enter choose, typing searches a list, ` +
      'space ticks a box.\nCtrl-C goes back to this menu; at this menu it quits.\n',
  );
  for (;;) {
    let item: MenuItem;
    try {
      item = await w.select<MenuItem>('What do you want to do?', [
        { name: "Run a CAO order (today's queue, or dealerships you choose)", value: 'cao' },
        { name: 'Run a LIST order (VINs or stock numbers you give)', value: 'list' },
        { name: 'Import an inventory CSV', value: 'import' },
        { name: 'Scrape dealership websites', value: 'scrape' },
        { name: 'Status: how fresh each dealership is', value: 'status' },
        { name: 'Dealership settings (filters, template)', value: 'settings' },
        { name: 'Order history (show, void)', value: 'history' },
        { name: 'Report: the month as charts (HTML into the orders folder)', value: 'report' },
        { name: 'Quit', value: 'quit' },
      ]);
    } catch (err) {
      if (isCancel(err)) item = 'quit';
      else throw err;
    }
    if (item === 'quit') {
      process.stderr.write('bye\n');
      return ExitCode.ok;
    }
    try {
      await FLOWS[item](w);
    } catch (err) {
      if (isCancel(err)) process.stderr.write(`${ce.dim('back to the menu')}\n`);
      else w.report(err);
    }
  }
};
