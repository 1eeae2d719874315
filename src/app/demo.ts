/**
 * `silverfox demo`: the main job on a fresh machine, offline, on the embedded default. Imports the
 * sample inventory shipped in samples/ for one real dealership of the registry, runs a CAO for it
 * (as `--yes` would) and says where the order folder is and what it holds. A second run orders
 * nothing new: the VIN log remembers the first.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../paths.js';
import { runCao, type CaoDealershipResult } from './cao.js';
import type { AppContext } from './context.js';
import { resolveDealership } from './dealers.js';
import { importFiles } from './import.js';

/** The sample: real public listings (CC0, see samples/README.md) assigned to one dealership. */
export const DEMO_SAMPLE = path.join(packageRoot, 'samples', 'demo-inventory.csv');
export const DEMO_DEALERSHIP = 'Indigo Auto Group';

export interface DemoOptions {
  /** Another registry dealership to assign the sample to. */
  dealer?: string;
  /** Another inventory file. */
  sample?: string;
}

export interface DemoFolder {
  path: string;
  csvFiles: { file: string; bytes: number }[];
  qrCodes: number;
  otherFiles: { file: string; bytes: number }[];
}

export interface DemoResult {
  dealership: { id: number; name: string; slug: string };
  sample: string;
  import: {
    rowsRead: number;
    rowsImported: number;
    rowsRejected: number;
    rejectsFile: string | null;
    /** The same sample was imported before: its snapshot is still the active one. */
    alreadyImported: boolean;
  };
  cao: CaoDealershipResult;
  folder: DemoFolder | null;
}

function describeFolder(dir: string): DemoFolder {
  const out: DemoFolder = { path: dir, csvFiles: [], qrCodes: 0, otherFiles: [] };
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) out.qrCodes += readdirSync(p).filter((f) => f.endsWith('.png')).length;
    else if (name.endsWith('.csv') && !name.endsWith('_billing.csv'))
      out.csvFiles.push({ file: name, bytes: st.size });
    else out.otherFiles.push({ file: name, bytes: st.size });
  }
  return out;
}

/** Imports the sample and runs one CAO for its dealership, without asking. */
export async function runDemo(ctx: AppContext, opts: DemoOptions = {}): Promise<DemoResult> {
  const d = await resolveDealership(ctx, opts.dealer ?? DEMO_DEALERSHIP);
  const sample = opts.sample ?? DEMO_SAMPLE;
  const imported = await importFiles(ctx, { files: [sample], dealer: d.name });
  const cao = await runCao(ctx, { dealers: [d.name] });
  const r = cao.results[0]!;
  return {
    dealership: { id: d.id, name: d.name, slug: d.slug },
    sample,
    import: {
      rowsRead: imported.rowsRead,
      rowsImported: imported.rowsImported,
      rowsRejected: imported.rowsRejected,
      rejectsFile: imported.rejectsFile,
      alreadyImported: imported.skippedDuplicateContent,
    },
    cao: r,
    folder: r.status === 'ordered' && r.folder ? describeFolder(r.folder) : null,
  };
}
