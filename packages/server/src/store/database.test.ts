import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import SQLite from 'better-sqlite3';
import { openDatabase } from './database.js';
import { migrateToLatest } from './migrate.js';

test('SQLite: a transaction holds the write lock from its start, so another process cannot commit under it and make its later write fail', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keymint-db-'));
  const path = join(dir, 'keymint.db');
  const { db, close } = openDatabase({ kind: 'sqlite', path, url: `sqlite:${path}` });
  // Another process's connection (the CLI next to a server), not waiting at all for the lock.
  const other = new SQLite(path);
  other.pragma('busy_timeout = 0');
  try {
    await migrateToLatest(db);
    await db.transaction().execute(async (trx) => {
      await trx.selectFrom('tenants').select('id').execute();
      // With a deferred BEGIN this write would commit, and the insert below would then fail
      // with SQLITE_BUSY_SNAPSHOT ("database is locked") whatever busy_timeout says.
      assert.throws(() => other.prepare("insert into change_log (tenant_id, entity, entity_id, created_at) values ('t', 'e', 'i', 1)").run(), /database is locked/);
      await trx.insertInto('change_log').values({ tenant_id: 't', entity: 'e', entity_id: 'mine', created_at: 1 }).execute();
    });
    assert.equal((await db.selectFrom('change_log').select('entity_id').where('entity_id', '=', 'mine').execute()).length, 1);
  } finally {
    other.close();
    await close();
    rmSync(dir, { recursive: true, force: true });
  }
});
