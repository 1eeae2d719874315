import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { Presentation } from '../../src/cli/presentation.js';

/** A Presentation on a fake 80-column terminal; `written()` is everything drawn on stderr. */
function atTerminal() {
  const stderr = Object.assign(new PassThrough(), {
    isTTY: true,
    columns: 80,
    rows: 24,
    cursorTo: (x: number, cb?: () => void) => stderr.write(`\x1b[${x + 1}G`, cb),
    moveCursor: (_dx: number, dy: number, cb?: () => void) => stderr.write(dy < 0 ? `\x1b[${-dy}A` : '', cb),
    clearLine: (_dir: number, cb?: () => void) => stderr.write('\x1b[2K', cb),
  });
  let text = '';
  stderr.on('data', (d: Buffer) => (text += d.toString()));
  const streams = {
    stdout: Object.assign(new PassThrough(), { isTTY: true }),
    stderr,
    stdin: Object.assign(new PassThrough(), { isTTY: true }),
  } as unknown as ConstructorParameters<typeof Presentation>[1];
  return { pres: new Presentation({}, streams, { TERM: 'xterm' }), written: () => text };
}

describe('spinners and error lines at a terminal', () => {
  it('an error line clears the running spinner, and no frame is drawn after it', async () => {
    const { pres, written } = atTerminal();
    await pres.spinner('importing rows');
    await sleep(300);
    expect(written()).toContain('importing rows');
    pres.error('the import failed');
    await sleep(400);
    const after = written().split('the import failed')[1]!;
    expect(after).not.toContain('importing rows');
  });

  it('a spinner asked for before the error line but not drawn yet never starts after it', async () => {
    const { pres, written } = atTerminal();
    // As import does: the spinner is asked for, the run fails while ora is still loading.
    const late = pres.spinner('importing rows');
    pres.error('the database is down');
    const s = await late;
    await sleep(300);
    s.stop();
    expect(written()).not.toContain('importing rows');
  });

  it('a new task after an error line (the wizard goes on) gets its spinner again', async () => {
    const { pres, written } = atTerminal();
    pres.error('Spirit Lexus: FAILED');
    const s = await pres.spinner('working out what to order');
    await sleep(300);
    s.succeed('done');
    expect(written()).toContain('working out what to order');
  });
});
