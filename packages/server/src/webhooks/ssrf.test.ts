import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AdminClient } from '../admin/testing.js';
import { keymintCli, keymintCliText } from '../testing/cli.js';
import { startTestServer } from '../testing/harness.js';
import { startWebhookReceiver } from '../testing/webhook-receiver.js';
import { within } from '../testing/wait.js';
import { isPrivateAddress } from './address-policy.js';
import { send } from './sender.js';

test('SSRF: private, loopback, link-local, CGNAT, multicast, unspecified and IPv4-mapped addresses are refused; public ones pass', () => {
  for (const address of [
    '127.0.0.1', '127.255.0.9', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '100.127.255.255',
    '0.0.0.0', '224.0.0.1', '239.255.255.250', '255.255.255.255', '198.18.0.1', '192.0.2.7',
    '::', '::1', 'fe80::1', 'fc00::1', 'fd12:3456::1', 'ff02::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1', '::ffff:169.254.169.254',
    '64:ff9b::a9fe:a9fe', '2002:7f00:1::', '::127.0.0.1', 'not an address',
  ]) assert.equal(isPrivateAddress(address), true, address);
  for (const address of ['93.184.215.14', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '::ffff:8.8.8.8', '2001:4860:4860::8888']) {
    assert.equal(isPrivateAddress(address), false, address);
  }
});

test('SSRF: without KEYMINT_WEBHOOK_ALLOW_PRIVATE_NETWORKS a loopback or private target is refused at creation (400 invalid_request), http:// too', { timeout: 120_000 }, async () => {
  const server = await startTestServer();
  try {
    const token = (await keymintCli(server, 'admin', 'token', 'create', '--name', 'ssrf', '--expires-in', '1d')).token;
    const admin = AdminClient.withToken(server, token);
    for (const url of ['https://127.0.0.1/hook', 'https://localhost/hook', 'https://[::1]/hook', 'https://[::ffff:127.0.0.1]/hook', 'https://169.254.169.254/latest', 'https://10.0.0.8/', 'https://100.64.1.1/', 'http://example.com/hook', 'ftp://example.com/', 'https://user:pw@example.com/']) {
      const response = await admin.call('POST', '/tenants/default/webhooks', { url });
      assert.equal(response.status, 400, url);
      assert.equal(response.body.error, 'invalid_request', url);
    }
    const unknown = await admin.call('POST', '/tenants/default/webhooks', { url: 'https://93.184.215.14/hook', events: ['app.nope'] });
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.error_description, /unknown event type/);
    const cli = await keymintCliText(server, 'webhook', 'create', '--url', 'https://127.0.0.1/');
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, /private or reserved address/);
    assert.deepEqual((await admin.call('GET', '/tenants/default/webhooks')).body.webhooks, []);
  } finally {
    await server.close();
  }
});

test('SSRF: the address is checked again at delivery — a webhook stored while private networks were allowed is not sent by a server that does not allow them', { timeout: 120_000 }, async () => {
  const receiver = await startWebhookReceiver();
  const server = await startTestServer();
  try {
    const created = await keymintCli({ ...server, env: { ...server.env, KEYMINT_WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' } }, 'webhook', 'create', '--url', receiver.url);
    await server.createApp();
    const tenant = await server.server.keymint.tenants.get('default');
    // An attempt counts once it has finished: `attempts` goes up when a node claims the delivery,
    // `last_error` when the attempt ends, so reading between the two would see no error yet.
    let attempted: { lastError: string | null }[] = [];
    await within(10_000, 'a finished attempt', async () => {
      attempted = (await server.server.keymint.webhooks.deliveries(tenant.id, created.id)).filter((d) => d.attempts > 0 && (d.lastError !== null || d.lastStatus !== null));
      return attempted.length > 0;
    });
    for (const delivery of attempted) assert.match(delivery.lastError ?? '(none)', /private or reserved address \(127\.0\.0\.1\)/);
    assert.equal(receiver.received.length, 0);
  } finally {
    await server.close();
    await receiver.close();
  }
});

test('DNS rebinding: a delivery connects to the address that was checked, never to a second answer for the host name', { timeout: 30_000 }, async () => {
  const receiver = await startWebhookReceiver();
  try {
    const port = new URL(receiver.url).port;
    // The host name does not resolve at all: the request still reaches the pinned, checked address.
    const outcome = await send(new URL(`http://rebind.invalid:${port}/hook`), { address: '127.0.0.1', family: 4 }, {}, '{}', { connectTimeoutMs: 2_000, totalTimeoutMs: 5_000, maxResponseBytes: 1024 });
    assert.equal(outcome.ok, true, String(outcome.error));
    assert.equal(receiver.received.length, 1);
    assert.equal(receiver.received[0]!.headers.host, `rebind.invalid:${port}`);
  } finally {
    await receiver.close();
  }
});
