import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { createDpopProof, generateDpopKey, type DpopKey } from '@keymint/sdk/node';
import { postForm, startTestServer, type TestServer } from '../testing/harness.js';
import { call, loggedCode, refreshState, type Json } from '../testing/end-users.js';
import { introspect } from '../testing/tokens.js';

/**
 * RFC 9449 for end-user sessions: a session opened with a DPoP proof is bound to its key (access
 * token `cnf.jkt`, refresh tokens through the session row), a bound refresh needs a proof by that
 * key and a refused one spends nothing, and bound access tokens at the signed-in routes need a
 * proof too. Real HTTP against a real server; rows are counted, not answers.
 */

const claimsOf = (jwt: string): Json => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString());

/** How many rotations spent a refresh token of the session (testing/end-users.ts). */
const rotations = async (server: TestServer, sessionId: string) => (await refreshState(server.server.keymint.db, sessionId)).rotations;

async function sessionRow(server: TestServer, sessionId: string) {
  return server.server.keymint.db.selectFrom('user_sessions').select(['jkt', 'revoked_at']).where('id', '=', sessionId).executeTakeFirstOrThrow();
}

/** A proof for a POST to `url` (a session route), optionally with a nonce. */
const proofFor = (key: DpopKey, url: string, nonce?: string) => createDpopProof(key, { method: 'POST', url, ...(nonce === undefined ? {} : { nonce }) });

/** The refresh of an end-user session at both places that take one, with an optional DPoP proof. */
const refreshAt = {
  '/auth/refresh': async (server: TestServer, token: string, proof?: string) => call(`${server.issuer}/auth/refresh`, { refresh_token: token }, proof === undefined ? {} : { dpop: proof }),
  '/oauth/token': async (server: TestServer, token: string, proof?: string) => {
    const answer = await postForm(`${server.issuer}/oauth/token`, { grant_type: 'refresh_token', refresh_token: token }, proof === undefined ? {} : { dpop: proof });
    return { status: answer.status, body: answer.body as Json };
  },
};

describe('DPoP-bound end-user sessions (RFC 9449 §5)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  async function boundSignUp(email: string, key: DpopKey): Promise<Json> {
    const url = `${server.issuer}/auth/signup`;
    const answer = await call(url, { email, password: `${email} password` }, { dpop: await proofFor(key, url) });
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    return answer.body;
  }

  test('sign-up, sign-in and code sign-in with a proof: token_type DPoP, cnf.jkt of the key, the session row keeps the thumbprint', async () => {
    const key = await generateDpopKey();
    const signup = await boundSignUp('bound@example.com', key);
    assert.equal(signup.token_type, 'DPoP');
    const claims = claimsOf(signup.access_token);
    assert.deepEqual(claims.cnf, { jkt: key.jkt });
    assert.equal((await sessionRow(server, claims.sid)).jkt, key.jkt);

    const signinUrl = `${server.issuer}/auth/signin`;
    const signin = await call(signinUrl, { email: 'bound@example.com', password: 'bound@example.com password' }, { dpop: await proofFor(key, signinUrl) });
    assert.equal(signin.status, 200);
    assert.equal(signin.body.token_type, 'DPoP');
    assert.deepEqual(claimsOf(signin.body.access_token).cnf, { jkt: key.jkt });

    assert.equal((await call(`${server.issuer}/auth/otp/start`, { email: 'coded@example.com' })).status, 204);
    const verifyUrl = `${server.issuer}/auth/otp/verify`;
    const other = await generateDpopKey();
    const coded = await call(verifyUrl, { email: 'coded@example.com', code: loggedCode(server, 'coded@example.com') }, { dpop: await proofFor(other, verifyUrl) });
    assert.equal(coded.status, 200, JSON.stringify(coded.body));
    assert.equal(coded.body.token_type, 'DPoP');
    assert.equal((await sessionRow(server, claimsOf(coded.body.access_token).sid)).jkt, other.jkt);

    const bearer = await call(signinUrl, { email: 'bound@example.com', password: 'bound@example.com password' });
    assert.equal(bearer.body.token_type, 'Bearer', 'without a proof: a Bearer session, as before');
    assert.equal(claimsOf(bearer.body.access_token).cnf, undefined);
    assert.equal((await sessionRow(server, claimsOf(bearer.body.access_token).sid)).jkt, null);
  });

  test('introspection (RFC 9449 §6.2): a bound session\'s access token says token_type DPoP and cnf.jkt, its refresh token cnf.jkt; an unbound one neither', async () => {
    const app = await server.createApp({ scopes: ['contacts_read'] });
    const key = await generateDpopKey();
    const bound = await boundSignUp('inspected@example.com', key);
    const access = await introspect(server.issuer, app.clientId, app.clientSecret, bound.access_token);
    assert.equal(access.body.active, true);
    assert.equal(access.body.token_type, 'DPoP');
    assert.deepEqual(access.body.cnf, { jkt: key.jkt });
    assert.deepEqual((await introspect(server.issuer, app.clientId, app.clientSecret, bound.refresh_token)).body.cnf, { jkt: key.jkt });
    const plain = await call(`${server.issuer}/auth/signup`, { email: 'uninspected@example.com', password: 'plain password!' });
    const unbound = await introspect(server.issuer, app.clientId, app.clientSecret, plain.body.access_token);
    assert.equal(unbound.body.token_type, 'Bearer');
    assert.equal(unbound.body.cnf, undefined);
  });

  test('a proof for another endpoint (htu) or an HMAC-signed one opens no session', async () => {
    const key = await generateDpopKey();
    const url = `${server.issuer}/auth/signup`;
    const wrongHtu = await call(url, { email: 'htu@example.com', password: 'htu password!' }, { dpop: await proofFor(key, `${server.issuer}/auth/signin`) });
    assert.equal(wrongHtu.status, 400);
    assert.equal(wrongHtu.body.error, 'invalid_dpop_proof');
    const hmac = await new SignJWT({ jti: randomUUID(), htm: 'POST', htu: url, iat: Math.floor(Date.now() / 1000) })
      .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt' }).sign(new Uint8Array(32));
    assert.equal((await call(url, { email: 'htu@example.com', password: 'htu password!' }, { dpop: hmac })).body.error, 'invalid_dpop_proof');
    const rows = await server.server.keymint.db.selectFrom('end_users').select('id').where('email_normalized', '=', 'htu@example.com').execute();
    assert.equal(rows.length, 0, 'refused before the account was created');
  });

  for (const [path, refresh] of Object.entries(refreshAt)) {
    test(`${path}: a bound session's refresh is refused without a proof, with another key, with a replayed jti or a wrong htu, and none of them spends the token`, async () => {
      const key = await generateDpopKey();
      const signup = await boundSignUp(`refusals${path.replace(/\W/g, '')}@example.com`, key);
      const sid = claimsOf(signup.access_token).sid;
      const url = `${server.issuer}${path}`;
      const token = signup.refresh_token as string;

      const missing = await refresh(server, token);
      assert.equal(missing.status, 400);
      assert.equal(missing.body.error, 'invalid_dpop_proof');

      const thief = await generateDpopKey();
      const otherKey = await refresh(server, token, await proofFor(thief, url));
      assert.equal(otherKey.status, 400);
      assert.equal(otherKey.body.error, 'invalid_grant');

      const wrongHtu = await refresh(server, token, await proofFor(key, `${server.issuer}/auth/signin`));
      assert.equal(wrongHtu.body.error, 'invalid_dpop_proof');

      // A proof whose jti was already claimed (here by a request refused for its body).
      const replayed = await proofFor(key, url);
      assert.equal((await refresh(server, 'kmr_not-a-real-token', replayed)).status, 400);
      const replay = await refresh(server, token, replayed);
      assert.equal(replay.status, 400);
      assert.equal(replay.body.error, 'invalid_dpop_proof');
      assert.match(replay.body.error_description, /jti|replay|used/i);

      assert.equal(await rotations(server, sid), 0, 'no refused refresh spent the token');
      assert.equal((await sessionRow(server, sid)).revoked_at, null, 'nor tripped reuse detection');

      const good = await refresh(server, token, await proofFor(key, url));
      assert.equal(good.status, 200, JSON.stringify(good.body));
      assert.equal(good.body.token_type, 'DPoP');
      assert.deepEqual(claimsOf(good.body.access_token).cnf, { jkt: key.jkt });
      assert.equal(await rotations(server, sid), 1);
      // The successor is bound the same way: the session is, not the token.
      assert.equal((await refresh(server, good.body.refresh_token)).body.error, 'invalid_dpop_proof');
      assert.equal((await refresh(server, good.body.refresh_token, await proofFor(key, url))).status, 200);
    });
  }

  test('an unbound session keeps refreshing as Bearer, with or without a proof', async () => {
    const signup = await call(`${server.issuer}/auth/signup`, { email: 'plain@example.com', password: 'plain password!' });
    assert.equal(signup.body.token_type, 'Bearer');
    const plain = await refreshAt['/auth/refresh'](server, signup.body.refresh_token);
    assert.equal(plain.status, 200);
    assert.equal(plain.body.token_type, 'Bearer');
    const key = await generateDpopKey();
    const withProof = await refreshAt['/auth/refresh'](server, plain.body.refresh_token, await proofFor(key, `${server.issuer}/auth/refresh`));
    assert.equal(withProof.status, 200);
    assert.equal(withProof.body.token_type, 'Bearer', 'a session keeps the binding it was opened with');
    assert.equal(claimsOf(withProof.body.access_token).cnf, undefined);
  });

  test('a burst of 20 concurrent refreshes of one bound token, each with its own proof: exactly one rotation (rows), the session stays live', async () => {
    const key = await generateDpopKey();
    const signup = await boundSignUp('burst@example.com', key);
    const sid = claimsOf(signup.access_token).sid;
    const url = `${server.issuer}/auth/refresh`;
    const proofs = await Promise.all(Array.from({ length: 20 }, () => proofFor(key, url)));
    const answers = await Promise.all(proofs.map((proof) => refreshAt['/auth/refresh'](server, signup.refresh_token, proof)));
    assert.equal(await rotations(server, sid), 1, 'spent once');
    assert.equal((await sessionRow(server, sid)).revoked_at, null);
    // Inside the reuse grace every answer carries the same (bound) successor.
    assert.equal(new Set(answers.filter((a) => a.status === 200).map((a) => a.body.refresh_token)).size, 1);
  });

  test('the signed-in routes: a bound access token only as DPoP with a proof for that request (ath), an unbound one only as Bearer', async () => {
    const key = await generateDpopKey();
    const signup = await boundSignUp('session@example.com', key);
    const url = `${server.issuer}/auth/session`;
    const get = (headers: Record<string, string>) => fetch(url, { headers }).then(async (r) => ({ status: r.status, challenge: r.headers.get('www-authenticate') ?? '', body: (await r.json()) as Json }));
    const token = signup.access_token as string;
    const proof = () => createDpopProof(key, { method: 'GET', url, accessToken: token });

    const asBearer = await get({ authorization: `Bearer ${token}` });
    assert.equal(asBearer.status, 401);
    assert.match(asBearer.challenge, /^DPoP /);
    assert.equal((await get({ authorization: `DPoP ${token}` })).body.error, 'invalid_dpop_proof', 'no proof');
    const thief = await generateDpopKey();
    assert.equal((await get({ authorization: `DPoP ${token}`, dpop: await createDpopProof(thief, { method: 'GET', url, accessToken: token }) })).status, 401, 'another key');
    const noAth = await get({ authorization: `DPoP ${token}`, dpop: await createDpopProof(key, { method: 'GET', url }) });
    assert.equal(noAth.status, 401, 'no ath');
    const ok = await get({ authorization: `DPoP ${token}`, dpop: await proof() });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.user.email, 'session@example.com');

    const plain = await call(`${server.issuer}/auth/signup`, { email: 'plain-session@example.com', password: 'plain password!' });
    assert.equal((await get({ authorization: `Bearer ${plain.body.access_token}` })).status, 200);
    assert.equal((await get({ authorization: `DPoP ${plain.body.access_token}`, dpop: await createDpopProof(key, { method: 'GET', url, accessToken: plain.body.access_token }) })).status, 401);

    // Sign-out with only the bound access token needs its proof too.
    const signout = `${server.issuer}/auth/signout`;
    assert.equal((await call(signout, {}, { authorization: `Bearer ${token}` })).status, 401);
    const out = await call(signout, {}, { authorization: `DPoP ${token}`, dpop: await createDpopProof(key, { method: 'POST', url: signout, accessToken: token }) });
    assert.equal(out.status, 204, JSON.stringify(out.body));
  });

  test('cookie mode: the refresh cookie of a session opened with a proof is bound; a refused refresh keeps the cookies and spends nothing', async () => {
    const cookieServer = await startTestServer();
    try {
      await cookieServer.server.keymint.users.updateSettings('default', { tokenMode: 'cookie' });
      const key = await generateDpopKey();
      const signupUrl = `${cookieServer.issuer}/auth/signup`;
      const signup = await call(signupUrl, { email: 'cookie@example.com', password: 'cookie password' }, { 'x-keymint-csrf': '1', dpop: await proofFor(key, signupUrl) });
      assert.equal(signup.status, 201, JSON.stringify(signup.body));
      const cookies = signup.headers.getSetCookie();
      const refreshCookie = cookies.find((c) => c.startsWith('keymint_refresh=') && !c.startsWith('keymint_refresh=;'))!.split(';')[0]!;
      const access = cookies.find((c) => c.startsWith('keymint_access='))!.split(';')[0]!.slice('keymint_access='.length);
      const sid = claimsOf(access).sid;
      assert.equal((await sessionRow(cookieServer, sid)).jkt, key.jkt);
      assert.equal(claimsOf(access).cnf, undefined, 'an HTTP-only access cookie is not bound: the page could not compute ath');

      const url = `${cookieServer.issuer}/auth/refresh`;
      const refused = await call(url, {}, { 'x-keymint-csrf': '1', cookie: refreshCookie });
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error, 'invalid_dpop_proof');
      assert.deepEqual(refused.headers.getSetCookie(), [], 'the cookies stay: the session is fine');
      const thief = await call(url, {}, { 'x-keymint-csrf': '1', cookie: refreshCookie, dpop: await proofFor(await generateDpopKey(), url) });
      assert.equal(thief.body.error, 'invalid_grant');
      assert.equal(await rotations(cookieServer, sid), 0);

      const good = await call(url, {}, { 'x-keymint-csrf': '1', cookie: refreshCookie, dpop: await proofFor(key, url) });
      assert.equal(good.status, 200, JSON.stringify(good.body));
      assert.equal(await rotations(cookieServer, sid), 1);
    } finally {
      await cookieServer.close();
    }
  });
});

describe('DPoP nonces at the session routes (KEYMINT_DPOP_NONCE=on)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ env: { KEYMINT_DPOP_NONCE: 'on' } });
  });
  after(() => server.close());

  test('sign-in and refresh without the nonce: 400 use_dpop_nonce with DPoP-Nonce, nothing spent; with it: bound; /auth/session asks with a 401 DPoP challenge', async () => {
    const key = await generateDpopKey();
    const url = `${server.issuer}/auth/signup`;
    const first = await call(url, { email: 'nonce@example.com', password: 'nonce password' }, { dpop: await proofFor(key, url) });
    assert.equal(first.status, 400);
    assert.equal(first.body.error, 'use_dpop_nonce');
    const nonce = first.headers.get('dpop-nonce')!;
    assert.ok(nonce);
    const signup = await call(url, { email: 'nonce@example.com', password: 'nonce password' }, { dpop: await proofFor(key, url, nonce) });
    assert.equal(signup.status, 201, JSON.stringify(signup.body));
    const sid = claimsOf(signup.body.access_token).sid;

    const refreshUrl = `${server.issuer}/auth/refresh`;
    const asked = await call(refreshUrl, { refresh_token: signup.body.refresh_token }, { dpop: await proofFor(key, refreshUrl) });
    assert.equal(asked.body.error, 'use_dpop_nonce');
    assert.equal(await rotations(server, sid), 0);
    const refreshed = await call(refreshUrl, { refresh_token: signup.body.refresh_token }, { dpop: await proofFor(key, refreshUrl, nonce) });
    assert.equal(refreshed.status, 200);

    const sessionUrl = `${server.issuer}/auth/session`;
    const token = refreshed.body.access_token as string;
    const noNonce = await fetch(sessionUrl, { headers: { authorization: `DPoP ${token}`, dpop: await createDpopProof(key, { method: 'GET', url: sessionUrl, accessToken: token }) } });
    assert.equal(noNonce.status, 401);
    assert.match(noNonce.headers.get('www-authenticate') ?? '', /^DPoP .*error="use_dpop_nonce"/);
    const again = noNonce.headers.get('dpop-nonce')!;
    const ok = await fetch(sessionUrl, { headers: { authorization: `DPoP ${token}`, dpop: await createDpopProof(key, { method: 'GET', url: sessionUrl, accessToken: token, nonce: again }) } });
    assert.equal(ok.status, 200);
  });
});
