import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createClient, createVerifier, InvalidTokenError } from '@keymint/sdk/node';
import { startTestServer, TestClock, type TestServer } from '../testing/harness.js';

/**
 * A real HTTP proxy in front of Keymint. Keymint's public URL is the proxy's, so discovery sends
 * clients through it; it counts token requests on the server side of the wire and can answer
 * the next few with 503 to exercise retries.
 */
class CountingProxy {
  server!: Server;
  port = 0;
  target = 0;
  tokenRequests = 0;
  failNextTokenRequests = 0;
  dropNextTokenRequests = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      if (req.method === 'POST' && req.url?.endsWith('/oauth/token')) {
        this.tokenRequests += 1;
        if (this.dropNextTokenRequests > 0) {
          // A network failure as the client sees it: the connection closes with no answer.
          this.dropNextTokenRequests -= 1;
          req.socket.destroy();
          return;
        }
        if (this.failNextTokenRequests > 0) {
          this.failNextTokenRequests -= 1;
          req.resume();
          res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
          res.end('{"error":"temporarily_unavailable","error_description":"injected by the test proxy"}');
          return;
        }
      }
      const upstream = httpRequest({ host: '127.0.0.1', port: this.target, method: req.method, path: req.url, headers: req.headers }, (response) => {
        res.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }
}

const proxy = new CountingProxy();
const clock = new TestClock();
let keymint: TestServer;
let issuer: string;
let app: { clientId: string; clientSecret: string };

describe('@keymint/sdk/node against a real Keymint server', () => {
  before(async () => {
    await proxy.start();
    keymint = await startTestServer({ clock, env: { KEYMINT_PUBLIC_URL: `http://127.0.0.1:${proxy.port}` } });
    proxy.target = (keymint.server.app.server.address() as AddressInfo).port;
    issuer = keymint.issuer;
    app = await keymint.createApp({ scopes: ['contacts_read', 'contacts_write'], tokenLifetime: 600 });
  });
  after(async () => {
    await keymint.close();
    proxy.server.close();
  });

  test('the verifier discovers the JWKS over HTTP (RFC 8414) and accepts a real Keymint token', async () => {
    const client = createClient({ issuer, clientId: app.clientId, clientSecret: app.clientSecret, scopes: ['contacts_read'] });
    const token = await client.getToken();
    const errors: Error[] = [];
    const verifier = createVerifier({ issuer, audience: `${issuer}/api`, onError: (error) => errors.push(error as Error) });
    try {
      const claims = await verifier.verify(token);
      assert.equal(claims.client_id, app.clientId);
      assert.equal(claims.tid, 'default');
      assert.equal(claims.scope, 'contacts_read');
      // Until the revocation feed exists the issuer answers 404: polling stops without noise.
      assert.equal(errors.length, 0, String(errors[0]));
      const otherTenant = createVerifier({ issuer: `${issuer}x`, audience: `${issuer}/api`, revocationPollMs: false });
      await assert.rejects(otherTenant.verify(token));
    } finally {
      verifier.close();
    }
  });

  test('client: 100 concurrent getToken() calls make one token request', async () => {
    const before = proxy.tokenRequests;
    const client = createClient({ issuer, clientId: app.clientId, clientSecret: app.clientSecret });
    const tokens = await Promise.all(Array.from({ length: 100 }, () => client.getToken()));
    assert.equal(new Set(tokens).size, 1);
    assert.equal(proxy.tokenRequests - before, 1);
    await client.getToken();
    assert.equal(proxy.tokenRequests - before, 1, 'served from the cache');
  });

  test('client: a cached token close to expiry is replaced', async () => {
    let now = Date.now();
    const client = createClient({ issuer, clientId: app.clientId, clientSecret: app.clientSecret, auth: 'client_secret_post', now: () => now });
    const before = proxy.tokenRequests;
    const first = await client.getToken();
    now += 540_000; // 600 s token, 30 s skew: still cached at 540 s
    assert.equal(await client.getToken(), first);
    now += 31_000;
    const second = await client.getToken();
    assert.notEqual(second, first);
    assert.equal(proxy.tokenRequests - before, 2);
  });

  test('client: 5xx from the token endpoint is retried with backoff (bounded)', async () => {
    const client = createClient({ issuer, clientId: app.clientId, clientSecret: app.clientSecret, maxRetries: 3 });
    const before = proxy.tokenRequests;
    proxy.failNextTokenRequests = 2;
    assert.ok(await client.getToken());
    assert.equal(proxy.tokenRequests - before, 3);

    const giveUp = createClient({ issuer, clientId: app.clientId, clientSecret: app.clientSecret, maxRetries: 1 });
    proxy.failNextTokenRequests = 5;
    await assert.rejects(giveUp.getToken(), (error: { status?: number; error?: string }) => error.status === 503 && error.error === 'temporarily_unavailable');
    proxy.failNextTokenRequests = 0;
  });

  test('client: a network error on the token request is retried', async () => {
    const client = createClient({ issuer, clientId: app.clientId, clientSecret: app.clientSecret, maxRetries: 3 });
    await client.fetch(`${issuer}/api/v1/contacts`).then((r) => r.body?.cancel());
    client.invalidate();
    const before = proxy.tokenRequests;
    proxy.dropNextTokenRequests = 2;
    assert.ok(await client.getToken());
    assert.equal(proxy.tokenRequests - before, 3);
  });

  test('client: a wrong secret → TokenRequestError invalid_client, not retried', async () => {
    const client = createClient({ issuer, clientId: app.clientId, clientSecret: 'kms_wrong' });
    const before = proxy.tokenRequests;
    await assert.rejects(client.getToken(), (error: { status?: number; error?: string }) => error.status === 401 && error.error === 'invalid_client');
    assert.equal(proxy.tokenRequests - before, 1);
  });

  test('client.fetch: adds Bearer and X-Tenant-Id; a 401 triggers one retry with a fresh token', async () => {
    const client = createClient({ issuer, clientId: app.clientId, clientSecret: app.clientSecret, scopes: ['contacts_read', 'contacts_write'], tenantId: 'default' });
    const before = proxy.tokenRequests;
    const created = await client.fetch(`${issuer}/api/v1/contacts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'sdk@example.com' }),
    });
    assert.equal(created.status, 201);
    assert.equal((await client.fetch(`${issuer}/api/v1/contacts`)).status, 200);
    assert.equal(proxy.tokenRequests - before, 1);

    // The server's clock moves past the token's expiry; the client's cache does not know.
    clock.advance(700_000);
    const response = await client.fetch(`${issuer}/api/v1/contacts?email=sdk@example.com`);
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { data: unknown[] }).data.length, 1);
    assert.equal(proxy.tokenRequests - before, 2, 'one fresh token after the 401');

    const wrongTenant = createClient({ issuer, clientId: app.clientId, clientSecret: app.clientSecret, tenantId: 'other' });
    assert.equal((await wrongTenant.fetch(`${issuer}/api/v1/contacts`)).status, 403);
  });

  test('the SDK verifier refuses a real token after the server clock passes its exp', async () => {
    const client = createClient({ issuer, clientId: app.clientId, clientSecret: app.clientSecret });
    const token = await client.getToken();
    const verifier = createVerifier({ issuer, audience: `${issuer}/api`, revocationPollMs: false, now: () => clock.now() + 700_000 });
    await assert.rejects(verifier.verify(token), (error: unknown) => error instanceof InvalidTokenError && error.code === 'ERR_TOKEN_EXPIRED');
  });
});
