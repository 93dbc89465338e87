import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keymintCli, keymintCliText } from '../testing/cli.js';
import { basic, startTestServer } from '../testing/harness.js';
import { fetchToken } from '../testing/tokens.js';

/**
 * Issue 20 item 5: every use of a key is counted by outcome per key and per hour, in memory on
 * the request path and written by the usage batch (the same flush as issued-token counts);
 * `keymint usage` reads what was flushed.
 */
test('per-key usage: valid, usage_exceeded, insufficient_scope and invalid uses of a kmk_ token, an app\'s JWTs and unknown keys, through the Contacts API and the verify API, counted exactly after a flush', { timeout: 120_000 }, async () => {
  const server = await startTestServer();
  try {
    const contacts = `${server.issuer}/api/v1/contacts`;
    const get = async (bearer: string) => (await fetch(contacts, { headers: { authorization: `Bearer ${bearer}` } })).status;
    const token = await keymintCli(server, 'token', 'create', '--name', 'metered', '--scopes', 'contacts_read', '--quota', '3');
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push(await get(token.token));
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
    const write = await fetch(contacts, { method: 'POST', headers: { authorization: `Bearer ${token.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ email: 'a@example.com', name: 'A' }) });
    assert.equal(write.status, 403, 'no contacts_write');
    assert.equal(await get('kmk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'), 401);

    const app = await server.createApp({ name: 'jwt app' });
    const jwt = await fetchToken(server.issuer, app.clientId, app.clientSecret);
    assert.equal(await get(jwt), 200);
    assert.equal(await get(jwt), 200);
    const verified = await fetch(`${server.issuer}/v1/keys/verify`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: basic(app.clientId, app.clientSecret) }, body: JSON.stringify({ key: token.token }) });
    assert.equal((await verified.json() as { code: string }).code, 'USAGE_EXCEEDED');

    // The batch writes the counts (every 10 s and on close); flushing now is that same step.
    await server.server.keymint.usage.flush();

    const [metered] = (await keymintCli(server, 'usage', '--token', token.info.id, '--hours', '2')).usage;
    const { hours, last_used_at: lastUsed, ...counts } = metered;
    assert.deepEqual(counts, { subject: `token:${token.info.id}`, token_id: token.info.id, name: 'metered', valid: 3, rate_limited: 0, usage_exceeded: 3, invalid: 0, insufficient_scope: 1 });
    assert.equal(hours.length, 1);
    assert.equal(hours[0].valid, 3);
    assert.ok(Math.abs(Date.parse(lastUsed) - Date.now()) < 60_000);

    const [byApp] = (await keymintCli(server, 'usage', '--app', app.clientId)).usage;
    assert.equal(byApp.client_id, app.clientId);
    assert.equal(byApp.name, 'jwt app');
    assert.equal(byApp.valid, 2);
    const all = (await keymintCli(server, 'usage')).usage as { subject: string; invalid: number }[];
    assert.deepEqual(all.map((u) => u.subject).sort(), [`app:${app.clientId}`, `token:${token.info.id}`, 'unknown'].sort());
    assert.equal(all.find((u) => u.subject === 'unknown')!.invalid, 1);

    const both = await keymintCliText(server, 'usage', '--token', token.info.id, '--app', app.clientId);
    assert.equal(both.code, 1);
    assert.match(both.stderr, /one token or one app/);
  } finally {
    await server.close();
  }
});
