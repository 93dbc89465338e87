import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openDatabase } from './database.js';
import { migrateToLatest } from './migrate.js';
import { PreparedQuery, type Parameter } from './prepared.js';

test('a prepared query runs with each call\'s parameters, fixed values kept, and answers like the inline query', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keymint-prepared-'));
  const path = join(dir, 'keymint.db');
  const { db, close } = openDatabase({ kind: 'sqlite', path, url: `sqlite:${path}` });
  try {
    await migrateToLatest(db);
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
  } finally {
    await close();
    rmSync(dir, { recursive: true, force: true });
  }
});
