import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../testing/harness.js';
import { fetchToken } from '../testing/tokens.js';
import { INSTALL, interopApps, interopSource, keymintSees, PYTHON, pythonHas, requireTool, runJson } from './tools.js';

/** Issue 15 item 7: Python clients nobody here wrote (Debian's Authlib, requests-oauthlib, PyJWT). */
let server: TestServer;
let apps: Awaited<ReturnType<typeof interopApps>>;

describe('interop: Python clients against a real Keymint server', () => {
  before(async () => {
    server = await startTestServer();
    apps = await interopApps(server);
  });
  after(() => server.close());

  test('Authlib: RFC 8414 discovery, RFC 6749 §4.4 client_secret_basic and client_secret_post, authlib.jose JWKS verification, RFC 7662 introspection, RFC 7009 revocation of a JWT and an opaque token', async (t) => {
    if (!requireTool(t, 'Python Authlib', pythonHas(['authlib', 'requests']), INSTALL.python)) return;
    const { jwt, opaque, introspector } = apps;
    const out = await runJson(PYTHON, [interopSource('python/authlib_client.py'), JSON.stringify({
      issuer: server.issuer,
      client_id: jwt.clientId, client_secret: jwt.clientSecret,
      opaque_client_id: opaque.clientId, opaque_client_secret: opaque.clientSecret,
      introspector_id: introspector.clientId, introspector_secret: introspector.clientSecret,
    })]);
    assert.equal(out.issuer, server.issuer);
    for (const method of ['client_secret_basic', 'client_secret_post']) {
      assert.equal(out[method].token_type, 'Bearer', method);
      assert.equal(out[method].scope, 'contacts_read', method);
    }
    // The token Authlib verified is one Keymint itself calls active for this app.
    assert.equal((await keymintSees(server, introspector, out.client_secret_basic.access_token)).client_id, jwt.clientId);
    assert.equal(out.verified_claims.iss, server.issuer);
    assert.equal(out.verified_claims.client_id, jwt.clientId);
    assert.equal(out.introspection.jwt_before.active, true);
    assert.equal(out.introspection.opaque_before.active, true);
    assert.equal(out.introspection.opaque_before.client_id, opaque.clientId);
    assert.deepEqual(out.revocation_status, { jwt: 200, opaque: 200 });
    assert.deepEqual(out.introspection.jwt_after, { active: false });
    assert.deepEqual(out.introspection.opaque_after, { active: false });
    // Revocation really happened: the resource API refuses both tokens.
    for (const token of [out.client_secret_post.access_token, out.opaque_token]) {
      const api = await fetch(`${server.issuer}/api/v1/contacts`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(api.status, 401);
    }
  });

  test('requests-oauthlib: RFC 6749 §4.4 with HTTP Basic and with body credentials; the session calls the Contacts API (RFC 6750 §2.1); a wrong secret is invalid_client', async (t) => {
    if (!requireTool(t, 'python3-requests-oauthlib', pythonHas(['requests_oauthlib', 'oauthlib']), INSTALL.python)) return;
    const { jwt, introspector } = apps;
    const out = await runJson(PYTHON, [interopSource('python/requests_oauthlib_client.py'), JSON.stringify({ issuer: server.issuer, client_id: jwt.clientId, client_secret: jwt.clientSecret })]);
    for (const method of ['client_secret_basic', 'client_secret_post']) {
      assert.equal(out[method].token_type, 'Bearer', method);
      assert.deepEqual(out[method].scope, ['contacts_read'], method);
      assert.equal(out[method].api_status, 200, method);
      assert.equal((await keymintSees(server, introspector, out[method].access_token)).active, true, method);
    }
    assert.equal(out.wrong_secret, 'invalid_client');
  });

  test('Authlib as the tenant\'s public app (auth method none): RFC 6749 §6 refresh, then RFC 7009 §2.1 revocation of the kmr_ refresh token by client_id alone ends the session', async (t) => {
    if (!requireTool(t, 'Python Authlib', pythonHas(['authlib', 'requests']), INSTALL.python)) return;
    const { keymint } = server.server;
    const tenant = await keymint.tenants.get('default');
    const signedUp = await keymint.users.accounts.signUp(tenant, server.issuer, { email: 'authlib@example.com', password: 'authlib interop password' }, { ip: '127.0.0.1' });
    const out = await runJson(PYTHON, [interopSource('python/authlib_refresh.py'), JSON.stringify({ issuer: server.issuer, app_id: tenant.appId, refresh_token: signedUp.refreshToken })]);
    assert.ok(out.auth_methods.includes('none'));
    assert.equal(out.refreshed.token_type, 'Bearer');
    assert.match(out.refreshed.refresh_token, /^kmr_/);
    assert.equal(out.revocation_status, 200);
    assert.equal(out.after_revocation, 'invalid_grant');
    // What really happened: the session is revoked, and the feed lists it so its access tokens stop too.
    const sid = JSON.parse(Buffer.from(out.refreshed.access_token.split('.')[1], 'base64url').toString()).sid as string;
    const session = await keymint.db.selectFrom('user_sessions').select('revoked_at').where('id', '=', sid).executeTakeFirstOrThrow();
    assert.notEqual(session.revoked_at, null);
    const feed = (await (await fetch(`${server.issuer}/oauth/revocations`)).json()) as { revocations: { sid?: string }[] };
    assert.ok(feed.revocations.some((entry) => entry.sid === sid));
  });

  test('PyJWT PyJWKClient: the JWKS found through jwks_uri verifies a Keymint token (ES256, iss, aud, exp); a tampered token and another issuer\'s are refused', async (t) => {
    if (!requireTool(t, 'python3-jwt (PyJWKClient)', pythonHas(['jwt', 'cryptography']), INSTALL.python)) return;
    const { keymint } = server.server;
    if (!(await keymint.tenants.findBySlug('pyjwt-foreign'))) await keymint.tenants.create('pyjwt-foreign');
    const foreignApp = await server.createApp({ tenant: 'pyjwt-foreign' });
    const token = await fetchToken(server.issuer, apps.jwt.clientId, apps.jwt.clientSecret);
    const foreign = await fetchToken(`${server.url}/t/pyjwt-foreign`, foreignApp.clientId, foreignApp.clientSecret);
    const out = await runJson(PYTHON, [interopSource('python/pyjwt_client.py'), JSON.stringify({ issuer: server.issuer, token, foreign_token: foreign })]);
    assert.equal(out.claims.iss, server.issuer);
    assert.equal(out.claims.client_id, apps.jwt.clientId);
    assert.equal(out.claims.aud, `${server.issuer}/api`);
    assert.notEqual(out.tampered, 'accepted');
    assert.notEqual(out.foreign, 'accepted');
  });
});
