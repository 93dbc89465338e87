import { test } from 'node:test';
import assert from 'node:assert/strict';
import { basic, postForm, startTestServer } from '../testing/harness.js';

test('draining (SIGTERM): a request that still reaches the node gets 503 temporarily_unavailable in the route\'s error shape, with Retry-After and Connection: close', async () => {
  const server = await startTestServer();
  try {
    const app = await server.createApp();
    assert.equal((await postForm(`${server.issuer}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(app.clientId, app.clientSecret) })).status, 200);
    server.server.app.operations.drain();
    const refused = await postForm(`${server.issuer}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(app.clientId, app.clientSecret) });
    assert.equal(refused.status, 503);
    assert.equal(refused.body.error, 'temporarily_unavailable', 'RFC 6749 §5.2 shape on the token endpoint');
    assert.equal(typeof refused.body.error_description, 'string');
    assert.ok(Number(refused.headers.get('retry-after')) > 0);
    assert.equal(refused.headers.get('connection'), 'close');
    const api = await fetch(`${server.issuer}/api/v1/contacts`);
    assert.equal(api.status, 503);
    assert.equal(((await api.json()) as { error: string }).error, 'temporarily_unavailable');
    const ready = await fetch(`${server.url}/readyz`);
    assert.equal(ready.status, 503);
    assert.equal(((await ready.json()) as { reason: string }).reason, 'shutting down');
  } finally {
    await server.close();
  }
});
