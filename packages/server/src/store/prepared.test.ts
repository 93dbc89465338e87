import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { heldSqliteConnection, openDatabase, transactionWithHeldConnection, type Db } from './database.js';
import { migrateToLatest } from './migrate.js';
import { PreparedQuery, type Parameter } from './prepared.js';

/** `check` on a migrated SQLite database in a folder of its own, closed and removed afterwards. */
async function onFreshSqlite(check: (db: Db) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'keymint-prepared-'));
  const path = join(dir, 'keymint.db');
  const { db, close } = openDatabase({ kind: 'sqlite', path, url: `sqlite:${path}` });
  try {
    await migrateToLatest(db);
    await check(db);
  } finally {
    await close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a prepared query runs with each call\'s parameters, fixed values kept, and answers like the inline query', async () => {
  await onFreshSqlite(async (db) => {
    const insert = new PreparedQuery((trx, param: Parameter<{ id: string; at: number }>) =>
      trx.insertInto('change_log').values({ tenant_id: 'fixed-tenant', entity: 'prepared', entity_id: param('id'), created_at: param('at') }),
    );
    const find = new PreparedQuery((trx, param: Parameter<{ after: number }>) =>
      trx.selectFrom('change_log').select(['entity_id', 'tenant_id', 'created_at']).where('entity', '=', 'prepared').where('created_at', '>', param('after')).orderBy('created_at'),
    );
    for (const [id, at] of [['a', 1], ['b', 2], ['c', 3]] as const) assert.equal(Number((await insert.execute(db, { id, at })).numAffectedRows), 1);
    assert.deepEqual((await find.execute(db, { after: 1 })).rows, [
      { entity_id: 'b', tenant_id: 'fixed-tenant', created_at: 2 },
      { entity_id: 'c', tenant_id: 'fixed-tenant', created_at: 3 },
    ]);
    const inline = await db.selectFrom('change_log').select(['entity_id', 'tenant_id', 'created_at']).where('entity', '=', 'prepared').where('created_at', '>', 2).orderBy('created_at').execute();
    assert.deepEqual((await find.execute(db, { after: 2 })).rows, inline);
    await db.transaction().execute(async (trx) => void (await insert.execute(trx, { id: 'd', at: 4 })));
    assert.equal((await find.execute(db, { after: 3 })).rows[0]?.entity_id, 'd', 'runs inside a transaction too');
  });
});

test('SQLite, in a transaction that holds the connection: prepared statements run on it directly, answer as through Kysely, and commit or roll back with the transaction', async () => {
  await onFreshSqlite(async (db) => {
    const insert = new PreparedQuery((trx, param: Parameter<{ id: string; at: number }>) =>
      trx.insertInto('change_log').values({ tenant_id: 't', entity: 'held', entity_id: param('id'), created_at: param('at') }),
    );
    const touch = new PreparedQuery((trx, param: Parameter<{ at: number }>) =>
      trx.updateTable('change_log').set({ created_at: param('at') }).where('entity', '=', 'held').returning(['entity_id', 'created_at']),
    );
    const count = async () => (await db.selectFrom('change_log').select((eb) => eb.fn.countAll<number>().as('n')).where('entity', '=', 'held').executeTakeFirstOrThrow()).n;

    const throughKysely = await db.transaction().execute(async (trx) => {
      assert.equal(heldSqliteConnection(trx), null, 'a plain transaction goes through Kysely');
      return insert.execute(trx, { id: 'a', at: 1 });
    });
    const direct = await transactionWithHeldConnection(db, async (trx) => {
      assert.ok(heldSqliteConnection(trx), 'the transaction holds the connection');
      const inserted = await insert.execute(trx, { id: 'b', at: 2 });
      return { inserted, touched: await touch.execute(trx, { at: 5 }) };
    });
    assert.equal(direct.inserted.numAffectedRows, throughKysely.numAffectedRows);
    assert.equal(typeof direct.inserted.insertId, typeof throughKysely.insertId);
    assert.deepEqual(direct.inserted.rows, []);
    assert.deepEqual(direct.touched.rows, [{ entity_id: 'a', created_at: 5 }, { entity_id: 'b', created_at: 5 }], 'RETURNING rows, as Kysely gives them');

    // A failing unit: its direct writes roll back with the transaction, and a query from outside
    // started meanwhile waits for the connection, so it never sees them.
    let outside: Promise<number> | undefined;
    await assert.rejects(transactionWithHeldConnection(db, async (trx) => {
      await insert.execute(trx, { id: 'c', at: 3 });
      outside = count();
      throw new Error('unit fails');
    }), /unit fails/);
    assert.equal(await outside, 2, 'the outside query ran after the rollback');
    assert.equal(await count(), 2, 'the rolled-back insert is gone');
  });
});
