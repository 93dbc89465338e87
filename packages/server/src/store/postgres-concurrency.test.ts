import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { ChangeFeed, recordChange, type Change } from './change-log.js';
import { openDatabase } from './database.js';
import { runExclusively } from './locks.js';
import { migrateToLatest } from './migrate.js';
import { createPostgresDatabase, TEST_DATABASE } from '../testing/databases.js';

const skip = TEST_DATABASE !== 'postgres' ? 'PostgreSQL run only' : false;

test('keymint migrate from several nodes at once on a fresh PostgreSQL database: one applies each migration, all succeed', { skip }, async () => {
  const database = await createPostgresDatabase();
  const nodes = Array.from({ length: 5 }, () => openDatabase({ kind: 'postgres', url: database.url }));
  try {
    const results = await Promise.all(nodes.map((node) => migrateToLatest(node.db)));
    const applied = results.flat();
    const all = (await nodes[0]!.db.selectFrom('keymint_migrations' as any).select('name').execute()).map((r: any) => r.name);
    assert.ok(all.length >= 4);
    // Each migration applied exactly once, by whichever node held the lock.
    assert.deepEqual([...applied].sort(), [...all].sort());
    assert.equal(new Set(applied).size, applied.length);
  } finally {
    for (const node of nodes) await node.close();
    await database.drop();
  }
});

test('change feed on PostgreSQL: a change whose id was taken before but committed after a later id is still delivered (gap tracking)', { skip }, async () => {
  const database = await createPostgresDatabase();
  const writer = openDatabase({ kind: 'postgres', url: database.url });
  const reader = openDatabase({ kind: 'postgres', url: database.url });
  try {
    await migrateToLatest(writer.db);
    const feed = new ChangeFeed(reader.db, 60_000, (error) => assert.fail(String(error)));
    await feed.start();
    feed.stop();
    const seen: string[] = [];
    feed.on('app', (change) => seen.push(change.entityId));
    const change = (entityId: string): Change => ({ tenantId: 't', entity: 'app', entityId });

    // Transaction A takes the lower id and stays open; B takes the next id and commits first.
    let releaseA!: () => void;
    const aHolding = new Promise<void>((resolve) => (releaseA = resolve));
    let aInserted!: () => void;
    const aHasId = new Promise<void>((resolve) => (aInserted = resolve));
    const a = writer.db.transaction().execute(async (trx) => {
      await recordChange(trx, change('late'), Date.now());
      aInserted();
      await aHolding;
    });
    await aHasId;
    await recordChange(writer.db, change('early'), Date.now());
    await feed.poll();
    assert.deepEqual(seen, ['early']);
    assert.equal(feed.pendingGaps, 1, 'the id still in flight is remembered');

    releaseA();
    await a;
    await feed.poll();
    assert.deepEqual(seen, ['early', 'late'], 'the late commit is read although the cursor moved past its id');
    assert.equal(feed.pendingGaps, 0);
  } finally {
    await writer.close();
    await reader.close();
    await database.drop();
  }
});

test('change log pruning deletes only rows older than the retention', { skip }, async () => {
  const database = await createPostgresDatabase();
  const node = openDatabase({ kind: 'postgres', url: database.url });
  try {
    await migrateToLatest(node.db);
    const now = Date.now();
    await recordChange(node.db, { tenantId: 't', entity: 'app', entityId: 'old' }, now - 2 * 3_600_000);
    await recordChange(node.db, { tenantId: 't', entity: 'app', entityId: 'new' }, now);
    const feed = new ChangeFeed(node.db, 60_000, () => {});
    assert.equal(await feed.prune(3_600_000), 1);
    const left = await node.db.selectFrom('change_log').select('entity_id').execute();
    assert.deepEqual(left.map((r) => r.entity_id), ['new']);
  } finally {
    await node.close();
    await database.drop();
  }
});

test('key maintenance runs on exactly one node at a time (PostgreSQL advisory lock)', { skip }, async () => {
  const database = await createPostgresDatabase();
  const nodes = Array.from({ length: 3 }, () => openDatabase({ kind: 'postgres', url: database.url }));
  try {
    let running = 0;
    let most = 0;
    const task = async () => {
      running += 1;
      most = Math.max(most, running);
      await sql`select pg_sleep(0.2)`.execute(nodes[0]!.db);
      running -= 1;
    };
    const outcomes = await Promise.all(nodes.map((node) => runExclusively(node.db, 'keymint:key-maintenance', task)));
    assert.equal(most, 1);
    assert.deepEqual([...outcomes].sort(), ['ran', 'skipped', 'skipped']);
    // Released afterwards: the next round runs.
    assert.equal(await runExclusively(nodes[1]!.db, 'keymint:key-maintenance', async () => {}), 'ran');
  } finally {
    for (const node of nodes) await node.close();
    await database.drop();
  }
});
