import { sql } from 'kysely';
import type { Db } from './database.js';
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
