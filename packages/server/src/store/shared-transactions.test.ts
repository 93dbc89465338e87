import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { createPostgresDatabase } from '../testing/databases.js';
import type { Db } from './database.js';
import { migrateToLatest } from './migrate.js';
import type { Database } from './schema.js';
import { SharedTransactions } from './shared-transactions.js';

let dir: string;
let db: Db;
const statements: string[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'keymint-shared-'));
  db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: new SQLite(join(dir, 'keymint.db')) }),
    log: (event) => void statements.push(event.query.sql.toLowerCase()),
  });
  await migrateToLatest(db);
});
after(async () => {
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const row = (entityId: string) => ({ tenant_id: 't', entity: 'shared-test', entity_id: entityId, created_at: 1 });
const stored = async () => (await db.selectFrom('change_log').select('entity_id').where('entity', '=', 'shared-test').execute()).map((r) => r.entity_id).sort();

test('SQLite: 20 concurrent units of work share one COMMIT, each caller gets its own result, and only after that COMMIT', async () => {
  const transactions = new SharedTransactions(db);
  statements.length = 0;
  const committedBeforeAnswer: boolean[] = [];
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      transactions
        .run(async (trx) => {
          await trx.insertInto('change_log').values(row(`unit-${i}`)).execute();
          return i * 2;
        })
        .then((result) => {
          committedBeforeAnswer.push(statements.includes('commit'));
          return result;
        }),
    ),
  );
  assert.deepEqual(results, Array.from({ length: 20 }, (_, i) => i * 2));
  assert.equal(statements.filter((s) => s === 'commit').length, 1, 'one COMMIT for the burst');
  assert.ok(committedBeforeAnswer.every(Boolean), 'no caller is answered before the COMMIT');
  assert.equal((await stored()).length, 20);
});

test('SQLite: a failing unit rolls its batch back and the others are run again alone: only its caller fails, each other write is stored once', async () => {
  await db.deleteFrom('change_log').where('entity', '=', 'shared-test').execute();
  const transactions = new SharedTransactions(db);
  const outcomes = await Promise.allSettled(
    Array.from({ length: 5 }, (_, i) =>
      transactions.run(async (trx) => {
        await trx.insertInto('change_log').values(row(`unit-${i}`)).execute();
        if (i === 2) throw new Error('unit 2 fails');
        return i;
      }),
    ),
  );
  assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
  assert.match(String((outcomes[2] as PromiseRejectedResult).reason), /unit 2 fails/);
  assert.deepEqual(await stored(), ['unit-0', 'unit-1', 'unit-3', 'unit-4'], 'the failed unit wrote nothing, the others once each');
});

test('PostgreSQL: runStatements sends its statements without BEGIN or COMMIT (one round trip each); run wraps its unit in a transaction of its own', async () => {
  const database = await createPostgresDatabase();
  const sent: string[] = [];
  const postgres = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url, max: 2 }) }),
    log: (event) => void sent.push(event.query.sql.toLowerCase()),
  });
  try {
    await migrateToLatest(postgres);
    const transactions = new SharedTransactions(postgres);
    const framing = () => sent.filter((sql) => sql === 'begin' || sql === 'commit');
    sent.length = 0;
    await transactions.runStatements((db) => db.insertInto('change_log').values(row('pg-statements')).execute());
    assert.deepEqual(framing(), []);
    assert.equal(sent.length, 1);
    sent.length = 0;
    await transactions.run((trx) => trx.insertInto('change_log').values(row('pg-transaction')).execute());
    assert.deepEqual(framing(), ['begin', 'commit']);
  } finally {
    await postgres.destroy();
    await database.drop();
  }
});
