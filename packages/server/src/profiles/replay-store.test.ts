import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { randomLowerAlnum } from '../crypto/random.js';
import { openDatabase } from '../store/database.js';
import { migrateToLatest } from '../store/migrate.js';
import { DatabaseReplayStore, MemoryReplayStore, type ReplayStore } from './replay-store.js';

class ManualClock {
  at = 1_700_000_000_000;
  now = (): number => this.at;
}

/** The contract every store keeps; run against each implementation. */
async function checkContract(store: ReplayStore, clock: ManualClock): Promise<void> {
  const expiry = clock.at + 6_000;
  assert.equal(await store.claim('client-a', 'value-1', expiry), true, 'a new value is claimed');
  assert.equal(await store.claim('client-a', 'value-1', expiry), false, 'the same value again is a replay');
  assert.equal(await store.claim('client-b', 'value-1', expiry), true, 'values are per client');
  assert.equal(await store.claim('client-a', 'value-2', expiry), true, 'another value is new');
  clock.at += 5_999;
  assert.equal(await store.claim('client-a', 'value-1', clock.at + 6_000), false, 'still a replay just before expiry');
  clock.at += 1;
  assert.equal(await store.claim('client-a', 'value-1', clock.at + 6_000), true, 'forgotten once expired (its timestamp is stale by then)');
  assert.equal(await store.claim('client-a', 'value-1', clock.at + 6_000), false, 'and spent again');

  // Two nodes racing on one value: exactly one wins.
  const raced = await Promise.all(Array.from({ length: 8 }, () => store.claim('client-c', 'contested', clock.at + 6_000)));
  assert.equal(raced.filter(Boolean).length, 1);
}

test('replay store (memory): claim once per client within the window, forget after', async () => {
  const clock = new ManualClock();
  await checkContract(new MemoryReplayStore(clock.now), clock);
});

test('replay store (memory): bounded; when full of live entries it refuses (503) rather than forget one', async () => {
  const clock = new ManualClock();
  const store = new MemoryReplayStore(clock.now, 3);
  for (const value of ['a', 'b', 'c']) assert.equal(await store.claim('client', value, clock.at + 1_000), true);
  await assert.rejects(store.claim('client', 'd', clock.at + 1_000), (error: Error & { status?: number }) => error.status === 503);
  assert.equal(await store.claim('client', 'a', clock.at + 1_000), false, 'a live entry is still a replay');
  clock.at += 1_000;
  assert.equal(await store.claim('client', 'd', clock.at + 1_000), true, 'expired entries are purged to make room');
  assert.equal(store.size, 1);
});

test('replay store (database, SQLite): same contract, expired rows purged', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keymint-replay-'));
  const { db, close } = openDatabase({ kind: 'sqlite', path: join(dir, 'k.db'), url: '' });
  const clock = new ManualClock();
  const store = new DatabaseReplayStore(db, clock.now);
  try {
    await migrateToLatest(db);
    await checkContract(store, clock);
    clock.at += 60_000;
    await store.purge();
    const left = await db.selectFrom('replay_values').selectAll().execute();
    assert.deepEqual(left, []);
    // Digests only: the values themselves are not stored.
    await store.claim('client-a', 'plain-value-here', clock.at + 1_000);
    const rows = await db.selectFrom('replay_values').selectAll().execute();
    assert.ok(rows.every((r) => !r.value_hash.includes('plain-value')));
  } finally {
    await store.close();
    await close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('replay store (database, PostgreSQL): same contract with two nodes on one database', async (t) => {
  const base = 'postgres://postgres@127.0.0.1:5432/test';
  const schema = `replay_${randomLowerAlnum(10)}`;
  const admin = new pg.Client({ connectionString: base });
  try {
    await admin.connect();
  } catch {
    t.skip('PostgreSQL is not reachable on 127.0.0.1:5432');
    return;
  }
  await admin.query(`create schema ${schema}`);
  const url = `${base}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  const nodeA = openDatabase({ kind: 'postgres', url });
  const nodeB = openDatabase({ kind: 'postgres', url });
  const clock = new ManualClock();
  const storeA = new DatabaseReplayStore(nodeA.db, clock.now);
  const storeB = new DatabaseReplayStore(nodeB.db, clock.now);
  try {
    await migrateToLatest(nodeA.db);
    await checkContract(storeA, clock);
    const value = randomLowerAlnum(32);
    const [a, b] = await Promise.all([storeA.claim('client-x', value, clock.at + 6_000), storeB.claim('client-x', value, clock.at + 6_000)]);
    assert.equal(Number(a) + Number(b), 1, 'one node wins the race, the other sees a replay');
    assert.equal(await storeB.claim('client-x', value, clock.at + 6_000), false);
  } finally {
    await storeA.close();
    await storeB.close();
    await nodeA.close();
    await nodeB.close();
    await admin.query(`drop schema ${schema} cascade`);
    await admin.end();
  }
});
