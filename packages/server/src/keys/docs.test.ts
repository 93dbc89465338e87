import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runDoc } from '../testing/docs.js';
import { startTestServer } from '../testing/harness.js';

test('docs/key-rotation.md: choosing and changing a tenant\'s algorithm runs as written and prints what the doc shows', { timeout: 60_000 }, async () => {
  const server = await startTestServer();
  try {
    const { stdout, output } = await runDoc('docs/key-rotation.md', server);
    assert.match(stdout, /^RS256 RS256$/m, output);
    assert.match(stdout, /"signing_alg": ?"ES256"/, output);
    assert.match(stdout, /^RS256:current ES256:next$/m, output);
  } finally {
    await server.close();
  }
});
