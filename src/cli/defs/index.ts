/**
 * Every command, declared once, in help order. Add a line here when you add a defs/<group>.ts. This
 * module loads no command code: each declaration imports its action only when it runs.
 */
import type { CommandDecl } from '../define.js';
import { cao } from './cao.js';
import { db } from './db.js';
import { dealers } from './dealers.js';
import { demo } from './demo.js';
import { importCommands } from './import.js';
import { list } from './list.js';
import { ops } from './ops.js';
import { orders } from './orders.js';
import { pdfCommands } from './pdf.js';
import { queue } from './queue.js';
import { report } from './report.js';
import { scrape } from './scrape.js';
import { status } from './status.js';
import { vinlog } from './vinlog.js';
import { wizard } from './wizard.js';

export const commands: readonly CommandDecl[] = [
  wizard,
  demo,
  status,
  report,
  ...dealers,
  ...importCommands,
  cao,
  list,
  ...orders,
  ...pdfCommands,
  ...vinlog,
  ...db,
  ...queue,
  ...ops,
  scrape,
];

/** Whether the command at `path` (`cao`, `orders void`) writes, and so takes the run lock. */
export function commandWrites(path: string): boolean {
  const decl = commands.find((c) => c.name === path);
  if (!decl) throw new Error(`no command ${path} is declared`);
  return decl.writes;
}
