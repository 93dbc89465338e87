// combineRuns: the two runs of a bracketed measurement (measure.mjs) as one row.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bracketed, combineRuns } from './measure.mjs';

const run = (requestsPerSecond, extra = {}) => ({ requestsPerSecond, p50: 2, p99: 8, errors: 0, non2xx: 0, total: requestsPerSecond * 8, serverCpuPercent: 130, generatorCpuPercent: 30, ...extra });

test('two runs of a load combine into their mean rate, the worse latencies and every failure', () => {
  const combined = combineRuns(run(9000, { p99: 12, errors: 1 }), run(11000, { p50: 3, non2xx: 2, serverCpuPercent: 140 }));
  assert.deepEqual(combined, {
    requestsPerSecond: 10000, p50: 3, p99: 12, errors: 1, non2xx: 2, total: 160000,
    serverCpuPercent: 135, generatorCpuPercent: 30, runs: [9000, 11000],
  });
});

test('bracketed measures ours, then the other load, then ours again, in that order', async () => {
  const order = [];
  let rate = 1000;
  const { ours, others } = await bracketed(async () => {
    order.push('ours');
    return run((rate += 1000));
  }, async () => {
    order.push('between');
    return 'peer figures';
  });
  assert.deepEqual(order, ['ours', 'between', 'ours']);
  assert.equal(others, 'peer figures');
  assert.deepEqual(ours.runs, [2000, 3000]);
});
