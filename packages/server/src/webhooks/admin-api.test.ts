import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FormatRegistry } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { createAdmin, AdminClient } from '../admin/testing.js';
import * as S from '../admin/schemas.js';
import { keymintCli } from '../testing/cli.js';
import { startTestServer } from '../testing/harness.js';
import { startWebhookReceiver } from '../testing/webhook-receiver.js';
import { within } from '../testing/wait.js';

FormatRegistry.Set('date-time', (value) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(value));
const T = '/tenants/default';

test('webhooks through the admin API: one shape with the CLI --json, one audit entry per change with the admin as actor, viewers read but do not write', { timeout: 300_000 }, async () => {
  const receiver = await startWebhookReceiver();
  const server = await startTestServer({ env: { KEYMINT_WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' } });
  try {
    const owner = await createAdmin(server, 'owner@example.com');
    const admin = await AdminClient.signIn(server, owner.email, owner.password);
    const created = await admin.call('POST', `${T}/webhooks`, { url: receiver.url, events: ['app.*', 'api_token.revoked'] });
    assert.equal(created.status, 201);
    assert.ok(Value.Check(S.NewWebhookView, created.body));
    assert.match(created.body.secret, /^whsec_/);
    const id: string = created.body.id;

    const apiList = (await admin.call('GET', `${T}/webhooks`)).body;
    const cliList = await keymintCli(server, 'webhook', 'list');
    assert.deepEqual(cliList, apiList, 'the CLI --json and the admin API answer the same');
    assert.ok(Value.Check(S.WebhookList, apiList));
    assert.ok(!JSON.stringify(apiList).includes(created.body.secret), 'a listing never shows the secret');

    await server.createApp();
    await within(10_000, 'delivered', async () => (await admin.call('GET', `${T}/webhooks/${id}/deliveries`)).body.deliveries[0]?.status === 'delivered');
    const apiLog = (await admin.call('GET', `${T}/webhooks/${id}/deliveries`)).body;
    assert.ok(Value.Check(S.WebhookDeliveryList, apiLog));
    assert.deepEqual(await keymintCli(server, 'webhook', 'deliveries', id), apiLog);
    assert.equal(apiLog.deliveries[0]!.event_type, 'app.created');
    assert.equal(apiLog.deliveries[0]!.attempts, 1);

    const rotated = await admin.call('POST', `${T}/webhooks/${id}/rotate-secret`);
    assert.equal(rotated.status, 200);
    assert.notEqual(rotated.body.secret, created.body.secret);
    assert.ok(rotated.body.webhook.previous_secret_expires_at);

    const viewerAccount = await createAdmin(server, 'viewer@example.com', 'viewer');
    const viewer = await AdminClient.signIn(server, viewerAccount.email, viewerAccount.password);
    assert.equal((await viewer.call('GET', `${T}/webhooks`)).status, 200);
    assert.equal((await viewer.call('POST', `${T}/webhooks`, { url: receiver.url })).status, 403);
    assert.equal((await viewer.call('DELETE', `${T}/webhooks/${id}`)).status, 403);

    assert.equal((await admin.call('DELETE', `${T}/webhooks/${id}`)).status, 200);
    assert.equal((await admin.call('DELETE', `${T}/webhooks/${id}`)).status, 404);
    assert.equal((await admin.call('GET', `${T}/webhooks/${id}/deliveries`)).status, 404);
    assert.equal((await admin.call('POST', `${T}/webhooks`, { url: receiver.url, extra: 1 })).status, 400);

    const audit = await server.server.keymint.audit.query({ tenantId: (await server.server.keymint.tenants.get('default')).id, target: id });
    assert.deepEqual(audit.map((e) => [e.action, e.actor, e.actorId]).reverse(), [
      ['webhook.created', 'admin', owner.email], ['webhook.secret_rotated', 'admin', owner.email], ['webhook.deleted', 'admin', owner.email],
    ]);
  } finally {
    await server.close();
    await receiver.close();
  }
});
