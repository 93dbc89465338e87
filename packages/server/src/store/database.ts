import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { CompiledQuery, Kysely, PostgresDialect, SqliteDialect, type DatabaseConnection, type Dialect, type Driver } from 'kysely';
import type { DatabaseLocation } from '../config.js';
import type { Database } from './schema.js';
import { queryTracing } from '../telemetry/tracing.js';
import { WalCheckpointer } from './wal-checkpointer.js';

export type Db = Kysely<Database>;

export interface OpenDatabase {
  db: Db;
  kind: DatabaseLocation['kind'];
  close(): Promise<void>;
  /** Connections of the PostgreSQL pool (metrics); null on SQLite. */
  poolStats(): PoolStats | null;
}

export interface PoolStats {
  max: number;
  total: number;
  idle: number;
  waiting: number;
}

// int8 (bigint) columns hold epoch milliseconds, well inside Number's exact range.
pg.types.setTypeParser(20, (value) => Number(value));

/**
 * `checkpointInBackground` (long-running servers) moves SQLite's WAL checkpoints off the event loop.
 * `onConnectionError` hears about connections the server dropped while idle (a restart, a
 * failover, an administrator): without a listener node-postgres would crash the process.
 */
export function openDatabase(
  location: DatabaseLocation,
  onConnectionError: (error: Error) => void = () => {},
  { traceQueries = false, checkpointInBackground = false }: { traceQueries?: boolean; checkpointInBackground?: boolean } = {},
): OpenDatabase {
  let dialect: Dialect;
  let pool: pg.Pool | null = null;
  let checkpointer: WalCheckpointer | null = null;
  let handle: SQLite.Database | null = null;
  if (location.kind === 'sqlite') {
    createPrivately(location.path);
    const sqlite = new SQLite(location.path);
    // WAL: readers never block the writer; NORMAL sync survives a killed process (not power loss
    // on every commit, which FULL would buy at a large cost); busy_timeout lets the CLI and the
    // server write to one file without "database is locked".
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('foreign_keys = ON');
    // A long-running server checkpoints on a thread of its own (store/wal-checkpointer.ts).
    if (checkpointInBackground) {
      sqlite.pragma('wal_autocheckpoint = 0');
      checkpointer = new WalCheckpointer(location.path, () => sqlite.pragma('wal_autocheckpoint = 1000'));
    }
    cachePreparedStatements(sqlite);
    dialect = new ImmediateSqliteDialect({ database: sqlite });
    handle = sqlite;
  } else {
    // A bounded wait for a connection: during an outage requests fail fast (503) instead of piling up.
    pool = new pg.Pool({ connectionString: location.url, max: 10, connectionTimeoutMillis: 5_000, keepAlive: true });
    pool.on('error', onConnectionError);
    // A connection checked out between two statements of a transaction has no pool listener:
    // a server shutdown message arriving then would be an uncaught 'error' and kill the process.
    // The failure reaches the caller through its next query (and becomes a 503), so this only
    // keeps the event from being unhandled; idle connections still report through 'error' above.
    pool.on('connect', (client) => client.on('error', () => {}));
    dialect = new PostgresDialect({ pool });
  }
  // Tracing (telemetry/tracing.ts): one span per query; without it Kysely does not even time them.
  const db = new Kysely<Database>({ dialect, ...(traceQueries ? { log: queryTracing(location.kind === 'sqlite' ? 'sqlite' : 'postgresql') } : {}) });
  if (location.kind === 'sqlite') sqliteFiles.set(db, location.path);
  // Traced queries go through Kysely, whose log hook makes their spans.
  if (handle && !traceQueries) sqliteHandles.set(db, handle);
  const stats = pool;
  return {
    db,
    kind: location.kind,
    close: async () => {
      await checkpointer?.stop();
      await db.destroy();
    },
    poolStats: () => (stats ? { max: 10, total: stats.totalCount, idle: stats.idleCount, waiting: stats.waitingCount } : null),
  };
}

const sqliteFiles = new WeakMap<Db, string>();
const sqliteHandles = new WeakMap<Db, SQLite.Database>();
const heldConnections = new WeakMap<Db, SQLite.Database>();

/**
 * `work` in a transaction of `db`, during which `PreparedQuery` runs its statements on the
 * better-sqlite3 handle itself on SQLite. Kysely's SQLite dialect has one connection and the
 * transaction holds it (its mutex) from BEGIN to COMMIT, so a statement run on the handle meanwhile
 * is part of the transaction; it skips Kysely's per-query executor and promise chain, which made a
 * third of a refresh rotation's allocations. On PostgreSQL, or with query tracing, this is
 * `db.transaction().execute(work)`.
 */
export function transactionWithHeldConnection<R>(db: Db, work: (trx: Db) => Promise<R>): Promise<R> {
  const handle = sqliteHandles.get(db);
  if (!handle) return db.transaction().execute(work);
  return db.transaction().execute(async (trx) => {
    heldConnections.set(trx, handle);
    try {
      return await work(trx);
    } finally {
      heldConnections.delete(trx);
    }
  });
}

/** The better-sqlite3 handle whose only connection `trx` holds (transactionWithHeldConnection), or null. */
export function heldSqliteConnection(trx: Db): SQLite.Database | null {
  return heldConnections.get(trx) ?? null;
}

/** The file behind a SQLite database opened here (store/locks.ts locks beside it); null otherwise. */
export function sqliteFileOf(db: Db): string | null {
  return sqliteFiles.get(db) ?? null;
}

/**
 * The database file is created 0600 in a 0700 folder before SQLite opens it: SQLite gives its
 * -wal and -shm files the database file's mode, so none of the three is readable by other users
 * (it holds secret hashes and sealed keys). Files left more open by older versions are tightened.
 */
export function createPrivately(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    } catch {
      // absent (no WAL yet) or not ours to change: SQLite reports what matters when it opens
    }
  }
}

/**
 * Kysely's SQLite driver prepares every query anew, and preparing costs as much as running a
 * small indexed query. Statements are reused by SQL text (queries are parameterised, so the
 * texts are few); a statement still being iterated is never handed out twice.
 */
function cachePreparedStatements(sqlite: SQLite.Database, limit = 500): void {
  const prepare = sqlite.prepare.bind(sqlite);
  const statements = new Map<string, SQLite.Statement>();
  sqlite.prepare = ((source: string) => {
    const cached = statements.get(source);
    if (cached && !cached.busy) return cached;
    const statement = prepare(source);
    if (!cached && statements.size < limit) statements.set(source, statement);
    return statement;
  }) as typeof sqlite.prepare;
}

/**
 * Transactions that take SQLite's write lock when they begin (`BEGIN IMMEDIATE`). A deferred
 * `BEGIN` reads first and upgrades to a writer later; if another process (the CLI next to a
 * server, or the server next to the CLI) committed in between, the upgrade fails at once with
 * SQLITE_BUSY ("database is locked") and busy_timeout never applies. Taking the lock up front
 * makes the other writer wait its turn instead (security/durability.test.ts found this).
 */
class ImmediateSqliteDialect extends SqliteDialect {
  override createDriver(): Driver {
    const driver = super.createDriver();
    driver.beginTransaction = async (connection: DatabaseConnection) => {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    };
    return driver;
  }
}
