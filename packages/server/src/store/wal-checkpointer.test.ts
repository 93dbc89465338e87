import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { sql } from 'kysely';
import { openDatabase } from './database.js';

/** Writes about 8 MB in small transactions, as a server does, and waits for the checkpointer's next ticks. */
async function writeAndWait(checkpointInBackground: boolean): Promise<{ databaseBytes: number; walBytes: number; autocheckpoint: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'keymint-wal-'));
  const path = join(dir, 'keymint.db');
  const { db, close } = openDatabase({ kind: 'sqlite', path, url: `sqlite:${path}` }, () => {}, { checkpointInBackground });
  try {
    const { rows } = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(db);
    await sql`create table filler (body blob)`.execute(db);
    for (let i = 0; i < 2000; i++) await db.transaction().execute((trx) => sql`insert into filler values (randomblob(4000))`.execute(trx));
    await new Promise((resolve) => setTimeout(resolve, 500));
    return { databaseBytes: statSync(path).size, walBytes: statSync(`${path}-wal`).size, autocheckpoint: rows[0]!.wal_autocheckpoint };
  } finally {
    await close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('SQLite, long-running server: WAL checkpoints run on the background thread, not in the COMMIT of a request', async () => {
  // The event loop's connection never checkpoints (wal_autocheckpoint = 0), yet the pages reach
  // the database file: the background thread copied them. Without it they would all still sit in the WAL.
  const { databaseBytes, autocheckpoint } = await writeAndWait(true);
  assert.equal(autocheckpoint, 0, 'the request connection does not checkpoint');
  assert.ok(databaseBytes > 4_000_000, `the database file holds the written pages (${databaseBytes} bytes)`);
});

test('SQLite, CLI and other short-lived openings: no background thread, SQLite checkpoints by itself and the WAL stays near its 1000-page threshold', async () => {
  const { databaseBytes, walBytes } = await writeAndWait(false);
  assert.ok(databaseBytes > 4_000_000, `SQLite's own checkpoints moved the pages (${databaseBytes} bytes)`);
  assert.ok(walBytes < 6_000_000, `the WAL was reused after each checkpoint (${walBytes} bytes)`);
});
