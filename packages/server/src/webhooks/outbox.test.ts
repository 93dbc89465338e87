import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SYSTEM } from '../audit/service.js';
import { startTestServer } from '../testing/harness.js';
import { within } from '../testing/wait.js';
import { startWebhookReceiver } from '../testing/webhook-receiver.js';

test('outbox: the event row is committed in the transaction of the change — present the moment the call returns, before any audit batch is written', { timeout: 120_000 }, async () => {
  const receiver = await startWebhookReceiver();
  const server = await startTestServer({ env: { KEYMINT_WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' } });
  try {
    const { keymint } = server.server;
    const tenant = await keymint.tenants.get('default');
    const other = await keymint.tenants.create('other');
    const all = await keymint.webhooks.create(tenant.id, { url: receiver.url }, SYSTEM);
    const appsOnly = await keymint.webhooks.create(tenant.id, { url: receiver.url, events: ['app.*'] }, SYSTEM);
    const rows = (type: string) => keymint.db.selectFrom('webhook_deliveries').select(['webhook_id', 'tenant_id']).where('event_type', '=', type).execute();

    const token = await keymint.apiTokens.create(tenant.id, await keymint.tenants.scopes(tenant.id), { name: 'ci' }, SYSTEM);
    assert.deepEqual(await rows('api_token.created'), [{ webhook_id: all.webhook.id, tenant_id: tenant.id }], 'one row, for the webhook subscribed to everything');
    await keymint.apiTokens.revoke(tenant.id, token.info.id, SYSTEM);
    assert.equal((await rows('api_token.revoked')).length, 1);
    await server.createApp();
    assert.deepEqual((await rows('app.created')).map((r) => r.webhook_id).sort(), [all.webhook.id, appsOnly.webhook.id].sort());
    // Another tenant's change reaches no webhook of this one.
    await server.createApp({ tenant: 'other' });
    assert.equal((await rows('app.created')).length, 2);
    assert.equal(other.slug, 'other');

    // Actions recorded through the audit batch get their rows in the batch's transaction (≤ 1 s).
    await keymint.tenants.addScope(tenant.id, { name: 'reports_read', description: 'Read reports', isDefault: false }, SYSTEM);
    await within(5_000, 'the batched scope.added event', async () => (await rows('scope.added')).length === 1);
    // Failed guesses are not events.
    await keymint.audit.flush();
    assert.equal((await keymint.db.selectFrom('webhook_deliveries').select('id').where('event_type', 'like', '%failed%').execute()).length, 0);

    // The delivery log keeps 30 days of finished deliveries; pending ones are never purged.
    await within(10_000, 'api_token.created delivered', async () => (await keymint.db.selectFrom('webhook_deliveries').select('status').where('event_type', '=', 'api_token.created').executeTakeFirst())?.status === 'delivered');
    await keymint.db.updateTable('webhook_deliveries').set({ created_at: Date.now() - 31 * 86_400_000 }).where('event_type', 'in', ['api_token.created']).execute();
    await keymint.db.updateTable('webhook_deliveries').set({ created_at: Date.now() - 31 * 86_400_000, status: 'pending', next_attempt_at: Date.now() + 86_400_000 }).where('event_type', '=', 'api_token.revoked').execute();
    assert.equal((await keymint.purgeExpired()).webhookDeliveries, 1);
    assert.equal((await rows('api_token.created')).length, 0);
    assert.equal((await rows('api_token.revoked')).length, 1);
  } finally {
    await server.close();
    await receiver.close();
  }
});
