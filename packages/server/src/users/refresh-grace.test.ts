import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { createAuthTokenVerifier } from '@keymint/sdk/node';
import { newRefreshToken } from '../crypto/refresh-token.js';
import { TOKEN_PREFIXES, tokenFromRandomPart } from '../crypto/token-format.js';
import { refreshState } from '../testing/end-users.js';
import { postForm, prepareTestStorage, startTestServer, TestClock, type TestServer } from '../testing/harness.js';
import { spawnServe } from '../testing/serve-process.js';
import { within } from '../testing/wait.js';

/**
 * The refresh-token reuse grace (docs/end-users.md "Refresh-token rotation"): concurrent and
 * retried presentations of one refresh token are not theft (RFC 9700 §4.14.2 leaves the detection
 * policy to the server), while a spent token presented after the grace still ends the session.
 */

type Json = Record<string, any>;

async function call(url: string, body: unknown): Promise<{ status: number; body: Json }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {} };
}

const claimsOf = (jwt: string): Json => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString());

async function signUp(server: TestServer, email: string): Promise<Json> {
  const answer = await call(`${server.issuer}/auth/signup`, { email, password: `${email} password` });
  assert.equal(answer.status, 201);
  return answer.body;
}

/** How many rotations the session made and whether `token` is its one live refresh token (testing/end-users.ts). */
const tokenState = (server: TestServer, sessionId: string, token?: string) => refreshState(server.server.keymint.db, sessionId, token);

async function sessionRevoked(server: TestServer, sessionId: string): Promise<boolean> {
  const row = await server.server.keymint.db.selectFrom('user_sessions').select('revoked_at').where('id', '=', sessionId).executeTakeFirstOrThrow();
  return row.revoked_at !== null;
}

const refreshAt = {
  '/auth/refresh': (server: TestServer, token: string) => call(`${server.issuer}/auth/refresh`, { refresh_token: token }),
  '/oauth/token': (server: TestServer, token: string) => postForm(`${server.issuer}/oauth/token`, { grant_type: 'refresh_token', refresh_token: token }),
};

for (const [path, refresh] of Object.entries(refreshAt)) {
  test(`RFC 9700 §4.14.2 with the reuse grace, ${path}: 20 concurrent refreshes with one token all get 200 and the same successor; the session keeps one live refresh token, which works`, async () => {
    const server = await startTestServer();
    const appId = (await server.server.keymint.tenants.get('default')).appId;
    const auth = createAuthTokenVerifier({ issuer: server.issuer, appId, revocationPollMs: false });
    try {
      const first = await signUp(server, 'burst@example.com');
      const sid = claimsOf(first.access_token).sid;
      const answers = await Promise.all(Array.from({ length: 20 }, () => refresh(server, first.refresh_token)));
      assert.deepEqual(answers.map((a) => a.status), Array(20).fill(200), JSON.stringify(answers.find((a) => a.status !== 200)?.body));
      const successors = new Set(answers.map((a) => a.body.refresh_token));
      assert.equal(successors.size, 1, 'one chain: every answer carries the same successor');
      for (const answer of answers) assert.equal((await auth.verifyAuthToken(answer.body.access_token)).sessionId, sid);
      assert.deepEqual(await tokenState(server, sid, [...successors][0]), { rotations: 1, live: true, revoked: false }, 'spent once, the successor is the live token');
      assert.equal(await sessionRevoked(server, sid), false);
      // The successor everybody got is the live token: it rotates normally.
      const next = await refresh(server, [...successors][0]!);
      assert.equal(next.status, 200);
      assert.notEqual(next.body.refresh_token, [...successors][0]);
      assert.deepEqual(await tokenState(server, sid, next.body.refresh_token), { rotations: 2, live: true, revoked: false });
      const tenant = await server.server.keymint.tenants.get('default');
      assert.ok(!(await server.server.keymint.audit.list(tenant.id)).some((e) => e.action === 'user.refresh_token_reused'), 'no theft recorded');
    } finally {
      auth.close();
      await server.close();
    }
  });
}

const rawRefresh = {
  '/auth/refresh': (token: string) => ({ type: 'application/json', body: JSON.stringify({ refresh_token: token }) }),
  '/oauth/token': (token: string) => ({ type: 'application/x-www-form-urlencoded', body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token }).toString() }),
};

for (const [path, encode] of Object.entries(rawRefresh)) {
  test(`RFC 9700 §4.14.2, ${path}: a refresh whose answer was lost (socket destroyed after the request was processed) is retried with the same token and gets the successor it lost`, async () => {
    const server = await startTestServer();
    try {
      const first = await signUp(server, 'lost@example.com');
      const sid = claimsOf(first.access_token).sid;
      const url = new URL(`${server.issuer}${path}`);
      const { type, body } = encode(first.refresh_token);
      await new Promise<void>((resolve, reject) => {
        const socket = connect(Number(url.port), url.hostname, () => {
          socket.write(`POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`, () => {
            socket.destroy();
            resolve();
          });
        });
        socket.on('error', reject);
      });
      // Really processed: the token was spent although nobody read the answer.
      await within(10_000, 'the discarded refresh is processed', async () => {
        return (await tokenState(server, sid)).rotations === 1;
      });
      const retry = await refreshAt[path as keyof typeof refreshAt](server, first.refresh_token);
      assert.equal(retry.status, 200, JSON.stringify(retry.body));
      assert.deepEqual(await tokenState(server, sid, retry.body.refresh_token), { rotations: 1, live: true, revoked: false }, 'the retry spent nothing more');
      const next = await refreshAt[path as keyof typeof refreshAt](server, retry.body.refresh_token);
      assert.equal(next.status, 200, 'the retried answer holds the live refresh token');
      assert.equal(await sessionRevoked(server, sid), false);
    } finally {
      await server.close();
    }
  });
}

test('RFC 9700 §4.14.2: inside the grace a spent token is answered with the end of its chain (t0 → t1 → t2, then t0 again → t2); after the grace it revokes the session', async () => {
  const clock = new TestClock();
  const server = await startTestServer({ clock });
  try {
    await server.server.keymint.users.updateSettings('default', { refreshReuseGrace: 30 });
    const t0 = await signUp(server, 'chain@example.com');
    const sid = claimsOf(t0.access_token).sid;
    const t1 = await call(`${server.issuer}/auth/refresh`, { refresh_token: t0.refresh_token });
    const t2 = await call(`${server.issuer}/auth/refresh`, { refresh_token: t1.body.refresh_token });
    assert.equal(t2.status, 200);
    clock.advance(29_000);
    const late = await call(`${server.issuer}/auth/refresh`, { refresh_token: t0.refresh_token });
    assert.equal(late.status, 200);
    assert.equal(late.body.refresh_token, t2.body.refresh_token, 'the live token, not the spent t1');
    assert.deepEqual(await tokenState(server, sid, t2.body.refresh_token), { rotations: 2, live: true, revoked: false });
    clock.advance(1_000); // t0 was spent 30 s ago: the grace is over
    const theft = await call(`${server.issuer}/auth/refresh`, { refresh_token: t0.refresh_token });
    assert.equal(theft.status, 400);
    assert.equal(theft.body.error, 'invalid_grant');
    assert.equal(await sessionRevoked(server, sid), true);
    assert.equal((await call(`${server.issuer}/auth/refresh`, { refresh_token: t2.body.refresh_token })).status, 400, 'the live token dies with the session');
  } finally {
    await server.close();
  }
});

test('RFC 9700 §4.14.2: a token that names the session but is not on its live chain (made up with its handle, or an older generation after the grace) revokes it; a token naming no session changes nothing', async () => {
  const clock = new TestClock();
  const server = await startTestServer({ clock });
  try {
    const { keymint } = server.server;
    const stranger = await signUp(server, 'stranger@example.com');
    const unknown = await call(`${server.issuer}/auth/refresh`, { refresh_token: newRefreshToken() });
    assert.equal(unknown.body.error_description, 'the refresh token is not valid');

    const victim = await signUp(server, 'forged@example.com');
    const sid = claimsOf(victim.access_token).sid;
    // The victim's handle with a secret of the attacker's choosing: only a holder of one of the session's tokens knows the handle.
    const forged = tokenFromRandomPart(TOKEN_PREFIXES.refreshToken, victim.refresh_token.slice(4, 15) + newRefreshToken().slice(15, 36));
    const theft = await call(`${server.issuer}/auth/refresh`, { refresh_token: forged });
    assert.equal(theft.body.error_description, 'the refresh token was already used: the session has been revoked');
    assert.deepEqual(await tokenState(server, sid, victim.refresh_token), { rotations: 0, live: true, revoked: true });
    assert.equal((await call(`${server.issuer}/auth/refresh`, { refresh_token: victim.refresh_token })).status, 400);

    const t0 = await signUp(server, 'generations@example.com');
    const sid2 = claimsOf(t0.access_token).sid;
    const t1 = await call(`${server.issuer}/auth/refresh`, { refresh_token: t0.refresh_token });
    clock.advance(11_000);
    const t2 = await call(`${server.issuer}/auth/refresh`, { refresh_token: t1.body.refresh_token });
    assert.equal(t2.status, 200);
    const old = await call(`${server.issuer}/auth/refresh`, { refresh_token: t0.refresh_token });
    assert.equal(old.status, 400, 't0 was spent 11 s ago, outside the 10 s grace');
    assert.deepEqual(await tokenState(server, sid2, t2.body.refresh_token), { rotations: 2, live: true, revoked: true });
    const tenant = await keymint.tenants.get('default');
    assert.equal((await keymint.audit.list(tenant.id)).filter((e) => e.action === 'user.refresh_token_reused').length, 2);
    assert.equal((await call(`${server.issuer}/auth/refresh`, { refresh_token: stranger.refresh_token })).status, 200, 'other sessions are untouched');
  } finally {
    await server.close();
  }
});

test('RFC 9700 §4.14.2: with the grace off (0) the 20-request burst is theft: one 200, the session revoked, the winner\'s tokens dead', async () => {
  const server = await startTestServer();
  try {
    await server.server.keymint.users.updateSettings('default', { refreshReuseGrace: 0 });
    const first = await signUp(server, 'nograce@example.com');
    const sid = claimsOf(first.access_token).sid;
    const answers = await Promise.all(Array.from({ length: 20 }, () => call(`${server.issuer}/auth/refresh`, { refresh_token: first.refresh_token })));
    assert.equal(answers.filter((a) => a.status === 200).length, 1);
    assert.equal(await sessionRevoked(server, sid), true);
  } finally {
    await server.close();
  }
});

test('reuse grace: two nodes on one database answer a burst split across them with one successor (PostgreSQL row locks, SQLite write lock)', async () => {
  const storage = await prepareTestStorage();
  const options = { dataDir: storage.dataDir, ...(storage.databaseUrl ? { databaseUrl: storage.databaseUrl } : {}) };
  const a = await startTestServer(options);
  const b = await startTestServer(options);
  try {
    const first = await signUp(a, 'twonodes@example.com');
    const sid = claimsOf(first.access_token).sid;
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => call(`${(i % 2 ? a : b).issuer}/auth/refresh`, { refresh_token: first.refresh_token })));
    assert.deepEqual(answers.map((r) => r.status), Array(20).fill(200), JSON.stringify(answers.find((r) => r.status !== 200)?.body));
    assert.equal(new Set(answers.map((r) => r.body.refresh_token)).size, 1);
    assert.deepEqual(await tokenState(a, sid, answers[0]!.body.refresh_token), { rotations: 1, live: true, revoked: false }, 'one spend across both nodes');
    assert.equal((await call(`${b.issuer}/auth/refresh`, { refresh_token: answers[0]!.body.refresh_token })).status, 200);
  } finally {
    await a.close();
    await b.close();
    await storage.cleanup();
  }
});

test('reuse grace under `keymint serve --workers 2`: a 20-request burst spread over both worker processes gets one successor, which works', { timeout: 120_000 }, async () => {
  const serve = await spawnServe(['--workers', '2']);
  try {
    for (let i = 0; i < 200 && [...serve.output().matchAll(/\[worker (\d+)\] Keymint is listening/g)].length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    const first = await call(`${serve.issuer}/auth/signup`, { email: 'workers@example.com', password: 'workers password' });
    assert.equal(first.status, 201);
    const answers = await Promise.all(Array.from({ length: 20 }, () => call(`${serve.issuer}/auth/refresh`, { refresh_token: first.body.refresh_token })));
    assert.deepEqual(answers.map((r) => r.status), Array(20).fill(200), JSON.stringify(answers.find((r) => r.status !== 200)?.body));
    const successors = new Set(answers.map((r) => r.body.refresh_token));
    assert.equal(successors.size, 1);
    assert.equal((await call(`${serve.issuer}/auth/refresh`, { refresh_token: [...successors][0] })).status, 200);
  } finally {
    await serve.cleanup();
  }
});

test('reuse grace setting: 0-60 s, default 10 s; out of range → 400 invalid_request from the service; `users settings --refresh-reuse-grace` sets it', async () => {
  const server = await startTestServer();
  try {
    const { keymint } = server.server;
    assert.equal(keymint.users.settings(await keymint.tenants.get('default')).refreshReuseGrace, 10);
    for (const bad of [-1, 61, 1.5]) await assert.rejects(keymint.users.updateSettings('default', { refreshReuseGrace: bad }), /refreshReuseGrace must be/);
  } finally {
    await server.close();
  }
});
