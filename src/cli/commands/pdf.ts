import type { PdfResult } from '../../app/pdf.js';
import { ExitCode, SilverfoxError } from '../../errors.js';
import type { Action } from '../define.js';
import type { PdfOptions } from '../defs/pdf.js';
import type { Presentation } from '../presentation.js';
import { reportError, withApp, type CommandEnv } from '../run.js';

function summaryLine(r: PdfResult): string {
  return (
    `order #${r.orderId} (${r.dealership}): ${r.stickers.pages} sticker page(s) and ${r.proof.pages} proof page(s), ` +
    `template ${r.template}, ${(r.ms / 1000).toFixed(1)} s`
  );
}

function printResult(pres: Presentation, r: PdfResult): void {
  pres.out(summaryLine(r));
  pres.out(`  ${r.folder}/${r.stickers.path}`);
  pres.out(`  ${r.folder}/${r.proof.path}`);
  if (r.retries > 0)
    pres.out(`  (${r.retries} print task(s) retried, ${r.watchdogRecoveries} stuck page(s) replaced)`);
}

/** `silverfox pdf ORDER`. */
export const pdf: Action<PdfOptions> = async (env, [order], opts) => {
  const { pres } = env;
  const { renderOrderPdf } = await import('../../app/pdf.js');
  const spinner = await pres.spinner(`printing the stickers of order ${order}`);
  let r: PdfResult;
  try {
    r = await withApp(env, (ctx) =>
      renderOrderPdf(ctx, {
        orderId: order!,
        template: opts.template,
        concurrency: opts.concurrency,
        onProgress: (n, total) => spinner.update(`printing the stickers of order ${order}: ${n}/${total}`),
      }),
    );
  } catch (err) {
    spinner.stop();
    throw err;
  }
  spinner.stop();
  env.note({ counts: { vehicles: r.vehicles, pages: r.stickers.pages + r.proof.pages } });
  if (pres.json) pres.outJson(r);
  else printResult(pres, r);
  return ExitCode.ok;
};

/**
 * `--pdf` on cao and list: prints the sticker sheets of the orders just written. The orders stand
 * whatever happens here; a failure is reported (stderr) and makes the run a partial failure (3).
 * Results go to stderr so a `--json` document on stdout stays the command's own.
 */
export async function pdfAfterOrders(
  env: CommandEnv,
  orderIds: readonly (number | null | undefined)[],
): Promise<number> {
  const ids = orderIds.filter((id): id is number => typeof id === 'number');
  if (ids.length === 0) return ExitCode.ok;
  const { renderOrderPdf } = await import('../../app/pdf.js');
  let failed = 0;
  await withApp(env, async (ctx) => {
    for (const id of ids) {
      try {
        const r = await renderOrderPdf(ctx, { orderId: id });
        env.pres.info(`${summaryLine(r)} -> ${r.folder}/${r.stickers.path}`);
      } catch (err) {
        if (!(err instanceof SilverfoxError)) throw err;
        failed++;
        reportError(
          new SilverfoxError(
            err.code,
            `order #${id} is written, but its stickers were not printed: ${err.message}`,
            {
              hints: [...err.hints, `Print them with: silverfox pdf ${id}`],
            },
          ),
          env.pres,
        );
      }
    }
  });
  return failed > 0 ? ExitCode.partial : ExitCode.ok;
}
