import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createKeymintClient, type AuthEvent } from './index.js';

/**
 * The browser client's refresh logic against a scripted network (the full path against a real
 * Keymint runs in Chromium: packages/server/src/users/browser.test.ts). Storage is in memory here.
 */
/** An unsigned stand-in for the identity token: the client only reads `sid` and `iat` from it. */
const identityToken = (sid: string, iat: number) => `e30.${Buffer.from(JSON.stringify({ sid, iat })).toString('base64url')}.x`;

function scriptedNetwork(refreshAnswers: (() => Response)[], options: { grace?: number; sessionLastUsed?: () => number; signInLifetime?: number } = {}) {
  const calls: { path: string; at: number; body: any }[] = [];
  let n = 0;
  const tokens = (expiresIn: number, path = '/auth/refresh') => Response.json({
    access_token: `at-${++n}`, refresh_token: `rt-${n}`, expires_in: expiresIn, refresh_reuse_grace: options.grace ?? 10,
    user: { id: 'usr_1', email: 'a@example.com' }, identity_token: identityToken(path === '/auth/signin' ? `ses_${n}` : 'ses_1', 1_000 + n),
  });
  const fetchImpl = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const path = new URL(String(input)).pathname.replace('/t/demo', '');
    calls.push({ path, at: Date.now(), body: init?.body ? JSON.parse(String(init.body)) : undefined });
    if (path === '/auth/signin') return tokens(options.signInLifetime ?? 1, path);
    if (path === '/auth/session') return Response.json({ user: { id: 'usr_1', email: 'a@example.com' }, session: { id: 'ses_1', created_at: 1_000, last_used_at: options.sessionLastUsed?.() ?? 1_001, expires_at: 9_999 } });
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

test('a refresh whose answer was lost is re-sent only inside half the announced reuse grace; after it the client asks /auth/session and, as the refresh went through, signs out with the (spent) token instead of presenting it again', async () => {
  const lost = () => {
    throw new TypeError('socket hang up');
  };
  // grace 0: no blind re-send at all. last_used_at (1002) > the tokens' iat (1001): the lost refresh happened.
  const net = scriptedNetwork([lost], { grace: 0, sessionLastUsed: () => 1_002, signInLifetime: 3 });
  const events: AuthEvent[] = [];
  const client = createKeymintClient({ ...options, refreshLeewaySeconds: 1.5, fetch: net.fetchImpl });
  client.onAuthStateChange((event) => events.push(event));
  await client.signIn({ email: 'a@example.com', password: 'p' });
  await sleep(1_600);
  assert.equal(await client.getAccessToken(), 'at-1', 'the answer was lost: the current token while it lasts');
  assert.equal(await client.getAccessToken(), null);
  const paths = net.calls.map((c) => c.path);
  assert.equal(paths.filter((p) => p === '/auth/refresh').length, 1, 'rt-1 was sent once, never again');
  assert.ok(paths.includes('/auth/session'));
  assert.deepEqual(net.calls.find((c) => c.path === '/auth/signout')?.body, { refresh_token: 'rt-1' }, 'the orphaned session is ended');
  assert.deepEqual(events.at(-1), { type: 'SIGNED_OUT', reason: 'refresh_failed', user: null });
});

test('a lost refresh that /auth/session shows did not happen (last_used_at = the tokens\' iat) is sent again and succeeds', async () => {
  const lost = () => {
    throw new TypeError('socket hang up');
  };
  const net = scriptedNetwork([lost], { grace: 0, sessionLastUsed: () => 1_001, signInLifetime: 4 });
  const client = createKeymintClient({ ...options, refreshLeewaySeconds: 2.5, fetch: net.fetchImpl });
  await client.signIn({ email: 'a@example.com', password: 'p' });
  await sleep(1_600);
  assert.equal(await client.getAccessToken(), 'at-1', 'lost');
  assert.equal(await client.getAccessToken(), 'at-1', 'the session shows it did not happen; in backoff');
  await sleep(1_100);
  assert.equal(await client.getAccessToken(), 'at-2');
  assert.deepEqual(net.calls.filter((c) => c.path === '/auth/refresh').map((c) => c.body), [{ refresh_token: 'rt-1' }, { refresh_token: 'rt-1' }]);
});

test('signOut sends the refresh token (it outlives the access token) and tells the other tabs of the app (BroadcastChannel)', async () => {
  const net = scriptedNetwork([]);
  const shared = { ...options, storage: 'memory' as const, appId: 'app_tabs', fetch: net.fetchImpl };
  const tabA = createKeymintClient(shared);
  const tabB = createKeymintClient(shared);
  const eventsB: AuthEvent[] = [];
  tabB.onAuthStateChange((event) => eventsB.push(event));
  await tabA.signIn({ email: 'a@example.com', password: 'p' });
  await tabB.signIn({ email: 'a@example.com', password: 'p' });
  await tabA.signOut();
  assert.deepEqual(net.calls.find((c) => c.path === '/auth/signout')?.body, { refresh_token: 'rt-1' });
  await sleep(100);
  assert.equal(tabB.getUser(), null);
  assert.deepEqual(eventsB.at(-1), { type: 'SIGNED_OUT', reason: 'user', user: null });
  assert.deepEqual(net.calls.filter((c) => c.path === '/auth/signout').map((c) => c.body), [{ refresh_token: 'rt-1' }, { refresh_token: 'rt-2' }], 'tab B had its own session (memory storage) and ended it too');
});
