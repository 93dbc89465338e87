import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { verifyWebhook } from '@keymint/sdk/node';
import { keymintCli } from '../testing/cli.js';
import { startTestServer, type TestServer } from '../testing/harness.js';
import { startWebhookReceiver, type ReceivedWebhook } from '../testing/webhook-receiver.js';
import { within } from '../testing/wait.js';

const ALLOW = { KEYMINT_WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' };

/** The Standard Webhooks algorithm, written from the specification, independent of the server's code. */
function specSignature(secret: string, id: string, timestamp: string, body: string): string {
  assert.match(secret, /^whsec_[A-Za-z0-9+/]+=*$/);
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  return createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
}

async function deliveries(server: TestServer, webhookId: string): Promise<any[]> {
  const tenant = await server.server.keymint.tenants.get('default');
  return server.server.keymint.webhooks.deliveries(tenant.id, webhookId);
}

/** The CLI, as an operator runs it, allowed to name a loopback receiver. */
const cliAllowed = (server: TestServer, ...args: string[]) => keymintCli({ ...server, env: { ...server.env, ...ALLOW } }, ...args);

test('Standard Webhooks "Signature scheme": app.created arrives with webhook-id, webhook-timestamp and v1,<base64 HMAC-SHA256("id.timestamp.body")> under the whsec_ secret', { timeout: 300_000 }, async () => {
  const receiver = await startWebhookReceiver();
  const server = await startTestServer({ env: ALLOW });
  try {
    const created = await cliAllowed(server, 'webhook', 'create', '--url', receiver.url, '--events', 'app.*');
    assert.match(created.id, /^wh_/);
    assert.match(created.secret, /^whsec_/);
    assert.deepEqual((await keymintCli(server, 'webhook', 'list')).webhooks.map((w: any) => [w.id, w.url, w.events]), [[created.id, receiver.url, ['app.*']]]);
    const app = await server.createApp();
    await within(10_000, 'the app.created delivery', async () => receiver.received.length >= 1);
    const [request] = receiver.received as [ReceivedWebhook];
    const id = String(request.headers['webhook-id']);
    const timestamp = String(request.headers['webhook-timestamp']);
    assert.match(id, /^msg_/);
    assert.ok(Math.abs(Number(timestamp) - Date.now() / 1000) < 30, 'webhook-timestamp: seconds, now');
    assert.equal(request.headers['content-type'], 'application/json');
    assert.equal(request.headers['webhook-signature'], `v1,${specSignature(created.secret, id, timestamp, request.body)}`);
    const event = JSON.parse(request.body);
    assert.equal(event.type, 'app.created');
    assert.equal(event.data.tenant, 'default');
    assert.equal(event.data.target, app.clientId);
    assert.ok(!request.body.includes(app.clientSecret), 'no secret in the payload');
    // The SDK's verifier accepts it, and refuses it under another secret or with a changed body.
    const verified = verifyWebhook({ secret: created.secret, headers: request.headers, body: request.body });
    assert.equal(verified.id, id);
    assert.equal(verified.type, 'app.created');
    assert.throws(() => verifyWebhook({ secret: `whsec_${Buffer.alloc(32, 1).toString('base64')}`, headers: request.headers, body: request.body }), { code: 'ERR_WEBHOOK_SIGNATURE' });
    assert.throws(() => verifyWebhook({ secret: created.secret, headers: request.headers, body: request.body.replace('app.created', 'app.disabled') }), { code: 'ERR_WEBHOOK_SIGNATURE' });
    // The delivery log, through the CLI.
    const log = (await keymintCli(server, 'webhook', 'deliveries', created.id)).deliveries;
    await within(5_000, 'the delivery recorded', async () => (await deliveries(server, created.id))[0]?.status === 'delivered');
    assert.equal(log[0].id, id);

    // rotate-secret: the new secret signs, and the old one still adds a signature during the overlap.
    const rotated = await keymintCli(server, 'webhook', 'rotate-secret', created.id);
    assert.notEqual(rotated.secret, created.secret);
    await server.createApp();
    await within(10_000, 'the second delivery', async () => receiver.received.length >= 2);
    const second = receiver.received[1]!;
    const [id2, ts2] = [String(second.headers['webhook-id']), String(second.headers['webhook-timestamp'])];
    assert.deepEqual(String(second.headers['webhook-signature']).split(' ').sort(),
      [`v1,${specSignature(rotated.secret, id2, ts2, second.body)}`, `v1,${specSignature(created.secret, id2, ts2, second.body)}`].sort());
    verifyWebhook({ secret: rotated.secret, headers: second.headers, body: second.body });

    await keymintCli(server, 'webhook', 'delete', created.id);
    assert.deepEqual((await keymintCli(server, 'webhook', 'list')).webhooks, []);
  } finally {
    await server.close();
    await receiver.close();
  }
});

test('retries: a failed delivery is retried within 5 s with the same webhook-id, and the log counts the attempts', { timeout: 120_000 }, async () => {
  const receiver = await startWebhookReceiver((_request, index, response) => {
    response.statusCode = index === 0 ? 503 : 200;
    response.end('ok');
  });
  const server = await startTestServer({ env: ALLOW });
  try {
    const created = await cliAllowed(server, 'webhook', 'create', '--url', receiver.url, '--events', 'app.created');
    await server.createApp();
    await within(15_000, 'a retry', async () => receiver.received.length >= 2);
    const [first, second] = receiver.received as [ReceivedWebhook, ReceivedWebhook];
    assert.equal(second.headers['webhook-id'], first.headers['webhook-id'], 'one webhook-id across retries');
    assert.ok(second.at - first.at <= 5_000, `first retry ${second.at - first.at} ms after the first attempt`);
    await within(5_000, 'delivered', async () => (await deliveries(server, created.id))[0]?.status === 'delivered');
    const [entry] = await deliveries(server, created.id);
    assert.equal(entry.attempts, 2);
    assert.equal(entry.lastStatus, 200);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    assert.equal(receiver.received.length, 2, 'nothing sent after success');
  } finally {
    await server.close();
    await receiver.close();
  }
});

test('retries end after the documented schedule: every attempt fails, exactly 1 + schedule length attempts, then status failed', { timeout: 120_000 }, async () => {
  const receiver = await startWebhookReceiver((_request, _index, response) => {
    response.statusCode = 500;
    response.end();
  });
  const server = await startTestServer({ env: { ...ALLOW, KEYMINT_WEBHOOK_RETRY_SCHEDULE: '1,1' } });
  try {
    const created = await cliAllowed(server, 'webhook', 'create', '--url', receiver.url, '--events', 'app.created');
    await server.createApp();
    await within(20_000, 'failed', async () => (await deliveries(server, created.id))[0]?.status === 'failed');
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    assert.equal(receiver.received.length, 3);
    assert.equal(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size, 1);
    const [entry] = await deliveries(server, created.id);
    assert.equal(entry.attempts, 3);
    assert.equal(entry.lastStatus, 500);
    assert.equal(entry.lastError, 'HTTP 500');
    assert.equal(entry.nextAttemptAt, null);
  } finally {
    await server.close();
    await receiver.close();
  }
});

test('redirects are not followed (a 3xx is a failed attempt) and a receiver that does not answer times out', { timeout: 120_000 }, async () => {
  const target = await startWebhookReceiver();
  const redirecting = await startWebhookReceiver((_request, _index, response) => {
    response.statusCode = 307;
    response.setHeader('location', target.url);
    response.end();
  });
  const silent = await startWebhookReceiver(() => undefined); // never answers
  const server = await startTestServer({ env: { ...ALLOW, KEYMINT_WEBHOOK_TIMEOUT: '1', KEYMINT_WEBHOOK_RETRY_SCHEDULE: '3600' } });
  try {
    const toRedirect = await cliAllowed(server, 'webhook', 'create', '--url', redirecting.url, '--events', 'app.created');
    const toSilent = await cliAllowed(server, 'webhook', 'create', '--url', silent.url, '--events', 'app.created');
    await server.createApp();
    await within(15_000, 'both attempts logged', async () =>
      (await deliveries(server, toRedirect.id))[0]?.attempts === 1 && (await deliveries(server, toSilent.id))[0]?.lastError !== null);
    const [redirected] = await deliveries(server, toRedirect.id);
    assert.equal(redirected.lastStatus, 307);
    assert.match(redirected.lastError, /redirects are not followed/);
    assert.equal(redirected.status, 'pending');
    assert.equal(target.received.length, 0, 'the Location was never requested');
    const [timedOut] = await deliveries(server, toSilent.id);
    assert.match(timedOut.lastError, /timed out after 1000 ms/);
    assert.equal(timedOut.lastStatus, null);
    assert.ok(timedOut.lastDurationMs >= 900 && timedOut.lastDurationMs < 5_000, `${timedOut.lastDurationMs} ms`);
    assert.equal(silent.received.length, 1);
  } finally {
    await server.close();
    await Promise.all([target.close(), redirecting.close(), silent.close()]);
  }
});
