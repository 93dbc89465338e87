import assert from 'node:assert/strict';
import { test } from 'node:test';
import { boundHeapGrowth, HEAP_GROWING_PERCENT } from './heap-growth.js';
import { spawnServe } from './testing/serve-process.js';
import { waitFor } from './testing/wait.js';

test('serve bounds the old generation\'s growth between full collections, unless the operator set --heap-growing-percent', () => {
  assert.equal(boundHeapGrowth([]), `--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  assert.equal(boundHeapGrowth(['--enable-source-maps']), `--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  assert.equal(boundHeapGrowth(['--heap-growing-percent=80']), null);
  assert.equal(boundHeapGrowth(['--heap_growing_percent=20']), null);
});

test('keymint serve sets the bound in the process that serves, and says so in its log', async () => {
  const server = await spawnServe();
  try {
    // /readyz can answer before serve's next lines run (start-up still awaits the database): wait for the line.
    await waitFor(async () => {
      const line = server.output().split('\n').find((l) => l.includes('old-generation growth'));
      assert.ok(line, `no heap-growth line in:\n${server.output()}`);
      assert.equal(JSON.parse(line).v8Flag, `--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
    }, 10_000);
  } finally {
    await server.cleanup();
  }
});
