import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { test } from 'node:test';
import { launchBrowser } from '../testing/browser.js';
import { refreshState } from '../testing/end-users.js';
import { basic, postForm, startTestServer, type TestServer } from '../testing/harness.js';

/**
 * Issue 15 item 4, CORS (Fetch standard §3.2): public documents answer any origin; the token
 * endpoint answers the tenant's allowed origins and refuses every other Origin before a token is
 * spent or issued.
 */

const PUBLIC_DOCUMENTS = (server: TestServer) => [
  `${server.issuer}/.well-known/jwks.json`,
  `${server.issuer}/.well-known/oauth-authorization-server`,
  `${server.issuer}/.well-known/openid-configuration`,
  `${server.url}/.well-known/oauth-authorization-server/t/default`,
  `${server.issuer}/oauth/revocations`,
];

/** A page server on its own loopback port: another origin than Keymint's. */
async function pageOrigin(): Promise<{ url: string; server: Server }> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end('<!doctype html><title>another origin</title>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

async function signUp(server: TestServer, email: string): Promise<{ refreshToken: string; sessionId: string }> {
  const { keymint } = server.server;
  const tenant = await keymint.tenants.get('default');
  const tokens = await keymint.users.accounts.signUp(tenant, server.issuer, { email, password: 'correct horse battery' }, { ip: '127.0.0.1' });
  const row = await keymint.db.selectFrom('user_sessions').select('id').where('tenant_id', '=', tenant.id).orderBy('created_at', 'desc').executeTakeFirstOrThrow();
  return { refreshToken: tokens.refreshToken, sessionId: row.id };
}

/** How many rotations spent a refresh token of the session, and whether it is revoked: a refused request must change neither. */
async function refreshTokenState(server: TestServer, sessionId: string): Promise<{ rotations: number; revoked: boolean }> {
  const { rotations, revoked } = await refreshState(server.server.keymint.db, sessionId);
  return { rotations, revoked };
}

test('CORS: JWKS, both metadata documents (and the RFC 8414 §3 location) and the revocation feed answer any origin with *, no credentials, and a preflight', async () => {
  const server = await startTestServer();
  try {
    for (const url of PUBLIC_DOCUMENTS(server)) {
      const plain = await fetch(url);
      assert.equal(plain.status, 200, url);
      assert.equal(plain.headers.get('access-control-allow-origin'), '*', `${url}: even without Origin, so a shared cache can serve every origin`);
      const cross = await fetch(url, { headers: { origin: 'https://anywhere.example' } });
      assert.equal(cross.status, 200, url);
      assert.equal(cross.headers.get('access-control-allow-origin'), '*', url);
      assert.equal(cross.headers.get('access-control-allow-credentials'), null, url);
      assert.match(cross.headers.get('access-control-expose-headers') ?? '', /etag/i, url);

      const preflight = await fetch(url, { method: 'OPTIONS', headers: { origin: 'https://anywhere.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'if-none-match' } });
      assert.equal(preflight.status, 204, url);
      assert.equal(preflight.headers.get('access-control-allow-origin'), '*', url);
      assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /GET/, url);
      assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /if-none-match/i, url);
      assert.equal(preflight.headers.get('access-control-allow-credentials'), null, url);
    }
    // An unknown tenant stays unknown for a preflight too.
    assert.equal((await fetch(`${server.url}/t/nosuch/.well-known/jwks.json`, { method: 'OPTIONS', headers: { origin: 'https://a.example', 'access-control-request-method': 'GET' } })).status, 404);
  } finally {
    await server.close();
  }
});

test('CORS: the token endpoint answers allowed origins (and the issuer\'s own); no Origin is unaffected; another Origin is refused 403 before anything is issued', async () => {
  const server = await startTestServer();
  try {
    const allowed = 'https://app.example';
    await server.server.keymint.users.updateSettings('default', { allowedOrigins: [allowed] });
    const app = await server.createApp();
    const auth = { authorization: basic(app.clientId, app.clientSecret) };
    for (const path of ['/oauth/token', '/connect/token']) {
      const url = `${server.issuer}${path}`;
      const noOrigin = await postForm(url, { grant_type: 'client_credentials' }, auth);
      assert.equal(noOrigin.status, 200, path);
      assert.equal(noOrigin.headers.get('access-control-allow-origin'), null, path);

      for (const origin of [allowed, new URL(server.url).origin]) {
        const ok = await postForm(url, { grant_type: 'client_credentials' }, { ...auth, origin });
        assert.equal(ok.status, 200, `${path} ${origin}`);
        assert.equal(ok.headers.get('access-control-allow-origin'), origin);
        assert.match(ok.headers.get('vary') ?? '', /origin/i);
        assert.equal(ok.headers.get('access-control-allow-credentials'), null);
        const preflight = await fetch(url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' } });
        assert.equal(preflight.status, 204);
        assert.equal(preflight.headers.get('access-control-allow-origin'), origin);
        assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /POST/);
        assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /authorization/);
      }

      // An allowed page can read failures too (it must see invalid_grant to sign the user out).
      const failed = await postForm(url, { grant_type: 'refresh_token', refresh_token: 'kmr_unknown' }, { origin: allowed });
      assert.equal(failed.status, 400);
      assert.equal(failed.body.error, 'invalid_grant');
      assert.equal(failed.headers.get('access-control-allow-origin'), allowed);

      for (const origin of ['https://evil.example', 'null', `${allowed}:8443`, allowed.replace('https', 'http')]) {
        const refused = await postForm(url, { grant_type: 'client_credentials' }, { ...auth, origin });
        assert.equal(refused.status, 403, `${path} ${origin}`);
        assert.equal(refused.body.error, 'forbidden');
        assert.equal(refused.headers.get('access-control-allow-origin'), null);
        assert.equal(refused.headers.get('cache-control'), 'no-store');
        const preflight = await fetch(url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
        assert.equal(preflight.status, 403);
        assert.equal(preflight.headers.get('access-control-allow-origin'), null);
      }
    }
    // Nothing is issued to a refused origin: opaque tokens are rows, so count them after a burst.
    const opaqueApp = await server.createApp({ tokenFormat: 'opaque' });
    const before = await server.server.keymint.db.selectFrom('opaque_tokens').select('token_hash').execute();
    const burst = await Promise.all(Array.from({ length: 10 }, () => postForm(`${server.issuer}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(opaqueApp.clientId, opaqueApp.clientSecret), origin: 'https://evil.example' })));
    assert.deepEqual(burst.map((r) => r.status), Array(10).fill(403));
    assert.equal((await server.server.keymint.db.selectFrom('opaque_tokens').select('token_hash').execute()).length, before.length, 'no opaque token row written');
  } finally {
    await server.close();
  }
});

test('CORS / RFC 9700 §4.14.2: a concurrent burst of refreshes from a disallowed Origin spends nothing; the refresh token still works afterwards', async () => {
  const server = await startTestServer();
  try {
    await server.server.keymint.users.updateSettings('default', { allowedOrigins: ['https://app.example'] });
    const { refreshToken, sessionId } = await signUp(server, 'burst@example.com');
    const before = await refreshTokenState(server, sessionId);
    assert.deepEqual(before, { rotations: 0, revoked: false });

    const burst = await Promise.all(Array.from({ length: 20 }, (_, i) => postForm(`${server.issuer}${i % 2 ? '/connect/token' : '/oauth/token'}`, { grant_type: 'refresh_token', refresh_token: refreshToken }, { origin: 'https://evil.example' })));
    assert.deepEqual(burst.map((r) => r.status), Array(20).fill(403));
    assert.deepEqual(await refreshTokenState(server, sessionId), before, 'no refresh token spent, none issued, session alive');

    const refreshed = await postForm(`${server.issuer}/oauth/token`, { grant_type: 'refresh_token', refresh_token: refreshToken });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    assert.deepEqual(await refreshTokenState(server, sessionId), { rotations: 1, revoked: false });
  } finally {
    await server.close();
  }
});

test('CORS in Chromium: a page on another origin reads the JWKS, metadata and revocation feed; its refresh at /oauth/token fails unless its origin is allowed, and a refused refresh leaves the token unspent', async () => {
  const server = await startTestServer();
  const stranger = await pageOrigin();
  const friend = await pageOrigin();
  const { browser, close } = await launchBrowser();
  try {
    await server.server.keymint.users.updateSettings('default', { allowedOrigins: [friend.url] });
    const { refreshToken, sessionId } = await signUp(server, 'browser@example.com');
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(stranger.url);

    const documents: { url: string; status: number; etag: string | null; body: any }[] = await page.evaluate(async (urls: string[]) => Promise.all(urls.map(async (url) => {
      const response = await fetch(url, { headers: { 'if-none-match': '"nothing"' } });
      return { url, status: response.status, etag: response.headers.get('etag'), body: await response.json() };
    })), PUBLIC_DOCUMENTS(server));
    for (const document of documents) {
      assert.equal(document.status, 200, document.url);
      assert.ok(document.etag === null || document.etag.length > 0);
    }
    assert.ok(Array.isArray(documents[0]!.body.keys) && documents[0]!.body.keys.length > 0, 'JWKS read by the page');
    assert.equal(documents[1]!.body.issuer, server.issuer);
    assert.ok(documents[0]!.etag, 'the JWKS ETag is exposed to the page');

    const refresh = (target: string, token: string): Promise<{ failed?: string; status?: number; body?: any }> => page.evaluate(async ({ target, token }) => {
      try {
        const response = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token }) });
        return { status: response.status, body: (await response.json()) as unknown };
      } catch (error) {
        return { failed: String(error) };
      }
    }, { target, token });

    const refused = await refresh(`${server.issuer}/oauth/token`, refreshToken);
    assert.ok(refused.failed, `the page cannot read a refused answer: ${JSON.stringify(refused)}`);
    assert.deepEqual(await refreshTokenState(server, sessionId), { rotations: 0, revoked: false }, 'the refused refresh spent nothing');

    await page.goto(friend.url);
    const accepted = await refresh(`${server.issuer}/oauth/token`, refreshToken);
    assert.equal(accepted.failed, undefined, JSON.stringify(accepted));
    assert.equal(accepted.status, 200);
    assert.match(accepted.body.refresh_token, /^kmr_/);
    assert.deepEqual(await refreshTokenState(server, sessionId), { rotations: 1, revoked: false });
  } finally {
    await close();
    stranger.server.close();
    friend.server.close();
    await server.close();
  }
});
