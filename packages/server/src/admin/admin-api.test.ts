import assert from 'node:assert/strict';
import { test } from 'node:test';
import { basic, postForm, startTestServer, TestClock } from '../testing/harness.js';
import { keymintCli } from '../testing/cli.js';
import { AdminClient, createAdmin } from './testing.js';

const T = '/tenants/default';

test('Admin API: an owner drives tenants, scopes, settings, apps, secrets, API tokens, keys, audit and usage over HTTP', { timeout: 120_000 }, async () => {
  const server = await startTestServer({ env: { KEYMINT_JWKS_MAX_AGE: '0' } });
  try {
    const { email, password } = await createAdmin(server, 'owner@example.com');
    const admin = await AdminClient.signIn(server, email, password);

    const me = await admin.call('GET', '/session');
    assert.equal(me.status, 200);
    assert.deepEqual(me.body.account, { email, role: 'owner', tenant: null, via: 'session' });
    assert.equal(me.body.csrf_token, admin.csrf);
    assert.equal(me.headers.get('cache-control'), 'no-store');

    // Tenants
    const created = await admin.call('POST', '/tenants', { slug: 'acme-prod', name: 'Acme' });
    assert.equal(created.status, 201);
    assert.equal(created.body.issuer, `${server.url}/t/acme-prod`);
    assert.deepEqual((await admin.call('GET', '/tenants')).body.tenants.map((t: any) => t.tenant), ['default', 'acme-prod']);
    assert.equal((await admin.call('POST', '/tenants', { slug: 'acme-prod' })).status, 409);

    // Settings and scope catalog
    assert.deepEqual((await admin.call('GET', `${T}/settings`)).body, { tenant: 'default', default_token_lifetime: 7200, signed_request_window: 5, signing_alg: 'ES256' });
    assert.equal((await admin.call('PATCH', `${T}/settings`, { default_token_lifetime: 600 })).body.default_token_lifetime, 600);
    assert.equal((await admin.call('PATCH', `${T}/settings`, { default_token_lifetime: 5 })).status, 400);
    const scope = await admin.call('POST', `${T}/scopes`, { name: 'invoices_read', description: 'Read invoices' });
    assert.equal(scope.status, 201);
    assert.deepEqual((await admin.call('GET', `${T}/scopes`)).body.scopes.map((s: any) => s.name), ['contacts_read', 'contacts_write', 'invoices_read']);
    assert.equal((await admin.call('POST', `${T}/scopes`, { name: 'invoices_read' })).status, 409);

    // Apps: none pre-selected; chosen scopes; edits; secrets
    const bare = await admin.call('POST', `${T}/apps`, { name: 'no scopes' });
    assert.equal(bare.status, 201);
    assert.deepEqual(bare.body.app.scopes, []);
    const app = await admin.call('POST', `${T}/apps`, { name: 'billing', scopes: ['contacts_read'] });
    const clientId = app.body.app.client_id;
    const firstSecret = app.body.secret.client_secret;
    assert.match(firstSecret, /^kms_/);
    const token = await postForm(`${server.issuer}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(clientId, firstSecret) });
    assert.equal(token.status, 200);
    assert.equal(token.body.expires_in, 600, 'the tenant default lifetime set above');
    assert.equal(app.body.app.token_lifetime, 600, 'token_lifetime is what the tokens live: the tenant default applied');
    assert.equal(app.body.app.token_lifetime_default, true);

    const edited = await admin.call('PATCH', `${T}/apps/${clientId}`, { token_lifetime: 120, audiences: ['https://api.example.com'], scopes: ['contacts_read', 'invoices_read'] });
    assert.equal(edited.status, 200);
    assert.equal(edited.body.app.token_lifetime, 120);
    assert.equal(edited.body.app.token_lifetime_default, false);
    assert.deepEqual(edited.body.app.audiences, ['https://api.example.com']);
    const methods = await admin.call('PATCH', `${T}/apps/${clientId}`, { auth_methods: ['client_secret_basic', 'signed_request'] });
    assert.deepEqual(methods.body.app.auth_methods, ['client_secret_basic', 'signed_request']);
    assert.equal(methods.body.new_secret_required, true);
    assert.equal((await admin.call('PATCH', `${T}/apps/${clientId}`, { token_lifetime: 10 })).status, 400);
    assert.equal((await admin.call('GET', `${T}/apps/${clientId}`)).body.token_lifetime, 120);
    const reset = (await admin.call('PATCH', `${T}/apps/${clientId}`, { token_lifetime: null })).body.app;
    assert.deepEqual([reset.token_lifetime, reset.token_lifetime_default], [600, true], 'null: back to the tenant default');
    assert.equal((await admin.call('PATCH', `${T}/apps/${clientId}`, { token_lifetime: 120 })).status, 200);

    const second = await admin.call('POST', `${T}/apps/${clientId}/secrets`, { expires_in: '7d' });
    assert.equal(second.status, 201);
    assert.ok(Math.abs(Date.parse(second.body.expires_at) - Date.now() - 7 * 86_400_000) < 60_000);
    const listed = await admin.call('GET', `${T}/apps/${clientId}/secrets`);
    assert.equal(listed.body.secrets.length, 2);
    assert.ok(listed.body.secrets[0].last_used_at, 'the first secret was used above');
    assert.ok(!JSON.stringify(listed.body).includes(firstSecret));

    const regenerated = await admin.call('POST', `${T}/apps/${clientId}/secrets/regenerate`, {});
    assert.equal(regenerated.status, 201);
    assert.deepEqual(regenerated.body.revoked.sort(), listed.body.secrets.map((s: any) => s.secret_id).sort());
    await new Promise((resolve) => setTimeout(resolve, 150));
    const old = await postForm(`${server.issuer}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(clientId, firstSecret) });
    assert.equal(old.status, 401);
    const fresh = await postForm(`${server.issuer}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(clientId, regenerated.body.secret.client_secret) });
    assert.equal(fresh.status, 200);
    const revokedSecret = await admin.call('DELETE', `${T}/apps/${clientId}/secrets/${regenerated.body.secret.secret_id}`);
    assert.equal(revokedSecret.body.status, 'revoked');
    assert.equal((await admin.call('DELETE', `${T}/apps/${clientId}/secrets/sec_nope`)).status, 404);

    const disabled = await admin.call('POST', `${T}/apps/${bare.body.app.client_id}/disable`);
    assert.equal(disabled.body.status, 'disabled');

    // API tokens
    const apiToken = await admin.call('POST', `${T}/api-tokens`, { name: 'export', scopes: ['contacts_read'], expires_in: '30d' });
    assert.equal(apiToken.status, 201);
    assert.match(apiToken.body.token, /^kmk_/);
    const contacts = await fetch(`${server.issuer}/api/v1/contacts`, { headers: { authorization: `Bearer ${apiToken.body.token}` } });
    assert.equal(contacts.status, 200);
    assert.equal((await admin.call('GET', `${T}/api-tokens`)).body.tokens[0].id, apiToken.body.info.id);
    assert.equal((await admin.call('DELETE', `${T}/api-tokens/${apiToken.body.info.id}`)).body.status, 'revoked');
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal((await fetch(`${server.issuer}/api/v1/contacts`, { headers: { authorization: `Bearer ${apiToken.body.token}` } })).status, 401);

    // Signing keys: with a zero JWKS max-age the next key may sign at once
    await new Promise((resolve) => setTimeout(resolve, 200));
    const before = (await admin.call('GET', `${T}/keys`)).body.keys;
    const rotated = await admin.call('POST', `${T}/keys/rotate`);
    assert.equal(rotated.status, 200);
    assert.equal(rotated.body.promoted, before.find((k: any) => k.state === 'next').kid);
    assert.deepEqual(rotated.body.keys.map((k: any) => k.state).sort(), ['current', 'next', 'retired']);

    // Usage: the three tokens issued above, counted for this hour
    const usage = await admin.call('GET', `${T}/usage?hours=24`);
    assert.equal(usage.status, 200);
    const billing = usage.body.apps.find((a: any) => a.client_id === clientId);
    assert.equal(billing.name, 'billing');
    assert.equal(billing.counts.length, 24);
    assert.equal(billing.counts[23], 2);
    assert.equal((await admin.call('GET', `${T}/usage?hours=0`)).status, 400);

    // Audit: every change above, filterable
    const all = (await admin.call('GET', `${T}/audit?actor=admin&limit=500`)).body.entries;
    const actions = new Set(all.map((e: any) => e.action));
    for (const action of ['tenant.settings_updated', 'scope.added', 'app.created', 'app.updated', 'app.secret_added', 'app.secret_revoked', 'app.disabled', 'api_token.created', 'api_token.revoked', 'signing_key.rotated']) {
      assert.ok(actions.has(action), `audited: ${action}`);
    }
    assert.ok(all.every((e: any) => e.actor_id === email && e.ip));
    const forApp = (await admin.call('GET', `${T}/audit?app=${clientId}&action=app.secret_revoked`)).body.entries;
    assert.equal(forApp.length, 3);
    assert.equal((await admin.call('GET', `${T}/audit?since=${new Date(Date.now() + 60_000).toISOString()}`)).body.entries.length, 0);
    assert.equal((await admin.call('GET', `${T}/audit?until=${new Date(Date.now() - 3_600_000).toISOString()}`)).body.entries.length, 0);
    assert.equal((await admin.call('GET', `${T}/audit?limit=abc`)).status, 400);
    const acme = (await admin.call('GET', '/tenants/acme-prod/audit')).body.entries;
    assert.deepEqual(acme.map((e: any) => e.action), ['tenant.created']);

    // OpenAPI documents every admin route with its schemas
    const openapi = await (await fetch(`${server.url}/openapi.json`)).json() as any;
    for (const path of ['/admin/v1/session', '/admin/v1/tenants', '/admin/v1/tenants/{tenant}/apps', '/admin/v1/tenants/{tenant}/apps/{client_id}/secrets/regenerate', '/admin/v1/tenants/{tenant}/audit', '/admin/v1/admin-tokens']) {
      assert.ok(openapi.paths[path], `documented: ${path}`);
    }
    assert.ok(openapi.paths['/admin/v1/tenants/{tenant}/apps'].post.requestBody);
    assert.ok(openapi.paths['/admin/v1/tenants/{tenant}/apps'].post.responses['201']);

    // Malformed input: 4xx JSON, never 5xx
    for (const [method, path, body] of [
      ['POST', `${T}/apps`, { name: 'x', scopes: ['nope'] }],
      ['POST', `${T}/apps`, { name: '' }],
      ['POST', `${T}/apps`, { name: 'x', extra: 1 }],
      ['PATCH', `${T}/apps/${clientId}`, {}],
      ['POST', `${T}/api-tokens`, { name: 'x', expires_in: 'soon' }],
      ['GET', `${T}/apps/nope`, undefined],
      ['GET', '/tenants/no-such/apps', undefined],
      ['GET', '/nothing-here', undefined],
    ] as const) {
      const response = await admin.call(method, path, body);
      assert.ok(response.status >= 400 && response.status < 500, `${method} ${path} → ${response.status}`);
      assert.equal(typeof response.body.error, 'string');
    }

    // Sign-out ends the session
    const signedOut = await admin.call('DELETE', '/session');
    assert.equal(signedOut.status, 204);
    assert.equal(admin.cookie, null);
    assert.equal((await admin.call('GET', '/session')).status, 401);
  } finally {
    await server.close();
  }
});

test('Admin API: a viewer reads everything and is refused every write (403)', { timeout: 60_000 }, async () => {
  const server = await startTestServer();
  try {
    const { clientId } = await server.createApp();
    const { email, password } = await createAdmin(server, 'viewer@example.com', 'viewer');
    const viewer = await AdminClient.signIn(server, email, password);
    for (const path of ['/tenants', `${T}/apps`, `${T}/apps/${clientId}/secrets`, `${T}/api-tokens`, `${T}/keys`, `${T}/audit`, `${T}/scopes`, `${T}/settings`, `${T}/usage`, '/admin-tokens']) {
      assert.equal((await viewer.call('GET', path)).status, 200, path);
    }
    for (const [method, path, body] of [
      ['POST', '/tenants', { slug: 'other' }],
      ['PATCH', `${T}/settings`, { signed_request_window: 10 }],
      ['POST', `${T}/scopes`, { name: 'x' }],
      ['POST', `${T}/apps`, { name: 'x' }],
      ['PATCH', `${T}/apps/${clientId}`, { token_lifetime: 300 }],
      ['POST', `${T}/apps/${clientId}/disable`, undefined],
      ['POST', `${T}/apps/${clientId}/secrets`, {}],
      ['POST', `${T}/apps/${clientId}/secrets/regenerate`, {}],
      ['POST', `${T}/api-tokens`, { name: 'x' }],
      ['POST', `${T}/keys/rotate`, undefined],
      ['POST', '/admin-tokens', { name: 'x' }],
    ] as const) {
      const response = await viewer.call(method, path, body);
      assert.equal(response.status, 403, `${method} ${path}`);
      assert.equal(response.body.error, 'forbidden');
    }
    const { keymint } = server.server;
    assert.equal((await keymint.apps.get((await keymint.tenants.get('default')).id, clientId)).status, 'active');
    // A viewer may still sign out.
    assert.equal((await viewer.call('DELETE', '/session')).status, 204);
  } finally {
    await server.close();
  }
});

test('Admin API: an admin of one tenant cannot see or touch another (roles per tenant)', { timeout: 60_000 }, async () => {
  const server = await startTestServer();
  try {
    const { keymint } = server.server;
    await keymint.tenants.create('acme');
    const other = await server.createApp();
    const { email, password } = await createAdmin(server, 'acme-owner@example.com', 'owner', 'acme');
    const admin = await AdminClient.signIn(server, email, password);
    assert.equal((await admin.call('GET', '/session')).body.account.tenant, 'acme');
    assert.deepEqual((await admin.call('GET', '/tenants')).body.tenants.map((t: any) => t.tenant), ['acme']);
    assert.equal((await admin.call('POST', '/tenants/acme/apps', { name: 'mine' })).status, 201);
    for (const [method, path] of [
      ['GET', `${T}/apps`], ['GET', `${T}/audit`], ['POST', `${T}/keys/rotate`],
      ['POST', `${T}/apps/${other.clientId}/disable`], ['DELETE', `${T}/apps/${other.clientId}/secrets/${other.secretId}`],
    ] as const) {
      assert.equal((await admin.call(method, path)).status, 403, `${method} ${path}`);
    }
    assert.equal((await admin.call('POST', '/tenants', { slug: 'mine-too' })).status, 403);
    assert.equal((await keymint.apps.get((await keymint.tenants.get('default')).id, other.clientId)).status, 'active');
    // Its admin tokens carry the same limit.
    const token = await admin.call('POST', '/admin-tokens', { name: 'acme ci' });
    assert.equal(token.body.info.tenant, 'acme');
    const script = AdminClient.withToken(server, token.body.token);
    assert.equal((await script.call('GET', '/tenants/acme/apps')).status, 200);
    assert.equal((await script.call('GET', `${T}/apps`)).status, 403);
  } finally {
    await server.close();
  }
});

test('Admin API: cookie sessions need the same Origin and the X-CSRF-Token header on every write (OWASP ASVS V3.5)', { timeout: 60_000 }, async () => {
  const server = await startTestServer();
  try {
    const { email, password } = await createAdmin(server, 'owner@example.com');
    const admin = await AdminClient.signIn(server, email, password);
    const body = { name: 'csrf probe' };
    assert.equal((await admin.call('POST', `${T}/apps`, body, { csrf: null })).status, 403, 'no CSRF header');
    assert.equal((await admin.call('POST', `${T}/apps`, body, { csrf: 'forged' })).status, 403, 'wrong CSRF token');
    assert.equal((await admin.call('POST', `${T}/apps`, body, { origin: 'https://evil.example' })).status, 403, 'foreign Origin');
    assert.equal((await admin.call('POST', `${T}/apps`, body, { origin: null })).status, 403, 'no Origin nor Sec-Fetch-Site');
    assert.equal((await admin.call('DELETE', '/session', undefined, { csrf: null })).status, 403, 'sign-out is protected too');
    assert.equal((await server.server.keymint.apps.list((await server.server.keymint.tenants.get('default')).id)).length, 0);
    assert.equal((await admin.call('POST', `${T}/apps`, body)).status, 201);
    // Reads need no token.
    assert.equal((await admin.call('GET', `${T}/apps`, undefined, { csrf: null, origin: null })).status, 200);
    // Sign-in posted from another site (login CSRF) is refused.
    const foreign = new AdminClient(server);
    assert.equal((await foreign.call('POST', '/session', { email, password }, { origin: 'https://evil.example' })).status, 403);
  } finally {
    await server.close();
  }
});

test('Admin API: the session cookie is HttpOnly, SameSite=Strict, Path=/; over https it is __Host- and Secure', { timeout: 60_000 }, async () => {
  const plain = await startTestServer();
  try {
    const { email, password } = await createAdmin(plain, 'owner@example.com');
    const response = await fetch(`${plain.url}/admin/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json', origin: plain.url }, body: JSON.stringify({ email, password }) });
    const cookie = response.headers.get('set-cookie') ?? '';
    assert.match(cookie, /^keymint_admin=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
  } finally {
    await plain.close();
  }
  const secure = await startTestServer({ env: { KEYMINT_PUBLIC_URL: 'https://auth.example.com' } });
  try {
    const { email, password } = await createAdmin(secure, 'owner@example.com');
    const address = secure.server.app.server.address() as { port: number };
    const response = await fetch(`http://127.0.0.1:${address.port}/admin/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'https://auth.example.com' }, body: JSON.stringify({ email, password }) });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('set-cookie') ?? '', /^__Host-keymint_admin=[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+; Secure$/);
  } finally {
    await secure.close();
  }
});

test('Admin API: failed sign-ins hit 429 + Retry-After per email, other emails unaffected, and recover after the window', { timeout: 90_000 }, async () => {
  const clock = new TestClock();
  const server = await startTestServer({ clock });
  try {
    const { email, password } = await createAdmin(server, 'owner@example.com');
    const other = await createAdmin(server, 'other@example.com');
    const client = new AdminClient(server);
    for (let i = 0; i < 5; i++) {
      const failed = await client.call('POST', '/session', { email, password: 'wrong password!' });
      assert.equal(failed.status, 401);
      assert.equal(failed.body.error, 'invalid_token');
    }
    // Unknown emails answer the same 401.
    assert.equal((await client.call('POST', '/session', { email: 'nobody@example.com', password: 'whatever123' })).status, 401);
    const limited = await client.call('POST', '/session', { email, password });
    assert.equal(limited.status, 429, 'even the right password while limited');
    assert.ok(Number(limited.headers.get('retry-after')) > 0 && Number(limited.headers.get('retry-after')) <= 900);
    assert.equal((await client.call('POST', '/session', { email: other.email, password: other.password })).status, 200, 'another account is unaffected');
    clock.advance(15 * 60_000 + 1000);
    assert.equal((await client.call('POST', '/session', { email, password })).status, 200, 'recovers after the window');
  } finally {
    await server.close();
  }
});

test('Admin API: kmo_ admin tokens authenticate as Bearer, carry a role, are hashed at rest and stop working when revoked', { timeout: 60_000 }, async () => {
  const server = await startTestServer();
  try {
    const { email, password } = await createAdmin(server, 'owner@example.com');
    const admin = await AdminClient.signIn(server, email, password);
    const created = await admin.call('POST', '/admin-tokens', { name: 'terraform' });
    assert.equal(created.status, 201);
    assert.match(created.body.token, /^kmo_[0-9A-Za-z]{38}$/);
    const viewerToken = (await admin.call('POST', '/admin-tokens', { name: 'dashboard', role: 'viewer' })).body.token;
    const { keymint } = server.server;
    const rows = await keymint.db.selectFrom('admin_tokens').selectAll().execute();
    assert.ok(!JSON.stringify(rows).includes(created.body.token), 'only the hash is stored');

    const script = AdminClient.withToken(server, created.body.token);
    const app = await script.call('POST', `${T}/apps`, { name: 'from ci', scopes: ['contacts_read'] }, { origin: null });
    assert.equal(app.status, 201, 'no CSRF header needed: a Bearer token is no ambient credential');
    assert.equal((await script.call('GET', '/session')).body.account.via, 'token');
    const audit = (await script.call('GET', `${T}/audit?action=app.created`)).body.entries[0];
    assert.equal(audit.actor_id, `${email} (token ${created.body.info.id})`);

    const viewer = AdminClient.withToken(server, viewerToken);
    assert.equal((await viewer.call('GET', `${T}/apps`)).status, 200);
    assert.equal((await viewer.call('POST', `${T}/apps`, { name: 'nope' })).status, 403);

    const listed = (await admin.call('GET', '/admin-tokens')).body.tokens;
    assert.equal(listed.length, 2);
    assert.ok(listed.find((t: any) => t.name === 'terraform').last_used_at);
    assert.equal((await admin.call('DELETE', `/admin-tokens/${created.body.info.id}`)).body.revoked_at !== null, true);
    const refused = await script.call('GET', `${T}/apps`);
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error, 'invalid_token');
    // A mistyped token (bad checksum) and no credentials at all.
    assert.equal((await AdminClient.withToken(server, `${created.body.token.slice(0, -1)}${created.body.token.endsWith("x") ? "y" : "x"}`).call('GET', '/tenants')).status, 401);
    assert.equal((await new AdminClient(server).call('GET', '/tenants')).status, 401);
  } finally {
    await server.close();
  }
});

test('First start prints a one-time setup link that creates the first owner once; CLI admin create makes accounts and setup links', { timeout: 90_000 }, async () => {
  const server = await startTestServer();
  try {
    const match = /admin setup +(\S+)/.exec(server.server.banner);
    assert.ok(match, server.server.banner);
    const url = new URL(match[1]!);
    assert.equal(url.pathname, '/console/setup');
    const token = url.searchParams.get('token')!;
    const page = await fetch(url.href.replace(/^https?:\/\/[^/]+/, server.url));
    assert.equal(page.headers.get('referrer-policy'), 'no-referrer', 'the token in the address never leaks in a Referer');
    assert.match(page.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    const client = new AdminClient(server);
    assert.deepEqual((await client.call('POST', '/setup/inspect', { token })).body.email, null);
    assert.equal((await client.call('POST', '/setup', { token, password: 'long enough password' })).status, 400, 'the first link needs an email');
    const done = await client.call('POST', '/setup', { token, email: 'first@example.com', password: 'long enough password' });
    assert.equal(done.status, 200);
    assert.equal(done.body.account.role, 'owner');
    assert.equal((await client.call('GET', '/tenants')).status, 200, 'signed in');
    assert.equal((await new AdminClient(server).call('POST', '/setup', { token, email: 'second@example.com', password: 'long enough password' })).status, 400, 'used once');
    assert.equal(await server.server.keymint.admins.bootstrapLink(), null, 'no new link once an account exists');

    // CLI: with a password → no link; without → a link that sets it.
    const withPassword = await keymintCli(server, 'admin', 'create', '--email', 'Ops@Example.com', '--password', 'ops password 123', '--role', 'viewer');
    assert.deepEqual(withPassword, { email: 'ops@example.com', role: 'viewer', tenant: null, setup_url: null });
    assert.equal((await AdminClient.signIn(server, 'ops@example.com', 'ops password 123').then((c) => c.call('GET', '/session'))).body.account.role, 'viewer');
    const withoutPassword = await keymintCli(server, 'admin', 'create', '--email', 'dev@example.com');
    assert.equal(withoutPassword.role, 'owner');
    const setupUrl = new URL(withoutPassword.setup_url);
    assert.equal(setupUrl.pathname, '/console/setup');
    const devToken = setupUrl.searchParams.get('token')!;
    const dev = new AdminClient(server);
    assert.equal((await dev.call('POST', '/session', { email: 'dev@example.com', password: 'anything at all' })).status, 401, 'no password yet');
    assert.equal((await dev.call('POST', '/setup/inspect', { token: devToken })).body.email, 'dev@example.com');
    assert.equal((await dev.call('POST', '/setup', { token: devToken, password: 'short' })).status, 400);
    assert.equal((await dev.call('POST', '/setup', { token: devToken, password: 'dev password 123' })).status, 200);
    assert.equal((await AdminClient.signIn(server, 'dev@example.com', 'dev password 123').then((c) => c.call('GET', '/session'))).status, 200);
    await assert.rejects(keymintCli(server, 'admin', 'create', '--email', 'dev@example.com'), /already exists/);
    const scoped = await keymintCli(server, 'admin', 'create', '--email', 'acme@example.com', '--password', 'acme password 1', '--tenant-only');
    assert.equal(scoped.tenant, 'default');
    const logs = server.logs();
    for (const secret of [token, devToken, 'long enough password', 'dev password 123', client.cookie!.split('=')[1]!]) {
      assert.ok(!logs.includes(secret), 'setup tokens, passwords and session cookies never reach the log');
    }
    const stored = JSON.stringify(await server.server.keymint.db.selectFrom('admin_accounts').selectAll().execute());
    assert.ok(!stored.includes('dev password 123') && /scrypt\$32768\$8\$1\$/.test(stored), 'passwords are stored as scrypt hashes');
  } finally {
    await server.close();
  }
});
