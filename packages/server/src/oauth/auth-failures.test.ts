import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { test } from 'node:test';
import { basic, startTestServer } from '../testing/harness.js';

/** A token request sent from a chosen loopback address, so tests can speak from several IPs. */
function tokenRequestFrom(localAddress: string, url: string, clientId: string, clientSecret: string): Promise<{ status: number; retryAfter: string | undefined; body: any }> {
  return new Promise((resolve, reject) => {
    const body = 'grant_type=client_credentials';
    const req = httpRequest(url, {
      method: 'POST',
      localAddress,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), authorization: basic(clientId, clientSecret) },
    }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'], body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('SECURITY-CHECKLIST: failed client authentication → 429 + Retry-After past the per-client and per-IP budgets; right secrets and other clients unaffected; recovery after the window', { timeout: 30_000 }, async () => {
  const server = await startTestServer({ env: { KEYMINT_AUTH_FAILURES_PER_CLIENT: '3', KEYMINT_AUTH_FAILURES_PER_IP: '5', KEYMINT_AUTH_FAILURE_WINDOW: '2' } });
  try {
    const url = `${server.issuer}/oauth/token`;
    const victim = await server.createApp({ name: 'victim' });
    const neighbour = await server.createApp({ name: 'neighbour' });

    // Per client_id: three failures are answered 401, the fourth 429 with Retry-After.
    for (let i = 0; i < 3; i++) {
      const failed = await tokenRequestFrom('127.0.0.1', url, victim.clientId, 'kms_wrong');
      assert.equal(failed.status, 401);
      assert.equal(failed.body.error, 'invalid_client');
    }
    const limited = await tokenRequestFrom('127.0.0.1', url, victim.clientId, 'kms_wrong');
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.retryAfter) >= 1 && Number(limited.retryAfter) <= 2, `Retry-After ${limited.retryAfter}`);
    // The budget is per client across IPs: the same client failing from elsewhere is limited too.
    assert.equal((await tokenRequestFrom('127.0.0.2', url, victim.clientId, 'kms_wrong')).status, 429);

    // The right secret, from elsewhere and from the same IP, and other clients on that IP: unaffected.
    assert.equal((await tokenRequestFrom('127.0.0.2', url, victim.clientId, victim.clientSecret)).status, 200);
    assert.equal((await tokenRequestFrom('127.0.0.1', url, victim.clientId, victim.clientSecret)).status, 200);
    assert.equal((await tokenRequestFrom('127.0.0.1', url, neighbour.clientId, neighbour.clientSecret)).status, 200);

    // Per IP: one address spraying made-up client ids is limited after five failures...
    for (let i = 0; i < 5; i++) assert.equal((await tokenRequestFrom('127.0.0.3', url, `sprayed${i}`, 'kms_wrong')).status, 401);
    assert.equal((await tokenRequestFrom('127.0.0.3', url, 'sprayed-more', 'kms_wrong')).status, 429);
    // ...while a legitimate client on that address still gets its tokens.
    assert.equal((await tokenRequestFrom('127.0.0.3', url, neighbour.clientId, neighbour.clientSecret)).status, 200);

    // Recovery: after the window, a failure is an ordinary 401 again.
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    assert.equal((await tokenRequestFrom('127.0.0.1', url, victim.clientId, 'kms_wrong')).status, 401);
    assert.equal((await tokenRequestFrom('127.0.0.3', url, 'sprayed-again', 'kms_wrong')).status, 401);

    const { keymint } = server.server;
    const audit = await keymint.audit.list((await keymint.tenants.get('default')).id);
    const events = audit.filter((e) => e.action === 'client.authentication_failures');
    assert.ok(events.some((e) => e.target === victim.clientId && e.actor === 'client' && e.ip === '127.0.0.1' && e.detail?.by === 'client_id'));
    assert.ok(events.some((e) => e.ip === '127.0.0.3' && e.detail?.by === 'ip'));
  } finally {
    await server.close();
  }
});

test('the failure budget also guards introspection and revocation (same client authentication)', async () => {
  const server = await startTestServer({ env: { KEYMINT_AUTH_FAILURES_PER_CLIENT: '2', KEYMINT_AUTH_FAILURE_WINDOW: '60' } });
  try {
    const app = await server.createApp();
    const statuses: number[] = [];
    for (const path of ['/oauth/introspect', '/oauth/revoke', '/oauth/token']) {
      const response = await fetch(`${server.issuer}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(app.clientId, 'kms_wrong') },
        body: 'token=x&grant_type=client_credentials',
      });
      statuses.push(response.status);
      assert.equal(response.headers.get('cache-control'), 'no-store');
    }
    assert.deepEqual(statuses, [401, 401, 429]);
  } finally {
    await server.close();
  }
});
