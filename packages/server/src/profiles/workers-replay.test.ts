import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig, configForWorkers, ConfigError } from '../config.js';
import { randomLowerAlnum } from '../crypto/random.js';
import { spawnServe } from '../testing/serve-process.js';
import { within } from '../testing/wait.js';
import { signRequest } from './signature.js';

/**
 * Issue 14: under `serve --workers N` every worker must share the signed-request replay store.
 * A memory store is per process, so each worker would accept one signed request once.
 */
test('serve --workers 2 without Redis: one signed /v3/tokens request sent 20 times at once is accepted exactly once', { timeout: 120_000 }, async () => {
  const server = await spawnServe(['--workers', '2']);
  try {
    await within(30_000, 'two workers listening', async () => (server.output().match(/\[worker \d+\] Keymint is listening/g) ?? []).length >= 2);
    const app = await server.cli('app', 'create', '--name', 'signed', '--scopes', 'contacts_read', '--auth-methods', 'signed_request');
    const timestamp = String(Math.floor(Date.now() / 1000));
    const value = randomLowerAlnum(32);
    const body = JSON.stringify({ client_id: app.client_id, audience: `${server.issuer}/api`, timestamp, signature_value: value, signature: signRequest(app.client_secret, value, timestamp) });
    const statuses = await Promise.all(Array.from({ length: 20 }, async () => {
      const response = await fetch(`${server.issuer}/v3/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      await response.body?.cancel();
      return response.status;
    }));
    assert.equal(statuses.filter((s) => s === 200).length, 1, `statuses ${statuses.join(',')}`);
    assert.equal(statuses.filter((s) => s === 401).length, 19);
  } finally {
    await server.cleanup();
  }
});

test('KEYMINT_REPLAY_STORE=memory with --workers 2 stops start-up with a ConfigError naming the setting; unset, several workers use the database store', async () => {
  const cwd = '/nonexistent-keymint-test';
  assert.equal(configForWorkers(loadConfig({ env: {}, cwd }), 2).replayStore, 'database');
  assert.equal(configForWorkers(loadConfig({ env: {}, cwd }), 1).replayStore, 'memory');
  assert.throws(() => configForWorkers(loadConfig({ env: { KEYMINT_REPLAY_STORE: 'memory' }, cwd }), 2), (error) => error instanceof ConfigError && error.setting === 'KEYMINT_REPLAY_STORE');
  const started = await spawnServe(['--workers', '2'], { KEYMINT_REPLAY_STORE: 'memory' }).catch((error: Error) => error);
  if (!(started instanceof Error)) {
    await started.cleanup();
    assert.fail('serve --workers 2 started with a per-worker memory replay store');
  }
  assert.match(started.message, /KEYMINT_REPLAY_STORE: expected database or redis with --workers above 1/);
});
