import assert from 'node:assert/strict';
import { test } from 'node:test';
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
