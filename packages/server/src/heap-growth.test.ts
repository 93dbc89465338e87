import assert from 'node:assert/strict';
import { test } from 'node:test';
import { boundHeapGrowth, HEAP_GROWING_PERCENT } from './heap-growth.js';

test('serve bounds the old generation\'s growth between full collections, unless the operator set --heap-growing-percent', () => {
  assert.equal(boundHeapGrowth([]), `--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  assert.equal(boundHeapGrowth(['--enable-source-maps']), `--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  assert.equal(boundHeapGrowth(['--heap-growing-percent=80']), null);
  assert.equal(boundHeapGrowth(['--heap_growing_percent=20']), null);
});
