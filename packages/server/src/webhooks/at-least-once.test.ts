import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SYSTEM } from '../audit/service.js';
import { randomKey } from '../crypto/random.js';
import { prepareTestStorage, startTestServer } from '../testing/harness.js';
import { burst, TOPOLOGIES } from '../testing/topologies.js';
import { within } from '../testing/wait.js';
import { startWebhookReceiver } from '../testing/webhook-receiver.js';

/**
 * Every node (and every worker) runs the delivery timer on the shared outbox: each event must
 * arrive, and no attempt may be sent twice at once. A slow receiver keeps each attempt open long
 * enough for the other node's timer to see the row while it is in flight.
 */
for (const [name, start] of TOPOLOGIES) {
  test(`outbox delivery, ${name}: a burst of 12 changes gives 12 deliveries, each webhook-id once, never two at once`, { timeout: 300_000 }, async () => {
    const receiver = await startWebhookReceiver(async (_request, _index, response) => {
      await new Promise((resolve) => setTimeout(resolve, 700));
      response.statusCode = 204;
      response.end();
    });
    const deployment = await start({ KEYMINT_WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' });
    try {
      const webhook = await deployment.createWebhook(receiver.url, ['app.created']);
      const apps = await burst(12, () => deployment.createApp());
      await within(60_000, '12 deliveries', async () => receiver.received.length >= 12);
      await within(10_000, 'all recorded as delivered', async () => {
        const rows = await deployment.db.selectFrom('webhook_deliveries').select(['status']).where('webhook_id', '=', webhook.id).execute();
        return rows.length === 12 && rows.every((r) => r.status === 'delivered');
      });
      await new Promise((resolve) => setTimeout(resolve, 3_000)); // a duplicate would arrive by now
      const targets = receiver.received.map((r) => JSON.parse(r.body).data.target as string).sort();
      assert.deepEqual(targets, apps.map((a) => a.clientId).sort(), 'each change delivered exactly once');
      assert.equal(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size, 12);
      assert.equal(receiver.maxConcurrentPerId(), 1);
      const attempts = await deployment.db.selectFrom('webhook_deliveries').select('attempts').where('webhook_id', '=', webhook.id).execute();
      assert.deepEqual(attempts.map((a) => Number(a.attempts)), Array(12).fill(1), 'one attempt each: no node re-sent a claimed row');
    } finally {
      await deployment.close();
      await receiver.close();
    }
  });
}

test('at least once across a node failure: a node that dies mid-attempt leaves its lease; another node sends the same webhook-id when the lease runs out', { timeout: 300_000 }, async () => {
  let held = 0;
  const receiver = await startWebhookReceiver((_request, index, response) => {
    if (index === 0) {
      held++; // the first attempt is never answered: its node dies meanwhile
      return;
    }
    response.statusCode = 204;
    response.end();
  });
  const storage = await prepareTestStorage();
  const env = { KEYMINT_MASTER_KEY: randomKey(32).toString('base64url'), KEYMINT_WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', KEYMINT_WEBHOOK_TIMEOUT: '2' };
  try {
    const a = await startTestServer({ ...storage, env });
    const tenant = await a.server.keymint.tenants.get('default');
    const webhook = await a.server.keymint.webhooks.create(tenant.id, { url: receiver.url, events: ['app.created'] }, SYSTEM);
    await a.createApp();
    await within(15_000, 'node A sends the first attempt', async () => held === 1);
    await a.close(); // node A is gone before its attempt finished: nothing recorded the outcome
    const b = await startTestServer({ ...storage, env });
    try {
      // The lease is the attempt's timeout (2 s) + 30 s.
      await within(60_000, 'node B delivers', async () => receiver.received.length >= 2);
      assert.equal(receiver.received[1]!.headers['webhook-id'], receiver.received[0]!.headers['webhook-id'], 'the same webhook-id');
      assert.ok(receiver.received[1]!.at - receiver.received[0]!.at >= 25_000, 'not before the lease ran out');
      await within(5_000, 'recorded', async () => (await b.server.keymint.webhooks.deliveries(tenant.id, webhook.webhook.id))[0]?.status === 'delivered');
      assert.equal((await b.server.keymint.webhooks.deliveries(tenant.id, webhook.webhook.id))[0]!.attempts, 2);
    } finally {
      await b.close();
    }
  } finally {
    await storage.cleanup();
    await receiver.close();
  }
});
