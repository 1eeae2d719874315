/**
 * The narrow database interface both adapters implement: bound-parameter queries, a transaction
 * callback, and bulk COPY in. Everything above src/db talks to PostgreSQL only through this.
 */

/** Rows come back as plain snake_case objects. */
export type Row = Record<string, unknown>;

export interface QueryResult<R extends Row = Row> {
  rows: R[];
  rowCount: number;
}

/** Something that runs statements: the database itself, or a transaction. */
export interface Queryable {
  /** Runs one statement; values are always bound as $1..$n parameters. */
  query<R extends Row = Row>(sql: string, params?: unknown[]): Promise<QueryResult<R>>;
  /**
   * Streams CSV text into `COPY table (columns) FROM STDIN (FORMAT csv)`. Returns rows copied.
   * On a server this streams; on PGlite it sends bounded blobs, so memory stays flat either way.
   */
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  copyIn(table: string, columns: readonly string[], csvChunks: AsyncIterable<string>): Promise<number>;
}

export interface Database extends Queryable {
  /** `server` (pg pool) or `embedded` (PGlite). */
  readonly kind: 'server' | 'embedded';
  /** Human description with secrets masked: the embedded path or host/database. */
  readonly description: string;
  /** Runs `fn` in one transaction: commit when it resolves, roll back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Quotes an identifier that comes from a constant in src/db, never from input. */
export function ident(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a safe identifier: ${name}`);
  return `"${name}"`;
}

/** Builds the COPY statement shared by both adapters. */
export function copyStatement(table: string, columns: readonly string[], source: string): string {
  return `COPY ${ident(table)} (${columns.map(ident).join(', ')}) FROM ${source} WITH (FORMAT csv)`;
}
