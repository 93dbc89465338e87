import { sql } from 'kysely';
import SQLite from 'better-sqlite3';
import { createPrivately, sqliteFileOf, type Db } from './database.js';
import { isPostgres } from './dialect.js';

/**
 * Runs `task` on at most one node at a time: on PostgreSQL under a session advisory lock taken
 * with pg_try_advisory_lock on a connection held for the duration (a node that dies releases it
 * with its connection). A node that finds the lock taken skips this round and returns `skipped`:
 * the holder is doing the work. SQLite is one machine's file; its write transactions already
 * serialise the CLI and the server, so the task simply runs.
 */
export async function runExclusively(db: Db, name: string, task: () => Promise<void>): Promise<'ran' | 'skipped'> {
  if (!isPostgres(db)) {
    await task();
    return 'ran';
  }
  return db.connection().execute(async (connection) => {
    const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_lock(hashtext(${name})) as locked`.execute(connection);
    if (!rows[0]?.locked) return 'skipped';
    try {
      await task();
      return 'ran';
    } finally {
      await sql`select pg_advisory_unlock(hashtext(${name}))`.execute(connection);
    }
  });
}

/**
 * Runs `task` while holding a database-wide lock, waiting for it when another process holds it.
 * Used where every process must do the work but one after another: migrations and the first-start
 * bootstrap, when N replicas (or a server and the CLI) start together on an empty database.
 * - PostgreSQL: a session advisory lock (pg_advisory_lock) on a connection held for the duration,
 *   released with that connection if the node dies.
 * - SQLite: an exclusive write transaction on a lock file beside the database (`keymint.db-lock`).
 *   Not on the database itself: the task writes through the one connection this process has, which
 *   would then wait for its own lock. Kysely's migrator takes no lock on SQLite (no transactional
 *   DDL), so without this two processes create the same tables. The wait blocks this process's
 *   event loop (busy_timeout), which only ever happens at start-up.
 */
export async function withDatabaseLock<T>(db: Db, name: string, task: () => Promise<T>): Promise<T> {
  if (!isPostgres(db)) {
    const file = sqliteFileOf(db);
    if (file === null) return task();
    // Two holders in one process take turns here first: the busy wait for the file lock blocks
    // the event loop, so a second holder in the same process would stall the first forever.
    const previous = inProcess.get(file) ?? Promise.resolve();
    const run = previous.then(() => withLockFile(`${file}-lock`, task));
    const settled = run.then(() => {}, () => {});
    inProcess.set(file, settled);
    void settled.then(() => {
      if (inProcess.get(file) === settled) inProcess.delete(file);
    });
    return run;
  }
  return db.connection().execute(async (connection) => {
    await sql`select pg_advisory_lock(hashtext(${name}))`.execute(connection);
    try {
      return await task();
    } finally {
      await sql`select pg_advisory_unlock(hashtext(${name}))`.execute(connection);
    }
  });
}

const inProcess = new Map<string, Promise<void>>();

async function withLockFile<T>(lockFile: string, task: () => Promise<T>): Promise<T> {
  createPrivately(lockFile);
  const lock = new SQLite(lockFile);
  try {
    lock.pragma('busy_timeout = 60000');
    lock.exec('begin exclusive');
    try {
      return await task();
    } finally {
      lock.exec('commit');
    }
  } finally {
    lock.close();
  }
}

/**
 * Serialises transactions that must see each other's result (check "none exists", then create):
 * on PostgreSQL a transaction-scoped advisory lock, released at commit or rollback, after which
 * the next holder's statements see the committed row (READ COMMITTED reads a fresh snapshot per
 * statement). On SQLite the transaction already holds the write lock (BEGIN IMMEDIATE).
 */
export async function lockForTransaction(trx: Db, name: string): Promise<void> {
  if (isPostgres(trx)) await sql`select pg_advisory_xact_lock(hashtext(${name}))`.execute(trx);
}
