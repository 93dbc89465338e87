import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidToken } from '../errors.js';
import { keymintCli } from '../testing/cli.js';
import { startTestServer } from '../testing/harness.js';

test('CLI: token create/list/revoke and keys list/rotate print the documented JSON; a CLI revocation reaches the running server', { timeout: 60_000 }, async () => {
  const server = await startTestServer();
  try {
    const { keymint } = server.server;
    const answer = await keymintCli(server, 'token', 'create', '--name', 'nightly export', '--scopes', 'contacts_read,contacts_write', '--expires-in', '30d');
    assert.deepEqual(Object.keys(answer).sort(), ['info', 'token'], 'the admin API\'s shape: the token once, and its view');
    const created = { ...answer.info, token: answer.token };
    assert.match(created.token, /^kmk_/);
    assert.deepEqual(created.scopes, ['contacts_read', 'contacts_write']);
    assert.ok(Math.abs(Date.parse(created.expires_at) - Date.now() - 30 * 86_400_000) < 60_000);
    assert.equal((await keymint.principals.resolveBearer(created.token)).subject, created.id);

    const { tokens } = await keymintCli(server, 'token', 'list');
    assert.equal(tokens.length, 1);
    assert.equal(tokens[0].id, created.id);
    assert.equal(tokens[0].hint, created.token.slice(0, 8));
    assert.ok(!JSON.stringify(tokens).includes(created.token), 'never the token');

    const revoked = await keymintCli(server, 'token', 'revoke', created.id);
    assert.equal(revoked.status, 'revoked');
    await new Promise((resolve) => setTimeout(resolve, 150));
    await assert.rejects(keymint.principals.resolveBearer(created.token), InvalidToken);

    const { keys } = await keymintCli(server, 'keys', 'list');
    assert.deepEqual(keys.map((k: { state: string }) => k.state).sort(), ['current', 'next']);
    for (const key of keys) assert.ok(key.kid && key.alg === 'ES256');
    const rotated = await keymintCli(server, 'keys', 'rotate');
    // Default max-age is 300 s: the next key staged at start is too young to sign yet.
    assert.equal(rotated.promoted, null);
    assert.equal(typeof rotated.next.activates_at, 'string');

    const app = await keymintCli(server, 'app', 'create', '--name', 'opaque one', '--format', 'opaque', '--scopes', 'contacts_read');
    assert.equal((await keymint.apps.get((await keymint.tenants.get('default')).id, app.client_id)).tokenFormat, 'opaque');

    const actions = (await keymint.audit.list((await keymint.tenants.get('default')).id)).filter((e) => e.actor === 'cli').map((e) => e.action);
    for (const action of ['api_token.created', 'api_token.revoked', 'app.created'] as const) assert.ok(actions.includes(action), action);
  } finally {
    await server.close();
  }
});
