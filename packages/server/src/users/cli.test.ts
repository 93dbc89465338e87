import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keymintCli } from '../testing/cli.js';
import { startTestServer } from '../testing/harness.js';

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, any> };
}

test('CLI: users settings changes a running server within a poll; users list; users signout-all revokes every session', async () => {
  const server = await startTestServer();
  try {
    const shown = await keymintCli(server, 'users', 'settings');
    assert.equal(shown.token_mode, 'bearer');
    assert.equal(shown.access_token_lifetime, 3600);
    assert.equal(shown.app_id, (await server.server.keymint.tenants.get('default')).appId);
    const changed = await keymintCli(server, 'users', 'settings', '--mode', 'cookie', '--origins', 'http://127.0.0.1:3000', '--access-lifetime', '15m');
    assert.deepEqual(changed.allowed_origins, ['http://127.0.0.1:3000']);
    assert.equal(changed.access_token_lifetime, 900);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const signup = await post(`${server.issuer}/auth/signup`, { email: 'quinn@example.com', password: 'quinn-password' }, { 'x-keymint-csrf': '1', origin: 'http://127.0.0.1:3000' });
    assert.equal(signup.status, 201);
    assert.equal(signup.body.expires_in, 900);
    assert.equal(signup.body.access_token, undefined, 'cookie mode now');
    assert.equal(signup.headers.get('access-control-allow-origin'), 'http://127.0.0.1:3000');

    assert.deepEqual((await keymintCli(server, 'users', 'list')).users.map((u: { email: string }) => u.email), ['quinn@example.com']);
    assert.deepEqual(await keymintCli(server, 'users', 'signout-all', 'Quinn@example.com'), { user_id: signup.body.user.id, revoked: 1 });
    await assert.rejects(keymintCli(server, 'users', 'signout-all', 'nobody@example.com'), /no end user/);
    await assert.rejects(keymintCli(server, 'users', 'settings', '--mode', 'session'), /Allowed choices are bearer, cookie/);
    assert.equal(shown.refresh_reuse_grace, 10, 'default reuse grace: 10 s');
    assert.equal((await keymintCli(server, 'users', 'settings', '--refresh-reuse-grace', '0')).refresh_reuse_grace, 0);
    assert.equal((await keymintCli(server, 'users', 'settings', '--refresh-reuse-grace', '1m')).refresh_reuse_grace, 60);
    await assert.rejects(keymintCli(server, 'users', 'settings', '--refresh-reuse-grace', '61s'), /refreshReuseGrace must be/);
  } finally {
    await server.close();
  }
});
