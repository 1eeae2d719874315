/** Every command group, in help order. Add a line here when you add a defs/<group>.ts. */
import type { Command } from 'commander';
import { register as cao } from './cao.js';
import { register as db } from './db.js';
import { register as dealers } from './dealers.js';
import { register as demo } from './demo.js';
import { register as importGroup } from './import.js';
import { register as list } from './list.js';
import { register as ops } from './ops.js';
import { register as orders } from './orders.js';
import { register as pdf } from './pdf.js';
import { register as queue } from './queue.js';
import { register as report } from './report.js';
import { register as scrape } from './scrape.js';
import { register as status } from './status.js';
import { register as vinlog } from './vinlog.js';
import { register as wizard } from './wizard.js';

export const groups: ((program: Command) => void)[] = [
  wizard,
  demo,
  status,
  report,
  dealers,
  importGroup,
  cao,
  list,
  orders,
  pdf,
  vinlog,
  db,
  queue,
  ops,
  scrape,
];
