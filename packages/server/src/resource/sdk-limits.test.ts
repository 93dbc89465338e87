import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { createKeyLimits, createVerifier, fastifyAuth, type KeyLimits } from '@keymint/sdk/node';
import { startTestServer, type TestServer } from '../testing/harness.js';
import { fetchToken } from '../testing/tokens.js';

// Issue 20 item 3: a customer's API protected by the SDK middleware enforces the same per-key
// limits as the Contacts API, counted by Keymint's verify API (docs/gateway.md, docs/protecting-your-api.md).

let server: TestServer;
let gateway: { clientId: string; clientSecret: string };

before(async () => {
  server = await startTestServer();
  gateway = await server.createApp({ name: 'reports-api' });
});
after(() => server.close());

async function reportsApi(limits: KeyLimits): Promise<{ url: string; close: () => Promise<void> }> {
  const api: FastifyInstance = Fastify();
  await api.register(fastifyAuth, { verifier: createVerifier({ issuer: server.issuer, audience: `${server.issuer}/api`, revocationPollMs: false }), limits });
  api.get('/reports', { preHandler: (api as unknown as { requireScopes(...s: string[]): never }).requireScopes('contacts_read') }, async () => ({ ok: true }));
  await api.listen({ port: 0, host: '127.0.0.1' });
  return { url: `http://127.0.0.1:${(api.server.address() as AddressInfo).port}/reports`, close: () => api.close() };
}

const call = async (url: string, token: string) => {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, headers: response.headers, body: await response.json() as { error?: string } };
};

describe('SDK middleware with limits (createKeyLimits)', { timeout: 120_000 }, () => {
  test('a quota of 3 answers exactly 3 calls; the 4th is 429 usage_exceeded with a RateLimit field and no Retry-After (no refill)', async () => {
    const partner = await server.createApp({ name: 'partner', scopes: ['contacts_read'], limits: { quota: 3 } });
    const token = await fetchToken(server.issuer, partner.clientId, partner.clientSecret);
    const api = await reportsApi(createKeyLimits({ issuer: server.issuer, ...gateway }));
    try {
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await call(api.url, token)).status);
      assert.deepEqual(statuses, [200, 200, 200, 429]);
      const refused = await call(api.url, token);
      assert.equal(refused.body.error, 'usage_exceeded');
      assert.match(refused.headers.get('ratelimit') ?? '', /^"quota";r=0$/);
      assert.equal(refused.headers.get('retry-after'), null);
    } finally {
      await api.close();
    }
  });

  test('a rate limit of 2 per minute: the 3rd call is 429 rate_limited with Retry-After within the window', async () => {
    const partner = await server.createApp({ name: 'bursty', scopes: ['contacts_read'], limits: { rateLimit: '2/1m' } });
    const token = await fetchToken(server.issuer, partner.clientId, partner.clientSecret);
    const api = await reportsApi(createKeyLimits({ issuer: server.issuer, ...gateway }));
    try {
      assert.equal((await call(api.url, token)).status, 200);
      assert.equal((await call(api.url, token)).status, 200);
      const refused = await call(api.url, token);
      assert.equal(refused.status, 429);
      assert.equal(refused.body.error, 'rate_limited');
      const retryAfter = Number(refused.headers.get('retry-after'));
      assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
      assert.match(refused.headers.get('ratelimit') ?? '', /^"rate";r=0;t=\d+$/);
    } finally {
      await api.close();
    }
  });

  test('a token refused locally (wrong scope) spends nothing; a verify API that does not answer is 503, never a pass (fail closed)', async () => {
    const partner = await server.createApp({ name: 'narrow', scopes: ['contacts_write'], limits: { quota: 1 } });
    const narrow = await fetchToken(server.issuer, partner.clientId, partner.clientSecret);
    const api = await reportsApi(createKeyLimits({ issuer: server.issuer, ...gateway }));
    const dead = await reportsApi(createKeyLimits({ issuer: 'http://127.0.0.1:9/t/default', ...gateway }));
    try {
      assert.equal((await call(api.url, narrow)).status, 403);
      const quota = await fetch(`${server.issuer}/v1/keys/verify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${gateway.clientId}:${gateway.clientSecret}`).toString('base64')}` },
        body: JSON.stringify({ key: narrow }),
      });
      assert.equal(((await quota.json()) as { remaining: number }).remaining, 0, 'the one use left was spent by this check, not by the refused call');
      const ok = await server.createApp({ name: 'fine', scopes: ['contacts_read'] });
      const refused = await call(dead.url, await fetchToken(server.issuer, ok.clientId, ok.clientSecret));
      assert.equal(refused.status, 503);
      assert.equal(refused.body.error, 'temporarily_unavailable');
    } finally {
      await api.close();
      await dead.close();
    }
  });
});
