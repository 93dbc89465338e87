import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createKeymintClient, type AuthEvent } from './index.js';

/**
 * The browser client's refresh logic against a scripted network (the full path against a real
 * Keymint runs in Chromium: packages/server/src/users/browser.test.ts). Storage is in memory here.
 */
function scriptedNetwork(refreshAnswers: (() => Response)[]) {
  const calls: { path: string; at: number; body: any }[] = [];
  let n = 0;
  const tokens = (expiresIn: number) => Response.json({ access_token: `at-${++n}`, refresh_token: `rt-${n}`, expires_in: expiresIn, user: { id: 'usr_1', email: 'a@example.com' }, identity_token: 'x' });
  const fetchImpl = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const path = new URL(String(input)).pathname.replace('/t/demo', '');
    calls.push({ path, at: Date.now(), body: init?.body ? JSON.parse(String(init.body)) : undefined });
    if (path === '/auth/signin') return tokens(1);
    if (path === '/auth/refresh') {
      const next = refreshAnswers.shift();
      return next ? next() : tokens(60);
    }
    return new Response(null, { status: 204 });
  }) as typeof fetch;
  return { calls, fetchImpl, tokens };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const options = { issuer: 'https://auth.example.test/t/demo', appId: 'app_x', storage: 'memory' as const, refreshLeewaySeconds: 0 };

test('getAccessToken: one refresh in flight however many callers; the spent refresh token is sent once', async () => {
  const net = scriptedNetwork([]);
  const client = createKeymintClient({ ...options, fetch: net.fetchImpl });
  await client.signIn({ email: 'a@example.com', password: 'p' });
  assert.equal(await client.getAccessToken(), 'at-1');
  await sleep(1_050);
  const tokens = await Promise.all(Array.from({ length: 10 }, () => client.getAccessToken()));
  assert.deepEqual(new Set(tokens), new Set(['at-2']));
  const refreshes = net.calls.filter((c) => c.path === '/auth/refresh');
  assert.equal(refreshes.length, 1);
  assert.deepEqual(refreshes[0]!.body, { refresh_token: 'rt-1' });
});

test('getAccessToken: transient failures (503, network) back off with growing, jittered delays; the session survives', async () => {
  const net = scriptedNetwork([
    () => new Response('{}', { status: 503 }),
    () => {
      throw new TypeError('fetch failed');
    },
  ]);
  const events: AuthEvent[] = [];
  const client = createKeymintClient({ ...options, fetch: net.fetchImpl });
  client.onAuthStateChange((event) => events.push(event));
  await client.signIn({ email: 'a@example.com', password: 'p' });
  await sleep(1_050);
  const started = Date.now();
  assert.equal(await client.getAccessToken(), 'at-2');
  const attempts = net.calls.filter((c) => c.path === '/auth/refresh').map((c) => c.at - started);
  assert.equal(attempts.length, 3);
  const [first, second] = [attempts[1]! - attempts[0]!, attempts[2]! - attempts[1]!];
  assert.ok(first >= 450 && first <= 1_100, `first backoff in [0.5 s, 1 s]: ${first}`);
  assert.ok(second >= 950 && second <= 2_100, `second backoff in [1 s, 2 s]: ${second}`);
  assert.deepEqual(events.map((e) => e.type), ['SIGNED_IN', 'TOKEN_REFRESHED']);
});

test('getAccessToken: a failed refresh while the token is still valid hands out the current token and retries later', async () => {
  const net = scriptedNetwork([() => new Response('{}', { status: 503 })]);
  const client = createKeymintClient({ ...options, refreshLeewaySeconds: 0.9, fetch: net.fetchImpl });
  await client.signIn({ email: 'a@example.com', password: 'p' });
  await sleep(200);
  assert.equal(await client.getAccessToken(), 'at-1', 'still valid: no waiting on the failed refresh');
  assert.equal(await client.getAccessToken(), 'at-1', 'in backoff: no new attempt yet');
  assert.equal(net.calls.filter((c) => c.path === '/auth/refresh').length, 1);
});

test('getAccessToken: a refused refresh (invalid_grant) signs the user out with a SIGNED_OUT refresh_failed event', async () => {
  const net = scriptedNetwork([() => Response.json({ error: 'invalid_grant', error_description: 'the session has been revoked' }, { status: 400 })]);
  const events: AuthEvent[] = [];
  const client = createKeymintClient({ ...options, fetch: net.fetchImpl });
  client.onAuthStateChange((event) => events.push(event));
  await client.signIn({ email: 'a@example.com', password: 'p' });
  await sleep(1_050);
  assert.equal(await client.getAccessToken(), null);
  assert.equal(client.getUser(), null);
  assert.deepEqual(events.at(-1), { type: 'SIGNED_OUT', reason: 'refresh_failed', user: null });
});

test('cookie mode: requests carry X-Keymint-CSRF and credentials, and never a token in the body', async () => {
  const seen: RequestInit[] = [];
  const client = createKeymintClient({
    ...options,
    mode: 'cookie',
    fetch: (async (_input: RequestInfo | URL, init?: RequestInit) => {
      seen.push(init!);
      return Response.json({ expires_in: 60, user: { id: 'usr_1', email: 'a@example.com' }, identity_token: 'x' });
    }) as typeof fetch,
  });
  await client.signIn({ email: 'a@example.com', password: 'p' });
  assert.equal(await client.getAccessToken(), null, 'the token lives in an HTTP-only cookie');
  assert.equal(seen[0]!.credentials, 'include');
  assert.equal((seen[0]!.headers as Record<string, string>)['X-Keymint-CSRF'], '1');
});
