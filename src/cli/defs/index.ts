/** Every command group, in help order. Add a line here when you add a defs/<group>.ts. */
import type { Command } from 'commander';
import { register as db } from './db.js';
import { register as dealers } from './dealers.js';
import { register as ops } from './ops.js';
import { register as queue } from './queue.js';
import { register as scrape } from './scrape.js';
import { register as status } from './status.js';

export const groups: ((program: Command) => void)[] = [status, dealers, db, queue, ops, scrape];
