import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runDoc } from '../testing/docs.js';
import { startTestServer } from '../testing/harness.js';

test('docs/webhooks.md: the local trial runs as written — the example receiver verifies the app.created event with the SDK', { timeout: 120_000 }, async () => {
  const server = await startTestServer({ env: { KEYMINT_WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' } });
  try {
    const { stdout, output } = await runDoc('docs/webhooks.md', server);
    assert.match(stdout, /^verified app\.created <client_id>$/m, output);
  } finally {
    await server.close();
  }
});
