/**
 * A private PostgreSQL 15 cluster for tests that stop and start the server, or need password
 * authentication. The shared server at 127.0.0.1:5432 is used by every other test and is never
 * stopped; this one lives in a temp folder on a free port and is removed afterwards.
 *
 * initdb refuses to run as root, so as root the cluster belongs to the `postgres` user (runuser).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

const BIN = process.env.SILVERFOX_TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface PrivateCluster {
  port: number;
  /** `postgres://user[:password]@127.0.0.1:port/<db>`. */
  url(db?: string, password?: string): string;
  /** Creates a database (as the superuser) and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server: `fast` disconnects clients cleanly, `immediate` is a crash (recovery on start). */
  stop(mode?: 'fast' | 'immediate'): void;
  start(): void;
  running(): boolean;
  /** The server log, for failure messages. */
  log(): string;
  destroy(): void;
}

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * initdb + start. With `password`, TCP connections need it (scram-sha-256), so a wrong or
 * missing password fails like on a production server.
 */
export async function startPrivateCluster(opts: { password?: string } = {}): Promise<PrivateCluster> {
  if (!existsSync(path.join(BIN, 'initdb'))) {
    throw new Error(
      `PostgreSQL 15 binaries not found in ${BIN} (apt-get install postgresql-15, or set SILVERFOX_TEST_PG_BIN)`,
    );
  }
  const root = mkdtempSync(path.join(os.tmpdir(), 'silverfox-private-pg-'));
  const data = path.join(root, 'data');
  const logFile = path.join(root, 'server.log');
  const asRoot = process.getuid?.() === 0;
  let uid = -1;
  let gid = -1;
  if (asRoot) {
    uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(root, uid, gid);
  }
  chmodSync(root, 0o700);
  const run = (cmd: string, args: string[], check = true) => {
    const full = asRoot
      ? ['runuser', ['-u', 'postgres', '--', path.join(BIN, cmd), ...args]]
      : [path.join(BIN, cmd), args];
    const r = spawnSync(full[0] as string, full[1] as string[], { encoding: 'utf8', cwd: root });
    if (check && r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}${r.stdout}`);
    return r;
  };
  const pwfile = path.join(root, 'pw');
  if (opts.password) {
    writeFileSync(pwfile, `${opts.password}\n`, { mode: 0o600 });
    if (asRoot) chownSync(pwfile, uid, gid);
  }
  run('initdb', [
    '-D',
    data,
    '-U',
    'postgres',
    '--no-sync',
    '--auth-local=trust',
    ...(opts.password ? ['--auth-host=scram-sha-256', `--pwfile=${pwfile}`] : ['--auth-host=trust']),
  ]);
  rmSync(pwfile, { force: true });
  const port = await freePort();
  const options = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c max_connections=60 -c fsync=on`;
  const cluster: PrivateCluster = {
    port,
    url(db = 'postgres', password) {
      return `postgres://postgres${password ? `:${encodeURIComponent(password)}` : ''}@127.0.0.1:${port}/${db}`;
    },
    async createDatabase(name) {
      const c = new pg.Client({ host: root, port, user: 'postgres', database: 'postgres' });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE ${name}`);
      } finally {
        await c.end();
      }
      return cluster.url(name, opts.password);
    },
    stop(mode = 'fast') {
      run('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop'], false);
    },
    start() {
      run('pg_ctl', ['-D', data, '-o', options, '-l', logFile, '-w', '-t', '60', 'start']);
    },
    running() {
      return run('pg_ctl', ['-D', data, 'status'], false).status === 0;
    },
    log() {
      try {
        return readFileSync(logFile, 'utf8');
      } catch {
        return '';
      }
    },
    destroy() {
      if (cluster.running()) cluster.stop('immediate');
      rmSync(root, { recursive: true, force: true });
    },
  };
  cluster.start();
  return cluster;
}
