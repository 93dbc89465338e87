import assert from 'node:assert/strict';
import { test } from 'node:test';
import { basic, postForm, startTestServer } from '../testing/harness.js';

/**
 * docs/security.md "Attempt budgets": when the shared attempt store cannot answer, a password is
 * never checked uncounted (503 + Retry-After, no session), while client authentication keeps
 * working (the right secret 200, a wrong one an uncounted 401) so an outage locks no integrator out.
 */
test('attempt store unreachable (Redis down): admin and end-user sign-in fail closed with 503, client authentication fails open', { timeout: 60_000 }, async () => {
  const server = await startTestServer({ env: { KEYMINT_REDIS_URL: 'redis://127.0.0.1:1', KEYMINT_REPLAY_STORE: 'database' } });
  try {
    await server.server.keymint.admins.createAccount({ email: 'ops@example.com', password: 'ops-password-123' }, { actor: 'system' });
    const signIn = await fetch(`${server.url}/admin/v1/session`, {
      method: 'POST', headers: { 'content-type': 'application/json', origin: server.url }, body: JSON.stringify({ email: 'ops@example.com', password: 'ops-password-123' }),
    });
    assert.equal(signIn.status, 503);
    assert.ok(Number(signIn.headers.get('retry-after')) >= 1);
    assert.equal(signIn.headers.get('set-cookie'), null);
    const users = await fetch(`${server.issuer}/auth/signin`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'u@example.com', password: 'some-password' }) });
    assert.equal(users.status, 503);
    assert.equal(((await users.json()) as { error: string }).error, 'temporarily_unavailable');

    const app = await server.createApp();
    assert.equal((await postForm(`${server.issuer}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(app.clientId, app.clientSecret) })).status, 200);
    assert.equal((await postForm(`${server.issuer}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(app.clientId, 'kms_wrong') })).status, 401);
    assert.match(server.logs(), /attempt budget store failed \(take\)/);
  } finally {
    await server.close();
  }
});
