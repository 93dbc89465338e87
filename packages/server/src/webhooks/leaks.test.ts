import assert from 'node:assert/strict';
import { test } from 'node:test';
import { verifyWebhook } from '@keymint/sdk/node';
import { fakeGitHub } from '../leaks/testing.js';
import { startTestServer } from '../testing/harness.js';
import { startWebhookReceiver } from '../testing/webhook-receiver.js';
import { within } from '../testing/wait.js';

// Issue 21 joined up: a leaked credential revoked by a GitHub secret-scanning report, and one
// revoked through the public revoke endpoint, each reach a real receiver as a signed
// `credential.leaked` delivery, verified with the SDK, within seconds.

test('a GitHub secret-scanning report and a public revoke each produce a signed credential.leaked webhook delivery within seconds', { timeout: 120_000 }, async () => {
  const github = fakeGitHub();
  const receiver = await startWebhookReceiver();
  const server = await startTestServer({ env: { ...github.env, KEYMINT_WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' } });
  try {
    const { keymint } = server.server;
    const tenant = await keymint.tenants.get('default');
    const { secret } = await keymint.webhooks.create(tenant.id, { url: receiver.url, events: ['credential.*'] }, { actor: 'cli' });
    const reported = await server.createApp();
    const published = await server.createApp();
    const leaked = () => receiver.received.map((r) => verifyWebhook({ secret, headers: r.headers, body: r.body })).filter((e) => e.type === 'credential.leaked');

    const answer = await github.report(server.url, [{ token: reported.clientSecret, type: 'keymint_client_secret', source: 'content' }]);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const tookMs = await within(10_000, 'credential.leaked delivered after the GitHub report', async () => leaked().length === 1);
    assert.ok(tookMs < 10_000);
    assert.equal(leaked()[0]!.data.tenant, 'default');
    assert.ok(!receiver.received.some((r) => r.body.includes(reported.clientSecret)), 'the leaked secret itself is never in a delivery');

    const revoke = await fetch(`${server.url}/v1/credentials/revoke`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ credentials: [published.clientSecret] }) });
    assert.ok(revoke.status < 300, `public revoke answered ${revoke.status}`);
    await within(10_000, 'credential.leaked delivered after the public revoke', async () => leaked().length === 2);
    assert.ok(!receiver.received.some((r) => r.body.includes(published.clientSecret)));
    assert.equal(receiver.received.filter((r) => !r.body.includes('"credential.')).length, 0, 'the subscription to credential.* gets nothing else');
  } finally {
    await server.close();
    await receiver.close();
  }
});

test('an API token about to expire produces a signed credential.expiring webhook delivery, found by the server\'s own expiry check', { timeout: 120_000 }, async () => {
  const receiver = await startWebhookReceiver();
  const server = await startTestServer({ env: { KEYMINT_EXPIRY_CHECK_INTERVAL: '1', KEYMINT_WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' } });
  try {
    const { keymint } = server.server;
    const tenant = await keymint.tenants.get('default');
    const { secret } = await keymint.webhooks.create(tenant.id, { url: receiver.url, events: ['credential.expiring'] }, { actor: 'cli' });
    const { info } = await keymint.apiTokens.create(tenant.id, await keymint.tenants.scopes(tenant.id), { name: 'soon', expiresInSeconds: 3 * 86_400 }, { actor: 'cli' });
    const expiring = () => receiver.received.map((r) => verifyWebhook({ secret, headers: r.headers, body: r.body })).filter((e) => e.type === 'credential.expiring');
    await within(15_000, 'credential.expiring delivered', async () => expiring().length === 1);
    assert.equal((expiring()[0]!.data.detail as { id: string }).id, info.id);
  } finally {
    await server.close();
    await receiver.close();
  }
});
