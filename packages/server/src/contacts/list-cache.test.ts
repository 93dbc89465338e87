import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ListCache } from './list-cache.js';

test('a page is served until its tenant is invalidated; other tenants keep theirs', () => {
  const cache = new ListCache<string>(() => 0);
  cache.set('t1', 'k', 'page-1', cache.generation('t1'));
  cache.set('t2', 'k', 'page-2', cache.generation('t2'));
  assert.equal(cache.get('t1', 'k'), 'page-1');
  cache.invalidate('t1');
  assert.equal(cache.get('t1', 'k'), undefined);
  assert.equal(cache.get('t2', 'k'), 'page-2');
});

test('a read that raced a write does not store its older result', () => {
  const cache = new ListCache<string>(() => 0);
  const readStartedAt = cache.generation('t1');
  cache.invalidate('t1'); // a write lands while the read is in flight
  cache.set('t1', 'k', 'stale', readStartedAt);
  assert.equal(cache.get('t1', 'k'), undefined);
});

test('entries expire after the maximum age and the cache stays bounded', () => {
  let now = 0;
  const cache = new ListCache<number>(() => now, 3, 1_000);
  cache.set('t1', 'a', 1, 0);
  now = 1_001;
  assert.equal(cache.get('t1', 'a'), undefined);
  for (let i = 0; i < 10; i++) cache.set('t1', `k${i}`, i, 0);
  const held = Array.from({ length: 10 }, (_, i) => cache.get('t1', `k${i}`)).filter((v) => v !== undefined);
  assert.ok(held.length <= 3);
  assert.equal(cache.get('t1', 'k9'), 9);
});
