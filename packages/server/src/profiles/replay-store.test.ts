import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { ConfigError, loadConfig } from '../config.js';
import { randomLowerAlnum } from '../crypto/random.js';
import { openDatabase } from '../store/database.js';
import { migrateToLatest } from '../store/migrate.js';
import { Redis } from 'ioredis';
import { DatabaseReplayStore, MemoryReplayStore, RedisReplayStore, type ReplayStore } from './replay-store.js';

class ManualClock {
  at = 1_700_000_000_000;
  now = (): number => this.at;
}

/**
 * The contract every store keeps; run against each implementation. `pass` lets time go by:
 * the manual clock for stores that read it, real time too for Redis, which expires keys itself.
 */
async function checkContract(store: ReplayStore, clock: ManualClock, windowMs: number, pass: (ms: number) => Promise<void>): Promise<void> {
  const a = `client-a-${randomLowerAlnum(6)}`;
  const b = `client-b-${randomLowerAlnum(6)}`;
  assert.equal(await store.claim(a, 'value-1', clock.at + windowMs), true, 'a new value is claimed');
  assert.equal(await store.claim(a, 'value-1', clock.at + windowMs), false, 'the same value again is a replay');
  assert.equal(await store.claim(b, 'value-1', clock.at + windowMs), true, 'values are per client');
  assert.equal(await store.claim(a, 'value-2', clock.at + windowMs), true, 'another value is new');
  await pass(windowMs / 2);
  assert.equal(await store.claim(a, 'value-1', clock.at + windowMs), false, 'still a replay within the window');
  await pass(windowMs / 2 + 100);
  assert.equal(await store.claim(a, 'value-1', clock.at + windowMs), true, 'forgotten once expired (its timestamp is stale by then)');
  assert.equal(await store.claim(a, 'value-1', clock.at + windowMs), false, 'and spent again');

  // Two nodes racing on one value: exactly one wins.
  const raced = await Promise.all(Array.from({ length: 8 }, () => store.claim(a, 'contested', clock.at + windowMs)));
  assert.equal(raced.filter(Boolean).length, 1);
}

/** Stores that read the injected clock expire exactly at expiresAt. */
async function checkExactExpiry(store: ReplayStore, clock: ManualClock): Promise<void> {
  const expiry = clock.at + 6_000;
  assert.equal(await store.claim('client-e', 'edge', expiry), true);
  clock.at = expiry - 1;
  assert.equal(await store.claim('client-e', 'edge', clock.at + 6_000), false, 'a replay 1 ms before expiry');
  clock.at = expiry;
  assert.equal(await store.claim('client-e', 'edge', clock.at + 6_000), true, 'claimable at expiry');
}

const advance = (clock: ManualClock) => async (ms: number) => {
  clock.at += ms;
};

test('replay store (memory): claim once per client within the window, forget after', async () => {
  const clock = new ManualClock();
  await checkContract(new MemoryReplayStore(clock.now), clock, 6_000, advance(clock));
  await checkExactExpiry(new MemoryReplayStore(clock.now), clock);
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
    await checkContract(store, clock, 6_000, advance(clock));
    await checkExactExpiry(store, clock);
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
    await checkContract(storeA, clock, 6_000, advance(clock));
    await checkExactExpiry(storeA, clock);
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

test('replay store (Redis): same contract, keys expire by themselves, throwaway prefix', async (t) => {
  const prefix = `keymint-test:${randomLowerAlnum(10)}:`;
  const clock = new ManualClock();
  clock.at = Date.now();
  const store = RedisReplayStore.connect('redis://127.0.0.1:6379', clock.now, () => {}, prefix);
  const probe = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 0 });
  probe.on('error', () => {});
  try {
    await probe.connect();
  } catch {
    await store.close();
    t.skip('Redis is not reachable on 127.0.0.1:6379');
    return;
  }
  try {
    const sleep = async (ms: number) => {
      clock.at += ms;
      await new Promise((resolve) => setTimeout(resolve, ms));
    };
    // Real time on Redis: a window wide enough that a busy machine cannot blur "within" and "after".
    await checkContract(store, clock, 2_000, sleep);
    const keys = await probe.keys(`${prefix}*`);
    assert.ok(keys.length > 0 && keys.every((key) => !key.includes('value-') && !key.includes('contested')), 'keys hold digests, not values');
    const ttl = await probe.pttl(keys[0]!);
    assert.ok(ttl > 0 && ttl <= 2_000, `keys expire by themselves (pttl ${ttl})`);
  } finally {
    const keys = await probe.keys(`${prefix}*`);
    if (keys.length > 0) await probe.del(...keys);
    await probe.quit();
    await store.close();
  }
});

test('replay store (Redis): unreachable Redis fails closed with 503, never lets a request through', async () => {
  const store = RedisReplayStore.connect('redis://127.0.0.1:1', Date.now, () => {});
  try {
    await assert.rejects(store.claim('client', 'value-value-value', Date.now() + 5_000), (error: Error & { status?: number }) => error.status === 503);
  } finally {
    await store.close();
  }
});

test('config: KEYMINT_REPLAY_STORE defaults to redis with KEYMINT_REDIS_URL, database on PostgreSQL, memory otherwise; bad values name the setting', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'keymint-config-'));
  assert.equal(loadConfig({ env: {}, cwd }).replayStore, 'memory');
  assert.equal(loadConfig({ env: { KEYMINT_DATABASE_URL: 'postgres://u@h:5432/d' }, cwd }).replayStore, 'database');
  assert.equal(loadConfig({ env: { KEYMINT_REDIS_URL: 'redis://127.0.0.1:6379' }, cwd }).replayStore, 'redis');
  assert.equal(loadConfig({ env: { KEYMINT_REDIS_URL: 'redis://127.0.0.1:6379', KEYMINT_REPLAY_STORE: 'database' }, cwd }).replayStore, 'database');
  assert.throws(() => loadConfig({ env: { KEYMINT_REPLAY_STORE: 'disk' }, cwd }), (error: Error) => error instanceof ConfigError && error.setting === 'KEYMINT_REPLAY_STORE');
  assert.throws(() => loadConfig({ env: { KEYMINT_REPLAY_STORE: 'redis' }, cwd }), (error: Error) => error instanceof ConfigError && error.setting === 'KEYMINT_REDIS_URL');
});
