import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { launchBrowser } from '../testing/browser.js';
import { loggedCode, refreshState } from '../testing/end-users.js';
import { startTestServer } from '../testing/harness.js';

/**
 * `@keymint/sdk/browser` with `dpop: true` in headless Chromium against a real server with
 * KEYMINT_DPOP_NONCE=on: the key is a non-extractable WebCrypto key kept in IndexedDB, the session
 * survives a reload on the same key, the access token carries its cnf.jkt and works only as DPoP,
 * nonces are fetched and retried at Keymint (400) and at a resource (401), sign-out deletes the key.
 */

const claimsOf = (jwt: string): Record<string, any> => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString());

test('browser, dpop: true: a non-extractable key in IndexedDB binds the session (cnf.jkt); a reload keeps key and session; the token works as DPoP only; nonces are retried; sign-out deletes the key', async () => {
  const server = await startTestServer({ env: { KEYMINT_DPOP_NONCE: 'on' } });
  const { keymint } = server.server;
  const tenant = await keymint.tenants.get('default');
  const sdkFile = fileURLToPath(import.meta.resolve('@keymint/sdk/browser'));
  // The app's page on its own origin: loads the SDK module and makes one client per page load.
  const sdk = await readFile(sdkFile);
  // The documented page (docs/dpop.md), served as the example app serves its page: SDK and config.
  const example = await readFile(new URL('../../../../examples/end-users/dpop-page.js', import.meta.url));
  const files: Record<string, [string, Buffer | string]> = {
    '/': ['text/html', '<script type="module" src="/dpop-page.js"></script>'],
    '/dpop-page.js': ['text/javascript', example],
    '/sdk/keymint-browser.js': ['text/javascript', sdk],
    '/config.json': ['application/json', JSON.stringify({ issuer: server.issuer, appId: tenant.appId })],
  };
  const page = createServer((request, response) => {
    const [type, body] = files[request.url ?? '/'] ?? ['text/plain', 'not found'];
    response.writeHead(type === 'text/plain' ? 404 : 200, { 'content-type': type });
    response.end(body);
  });
  await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
  const pageUrl = `http://127.0.0.1:${(page.address() as { port: number }).port}`;
  await keymint.users.updateSettings('default', { allowedOrigins: [pageUrl] });
  const { browser, close } = await launchBrowser();
  try {
    const tab = await (await browser.newContext()).newPage();
    const pageErrors: string[] = [];
    tab.on('pageerror', (error) => pageErrors.push(error.message));
    const posts: string[] = [];
    tab.on('request', (request) => {
      if (request.method() !== 'OPTIONS') posts.push(`${request.method()} ${new URL(request.url()).pathname.replace(/^\/t\/default/, '')}`);
    });
    const load = async () => {
      await tab.goto(pageUrl);
      await tab.waitForFunction(() => (globalThis as any).keymint !== undefined);
    };
    const storageKey = `keymint:${server.issuer}:${tenant.appId}`;
    /** What IndexedDB holds for this client: whether its private key is extractable, whether exporting it fails, its public JWK. */
    const storedKey = () => tab.evaluate(async (key: string) => {
      const db: any = await new Promise((resolve, reject) => {
        const open = (globalThis as any).indexedDB.open('keymint-dpop');
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
      const value: any = await new Promise((resolve, reject) => {
        const get = db.transaction('keys', 'readonly').objectStore('keys').get(key);
        get.onsuccess = () => resolve(get.result);
        get.onerror = () => reject(get.error);
      });
      db.close();
      if (!value) return null;
      const exported = await crypto.subtle.exportKey('jwk', value.privateKey).then(() => 'exported', (error: Error) => error.name);
      return { extractable: value.privateKey.extractable as boolean, type: value.privateKey.type as string, exported, publicJwk: value.publicJwk as JWK };
    }, storageKey);
    const sessionCall = () => tab.evaluate(async (url: string) => {
      const response: Response = await (globalThis as any).keymint.fetch(url);
      return { status: response.status, body: (await response.json()) as any };
    }, `${server.issuer}/auth/session`);
    const whoAmI = () => tab.evaluate(() => (globalThis as any).whoAmI());

    await load();
    const user = await tab.evaluate(() => (globalThis as any).keymint.signUp({ email: 'dee@example.com', password: 'dee-password' }));
    assert.deepEqual(posts.filter((p) => p.endsWith('/auth/signup')), ['POST /auth/signup', 'POST /auth/signup'], 'the first proof had no nonce: 400 use_dpop_nonce, retried once with it');

    const key = await storedKey();
    assert.ok(key, 'the key pair is in IndexedDB');
    assert.equal(key.type, 'private');
    assert.equal(key.extractable, false, 'the private key is not extractable');
    assert.equal(key.exported, 'InvalidAccessError', 'and exporting it fails');
    const jkt = await calculateJwkThumbprint(key.publicJwk, 'sha256');
    const token: string = await tab.evaluate(() => (globalThis as any).keymint.getAccessToken());
    assert.deepEqual(claimsOf(token).cnf, { jkt }, 'the access token is bound to the key in IndexedDB');
    const sid = claimsOf(token).sid as string;
    const row = await keymint.db.selectFrom('user_sessions').select('jkt').where('id', '=', sid).executeTakeFirstOrThrow();
    assert.equal(row.jkt, jkt, 'and so is the session (its refresh tokens)');
    const stored = JSON.parse(await tab.evaluate((k: string) => (globalThis as any).localStorage.getItem(k) as string, storageKey));
    assert.doesNotMatch(JSON.stringify(stored), /"d":/, 'no private key material in localStorage');

    // The token as DPoP with the SDK's proof: accepted; the same token as Bearer: refused.
    const asDpop = await sessionCall();
    assert.equal(asDpop.status, 200, JSON.stringify(asDpop.body));
    assert.equal(asDpop.body.user.id, user.id);
    const asBearer = await fetch(`${server.issuer}/auth/session`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(asBearer.status, 401);
    assert.match(asBearer.headers.get('www-authenticate') ?? '', /^DPoP .*error="invalid_token"/);
    const fromPage = await tab.evaluate(async ([url, t]) => (await fetch(url!, { headers: { authorization: `Bearer ${t}` } })).status, [`${server.issuer}/auth/session`, token]);
    assert.equal(fromPage, 401, 'a page script holding the token alone gets nowhere');

    // A reload: a new client, the same key from IndexedDB, the same session. Its first resource
    // call has no nonce yet: the 401 use_dpop_nonce is retried once with the nonce.
    posts.length = 0;
    await load();
    assert.deepEqual((await storedKey())?.publicJwk, key.publicJwk, 'the same key after the reload');
    assert.equal((await whoAmI())?.id, user.id, 'the documented whoAmI works after the reload');
    assert.deepEqual(posts.filter((p) => p.endsWith('/auth/session')), ['GET /auth/session', 'GET /auth/session'], '401 use_dpop_nonce, then the retry');
    const afterReload = await sessionCall();
    assert.equal(afterReload.status, 200);
    assert.equal(afterReload.body.session.id, sid, 'the same session');

    // verifyEmail refreshes the session: a proof by the same key rotates the bound refresh token.
    const verified = await tab.evaluate((code: string) => (globalThis as any).keymint.verifyEmail({ code }), loggedCode(server, 'dee@example.com'));
    assert.equal(verified.email_verified, true);
    assert.equal((await refreshState(keymint.db, sid)).rotations, 1, 'rotated once');
    const renewed: string = await tab.evaluate(() => (globalThis as any).keymint.getAccessToken());
    assert.notEqual(renewed, token);
    assert.deepEqual(claimsOf(renewed).cnf, { jkt });

    // Sign-out revokes the session and deletes the key.
    await tab.evaluate(() => (globalThis as any).keymint.signOut());
    const session = await keymint.db.selectFrom('user_sessions').select('revoked_at').where('id', '=', sid).executeTakeFirstOrThrow();
    assert.notEqual(session.revoked_at, null);
    await tab.waitForFunction(async (k: string) => {
      const db: any = await new Promise((resolve) => {
        const open = (globalThis as any).indexedDB.open('keymint-dpop');
        open.onsuccess = () => resolve(open.result);
      });
      const value = await new Promise((resolve) => {
        const get = db.transaction('keys', 'readonly').objectStore('keys').get(k);
        get.onsuccess = () => resolve(get.result);
      });
      db.close();
      return value === undefined;
    }, storageKey);
    assert.deepEqual(pageErrors, []);
  } finally {
    await close();
    page.closeAllConnections();
    await new Promise((resolve) => page.close(resolve));
    await server.close();
  }
});
