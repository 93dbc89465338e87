import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { randomLowerAlnum } from '../crypto/random.js';
import { TemporarilyUnavailable, TooManyRequests } from '../errors.js';
import { openDatabase } from '../store/database.js';
import { migrateToLatest } from '../store/migrate.js';
import { createPostgresDatabase } from '../testing/databases.js';
import { Attempts, budgetKey } from './attempts.js';
import { DatabaseAttemptStore } from './database-store.js';
import { RedisAttemptStore } from './redis-store.js';
import type { AttemptStore, Budget } from './store.js';

/**
 * The contract every attempt store keeps (issue 14), run against each: all or nothing across
 * budgets, never more than `max` per window under a concurrent burst, a give-back only to the
 * window it was taken from, a new window once the old one ended.
 */
async function checkContract(store: AttemptStore): Promise<void> {
  const t0 = Date.now();
  const tag = randomLowerAlnum(8);
  const small: Budget = { key: budgetKey('test.small', tag), max: 2, windowMs: 60_000 };
  const large: Budget = { key: budgetKey('test.large', tag), max: 100, windowMs: 60_000 };

  const first = await store.take([small, large], t0);
  assert.ok(first.granted);
  assert.deepEqual(first.taken.map((t) => t.count).sort(), [1, 1]);
  assert.ok((await store.take([large, small], t0)).granted);
  const refused = await store.take([small, large], t0 + 1);
  assert.deepEqual(refused, { granted: false, key: small.key, resetAt: t0 + 60_000 });
  // All or nothing: the refused take did not count against the budget that had room.
  const probe = await store.take([large], t0 + 2);
  assert.ok(probe.granted && probe.taken[0]!.count === 3);

  // Given back within its window: the attempt is usable again, exactly once.
  await store.giveBack(first.granted ? first.taken.filter((t) => t.key === small.key) : []);
  assert.ok((await store.take([small], t0 + 3)).granted);
  assert.equal((await store.take([small], t0 + 4)).granted, false);

  // A burst: exactly `max` of 40 concurrent takes are granted.
  const burst: Budget = { key: budgetKey('test.burst', tag), max: 7, windowMs: 60_000 };
  const results = await Promise.all(Array.from({ length: 40 }, () => store.take([burst, large], t0 + 5)));
  assert.equal(results.filter((r) => r.granted).length, 7);

  // A new window once the old one ended; a give-back from the old window changes nothing.
  const old = await store.take([{ ...burst, max: 1000 }], t0 + 6);
  // The burst's window began at t0 + 5, so it has ended at t0 + 60_005.
  const next = await store.take([burst], t0 + 60_005);
  assert.ok(next.granted && next.taken[0]!.count === 1 && next.taken[0]!.resetAt === t0 + 120_005);
  if (old.granted) await store.giveBack(old.taken);
  const after = await store.take([burst], t0 + 60_006);
  assert.ok(after.granted && after.taken[0]!.count === 2, 'the old window\'s give-back did not touch the new one');
}

test('attempt store (database, SQLite): atomic all-or-nothing budgets, exact under a burst, windows, purge', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keymint-attempts-'));
  const { db, close } = openDatabase({ kind: 'sqlite', path: join(dir, 'k.db'), url: '' });
  try {
    await migrateToLatest(db);
    const store = new DatabaseAttemptStore(db);
    await checkContract(store);
    assert.ok((await store.purge(Date.now() + 10 * 60_000)) > 0);
    assert.equal((await db.selectFrom('attempt_counters').selectAll().execute()).length, 0);
  } finally {
    await close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('attempt store (database, PostgreSQL): the same contract with two nodes on one database', async () => {
  const database = await createPostgresDatabase();
  const a = openDatabase({ kind: 'postgres', url: database.url });
  const b = openDatabase({ kind: 'postgres', url: database.url });
  try {
    await migrateToLatest(a.db);
    await checkContract(new DatabaseAttemptStore(a.db));
    // Two pools racing on one budget: still exactly max.
    const budget: Budget = { key: budgetKey('test.nodes', randomLowerAlnum(8)), max: 9, windowMs: 60_000 };
    const now = Date.now();
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => new DatabaseAttemptStore(i % 2 ? a.db : b.db).take([budget], now)));
    assert.equal(results.filter((r) => r.granted).length, 9);
  } finally {
    await a.close();
    await b.close();
    await database.drop();
  }
});

test('attempt store (Redis): the same contract; keys under the prefix, nothing undefined, expiring with their window', async () => {
  const prefix = `keymint-test-${randomLowerAlnum(10)}:attempts:`;
  const redis = new Redis('redis://127.0.0.1:6379');
  try {
    await checkContract(new RedisAttemptStore(redis, prefix));
    const keys = await redis.keys(`${prefix}*`);
    assert.ok(keys.length > 0);
    for (const key of keys) {
      assert.match(key, /^keymint-test-\w+:attempts:test\.(small|large|burst):[\w-]{43}$/);
      assert.ok((await redis.pttl(key)) > 0, 'every key expires');
    }
  } finally {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  }
});

test('Attempts: 429 with Retry-After past a budget; an unreachable store fails closed (503), never lets a guess through uncounted', async () => {
  const redis = new Redis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 500, commandTimeout: 500, retryStrategy: () => null });
  redis.on('error', () => {});
  const errors: string[] = [];
  const attempts = new Attempts(new RedisAttemptStore(redis, 'x:'), Date.now, (_error, what) => errors.push(what));
  let checked = 0;
  await assert.rejects(attempts.guard([{ key: 'k', max: 5, windowMs: 1000 }], 'slow down', async () => checked++), TemporarilyUnavailable);
  assert.equal(checked, 0);
  assert.deepEqual(errors, ['take']);
  redis.disconnect();

  const dir = mkdtempSync(join(tmpdir(), 'keymint-attempts-'));
  const { db, close } = openDatabase({ kind: 'sqlite', path: join(dir, 'k.db'), url: '' });
  try {
    await migrateToLatest(db);
    const local = new Attempts(new DatabaseAttemptStore(db), Date.now);
    const budget = [{ key: 'one', max: 1, windowMs: 30_000 }];
    await assert.rejects(local.guard(budget, 'slow down', async () => { throw new Error('wrong'); }), /wrong/);
    const refused = await local.reserve(budget, 'slow down').catch((error: unknown) => error);
    assert.ok(refused instanceof TooManyRequests);
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers['retry-after']) >= 29 && Number(refused.headers['retry-after']) <= 30);
  } finally {
    await close();
    rmSync(dir, { recursive: true, force: true });
  }
});
