/**
 * A fault-injecting TCP proxy on 127.0.0.1 between silverfox and the PostgreSQL server: it
 * forwards the frontend/backend protocol byte for byte and, once armed, cuts one connection at
 * its COMMIT. It reads the client's messages (PostgreSQL protocol 3: an untyped startup message,
 * SSL/GSS requests first, then `type byte + int32 length + body`), so it knows which statements a
 * transaction ran and when COMMIT goes out.
 *
 *   'after-commit':  COMMIT is forwarded to the server, then both sockets are closed at once:
 *                    the server commits, its reply never reaches the client (the lost reply);
 *   'before-commit': the connection is cut instead of forwarding COMMIT: the server rolls back.
 *
 * `refuseNew` makes every new connection fail at once (the server "unreachable") until `heal`.
 */
import net from 'node:net';

export type CutMode = 'after-commit' | 'before-commit';

export interface FaultProxy {
  /** A DATABASE_URL that goes through the proxy to `targetUrl`'s database. */
  url: string;
  port: number;
  /**
   * Cuts the next connection whose transaction ran a statement matching `statement` at its
   * COMMIT; `refuseAfter` also refuses every new connection from then on (until `heal`).
   */
  arm(opts: { mode: CutMode; statement: RegExp; refuseAfter?: boolean }): void;
  /** Resolves when an armed cut has happened (the COMMIT was seen and the connection cut). */
  cut(): Promise<void>;
  /** Accepts connections again. */
  heal(): void;
  /** How many cuts happened. */
  cuts: number;
  close(): Promise<void>;
}

const SSL_REQUEST = 80877103;
const GSS_REQUEST = 80877104;

export async function startFaultProxy(targetUrl: string): Promise<FaultProxy> {
  const target = new URL(targetUrl);
  const host = target.hostname;
  const port = Number(target.port || 5432);
  let armed: { mode: CutMode; statement: RegExp; refuseAfter: boolean } | null = null;
  let refusing = false;
  let onCut: (() => void)[] = [];
  const sockets = new Set<net.Socket>();

  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = net.connect({ host, port });
    sockets.add(upstream);
    upstream.on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('data', (d) => client.write(d));

    let pending: Buffer = Buffer.alloc(0);
    let startupDone = false;
    /** Text of the statements the current transaction ran (reset at COMMIT/ROLLBACK). */
    let txText = '';
    let dead = false;
    client.on('data', (chunk: Buffer) => {
      if (dead) return;
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      for (;;) {
        if (!startupDone) {
          if (pending.length < 8) return;
          const len = pending.readInt32BE(0);
          if (pending.length < len) return;
          const code = pending.readInt32BE(4);
          upstream.write(pending.subarray(0, len));
          pending = pending.subarray(len);
          if (code !== SSL_REQUEST && code !== GSS_REQUEST) startupDone = true;
          continue;
        }
        if (pending.length < 5) return;
        const len = pending.readInt32BE(1);
        if (pending.length < 1 + len) return;
        const msg = pending.subarray(0, 1 + len);
        pending = pending.subarray(1 + len);
        const type = String.fromCharCode(msg[0]!);
        // Simple queries ('Q') and the SQL of extended-protocol Parse messages ('P').
        const text = type === 'Q' || type === 'P' ? msg.subarray(5).toString('latin1') : '';
        const sql = type === 'Q' ? text.replace(/\0.*$/s, '').trim().toUpperCase() : '';
        if (sql === 'COMMIT' && armed && armed.statement.test(txText)) {
          const { mode, refuseAfter } = armed;
          armed = null;
          dead = true;
          if (refuseAfter) refusing = true;
          if (mode === 'after-commit') {
            // The server gets COMMIT and then end-of-stream; the client never gets the reply.
            upstream.end(msg);
          } else {
            upstream.destroy();
          }
          client.destroy();
          proxy.cuts++;
          const waiting = onCut;
          onCut = [];
          waiting.forEach((f) => f());
          return;
        }
        if (sql === 'COMMIT' || sql === 'ROLLBACK') txText = '';
        else if (text) txText += `${text}\n`;
        upstream.write(msg);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const listenPort = (server.address() as net.AddressInfo).port;
  const url = new URL(targetUrl);
  url.hostname = '127.0.0.1';
  url.port = String(listenPort);

  const proxy: FaultProxy = {
    url: url.toString(),
    port: listenPort,
    cuts: 0,
    arm(opts) {
      armed = { mode: opts.mode, statement: opts.statement, refuseAfter: opts.refuseAfter ?? false };
    },
    cut() {
      return new Promise((resolve) => onCut.push(resolve));
    },
    heal() {
      refusing = false;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
