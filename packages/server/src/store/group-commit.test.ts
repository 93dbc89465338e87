import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GroupCommit } from './group-commit.js';

test('concurrent writes share one batch; each caller settles after the batch is written', async () => {
  const batches: number[][] = [];
  const group = new GroupCommit<number>(async (items) => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    batches.push(items);
  });
  await Promise.all(Array.from({ length: 50 }, (_, i) => group.add(i)));
  assert.equal(batches.length, 1);
  assert.deepEqual(batches[0], Array.from({ length: 50 }, (_, i) => i));
  await group.add(99);
  assert.deepEqual(batches.at(-1), [99], 'a later write gets its own batch');
});

test('a batch is cut at maxBatch', async () => {
  const sizes: number[] = [];
  const group = new GroupCommit<number>(async (items) => void sizes.push(items.length), 10);
  await Promise.all(Array.from({ length: 25 }, (_, i) => group.add(i)));
  assert.deepEqual(sizes, [10, 10, 5]);
});

test('a failed write rejects every caller of its batch and no other', async () => {
  let fail = true;
  const group = new GroupCommit<number>(async () => {
    if (fail) throw new Error('disk full');
  });
  const results = await Promise.allSettled([group.add(1), group.add(2)]);
  assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
  fail = false;
  await group.add(3);
});
