import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { randomLowerAlnum } from '../crypto/random.js';
import { signRequest } from '../profiles/signature.js';
import { basic, startTestServer, type TestServer } from '../testing/harness.js';

/**
 * SECURITY-CHECKLIST "Failed client authentication: 429 + Retry-After after a budget per
 * client_id and per IP". oauth/auth-failures.test.ts covers /oauth/token in depth; here every
 * other endpoint that checks a client's secret must draw on the same budget, or it is an
 * unmetered oracle for guessing that secret.
 */
const WINDOW_SECONDS = 2;
const PER_CLIENT = 2;

let server: TestServer;
before(async () => {
  server = await startTestServer({ env: { KEYMINT_AUTH_FAILURES_PER_CLIENT: String(PER_CLIENT), KEYMINT_AUTH_FAILURES_PER_IP: '1000', KEYMINT_AUTH_FAILURE_WINDOW: String(WINDOW_SECONDS) } });
});
after(() => server.close());

interface Attempt {
  status: number;
  retryAfter: string | null;
  body: any;
}

async function send(path: string, init: { headers: Record<string, string>; body: string }): Promise<Attempt> {
  const response = await fetch(`${server.issuer}${path}`, { method: 'POST', ...init });
  const text = await response.text();
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: text ? JSON.parse(text) : undefined };
}

type Client = { clientId: string; clientSecret: string };

/** Each endpoint: how to present a client's secret there, and how its error shape names failures. */
const ENDPOINTS: { name: string; authMethods?: ('client_secret_basic' | 'client_secret_post' | 'signed_request')[]; attempt(client: Client, secret: string): Promise<Attempt>; errorOf(body: any): string }[] = [
  {
    name: 'POST /connect/token (Basic)',
    attempt: (c, secret) => send('/connect/token', { headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(c.clientId, secret) }, body: 'grant_type=client_credentials' }),
    errorOf: (body) => body.error,
  },
  {
    name: 'POST /oauth/introspect (client_secret_post)',
    attempt: (c, secret) => send('/oauth/introspect', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ client_id: c.clientId, client_secret: secret, token: 'x' }).toString() }),
    errorOf: (body) => body.error,
  },
  {
    name: 'POST /oauth/revoke (Basic)',
    attempt: (c, secret) => send('/oauth/revoke', { headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(c.clientId, secret) }, body: 'token=x' }),
    errorOf: (body) => body.error,
  },
  {
    name: 'POST /v1/auth/token (envelope profile)',
    attempt: (c, secret) => send('/v1/auth/token', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ client_id: c.clientId, client_secret: secret }).toString() }),
    errorOf: (body) => body.error?.code_reason,
  },
  {
    name: 'POST /v3/tokens (signed-request profile)',
    authMethods: ['signed_request'],
    attempt: (c, secret) => {
      const timestamp = String(Math.floor(Date.now() / 1000));
      const value = randomLowerAlnum(32);
      const body = { client_id: c.clientId, audience: `${server.issuer}/api`, timestamp, signature_value: value, signature: signRequest(secret, value, timestamp) };
      return send('/v3/tokens', { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    },
    errorOf: (body) => body.error,
  },
];

describe('failed client authentication is rate limited on every endpoint that checks a secret', () => {
  for (const endpoint of ENDPOINTS) {
    test(`${endpoint.name}: ${PER_CLIENT} failures → 401 invalid_client, then 429 + Retry-After; the right secret still works; recovery after the window`, { timeout: 30_000 }, async () => {
      const victim = await server.createApp({ name: 'victim', authMethods: endpoint.authMethods ?? ['client_secret_basic', 'client_secret_post'] });
      const wrong = `kms_${randomLowerAlnum(38)}`;
      for (let i = 0; i < PER_CLIENT; i++) {
        const failed = await endpoint.attempt(victim, wrong);
        assert.equal(failed.status, 401, JSON.stringify(failed.body));
        assert.equal(endpoint.errorOf(failed.body), 'invalid_client');
      }
      const limited = await endpoint.attempt(victim, wrong);
      assert.equal(limited.status, 429, `budget spent → 429, got ${limited.status} ${JSON.stringify(limited.body)}`);
      assert.ok(Number(limited.retryAfter) >= 1 && Number(limited.retryAfter) <= WINDOW_SECONDS, `Retry-After ${limited.retryAfter}`);
      // Nobody can lock an integrator out by spraying wrong secrets for its client_id.
      assert.equal((await endpoint.attempt(victim, victim.clientSecret)).status, 200);
      await new Promise((resolve) => setTimeout(resolve, WINDOW_SECONDS * 1000 + 200));
      assert.equal((await endpoint.attempt(victim, wrong)).status, 401, 'after the window a failure is an ordinary 401 again');
    });
  }
});
