import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { InvalidToken } from '../errors.js';
import { BearerAuthenticator } from '../resource/authenticate.js';
import { ChangeFeed } from '../store/change-log.js';
import { basic, postForm, startTestServer, TestClock, type TestServer } from '../testing/harness.js';
import { ContactService } from './service.js';

let server: TestServer;
const clock = new TestClock();

async function tokenFor(issuer: string, app: { clientId: string; clientSecret: string }, scope?: string): Promise<string> {
  const form: Record<string, string> = { grant_type: 'client_credentials' };
  if (scope) form.scope = scope;
  const response = await postForm(`${issuer}/oauth/token`, form, { authorization: basic(app.clientId, app.clientSecret) });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body.access_token as string;
}

async function call(url: string, init: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(url, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

describe('Contacts API over HTTP (DESIGN "Resource API", RFC 6750)', () => {
  let contactsUrl: string;
  let readToken: string;
  let writeToken: string;

  before(async () => {
    server = await startTestServer({ clock });
    contactsUrl = `${server.issuer}/api/v1/contacts`;
    readToken = await tokenFor(server.issuer, await server.createApp({ scopes: ['contacts_read'] }));
    writeToken = await tokenFor(server.issuer, await server.createApp({ scopes: ['contacts_read', 'contacts_write'] }), 'contacts_read contacts_write');
  });
  after(() => server.close());

  test('RFC 6750 §3.1: contacts_read lists, and create → 403 insufficient_scope naming contacts_write', async () => {
    const list = await call(contactsUrl, { token: readToken });
    assert.equal(list.status, 200);
    assert.deepEqual(list.body, { data: [], next_cursor: null });
    assert.equal(list.headers.get('cache-control'), 'no-store');

    const create = await call(contactsUrl, { method: 'POST', token: readToken, body: { email: 'a@example.com' } });
    assert.equal(create.status, 403);
    assert.equal(create.body.error, 'insufficient_scope');
    const challenge = create.headers.get('www-authenticate') ?? '';
    assert.match(challenge, /^Bearer realm="[^"]+\/t\/default"/);
    assert.match(challenge, /error="insufficient_scope"/);
    assert.match(challenge, /scope="contacts_write"/);
  });

  test('contacts_write: create (201), get, update, unsubscribe, resubscribe, delete (204)', async () => {
    const created = await call(contactsUrl, { method: 'POST', token: writeToken, body: { email: 'Ada@Example.com', name: 'Ada', tags: ['vip'] } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const contact = created.body;
    assert.match(contact.id, /^ct_/);
    assert.deepEqual({ ...contact, id: undefined, created_at: undefined, updated_at: undefined }, {
      id: undefined, email: 'Ada@Example.com', name: 'Ada', phone: null, tags: ['vip'], status: 'subscribed', created_at: undefined, updated_at: undefined,
    });
    assert.ok(!Number.isNaN(Date.parse(contact.created_at)));

    const got = await call(`${contactsUrl}/${contact.id}`, { token: readToken });
    assert.equal(got.status, 200);
    assert.deepEqual(got.body, contact);

    const duplicate = await call(contactsUrl, { method: 'POST', token: writeToken, body: { email: 'ada@example.COM' } });
    assert.equal(duplicate.status, 409, 'the email is unique per tenant, case-insensitively');

    const updated = await call(`${contactsUrl}/${contact.id}`, { method: 'PATCH', token: writeToken, body: { name: 'Ada Lovelace', phone: '+44 20 7946 0000', tags: [] } });
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    assert.equal(updated.body.name, 'Ada Lovelace');
    assert.equal(updated.body.phone, '+44 20 7946 0000');
    assert.deepEqual(updated.body.tags, []);
    assert.equal(updated.body.email, 'Ada@Example.com');

    const unsubscribed = await call(`${contactsUrl}/${contact.id}/unsubscribe`, { method: 'POST', token: writeToken });
    assert.equal(unsubscribed.status, 200);
    assert.equal(unsubscribed.body.status, 'unsubscribed');
    const listedUnsubscribed = await call(`${contactsUrl}?status=unsubscribed`, { token: readToken });
    assert.deepEqual(listedUnsubscribed.body.data.map((c: { id: string }) => c.id), [contact.id], 'the list cache saw the change');

    const readOnlyResubscribe = await call(`${contactsUrl}/${contact.id}/resubscribe`, { method: 'POST', token: readToken });
    assert.equal(readOnlyResubscribe.status, 403, 'resubscribe needs contacts_write');
    const resubscribed = await call(`${contactsUrl}/${contact.id}/resubscribe`, { method: 'POST', token: writeToken });
    assert.equal(resubscribed.status, 200);
    assert.equal(resubscribed.body.status, 'subscribed');
    const again = await call(`${contactsUrl}/${contact.id}/resubscribe`, { method: 'POST', token: writeToken });
    assert.deepEqual(again.body, resubscribed.body, 'idempotent: a subscribed contact is answered as it is');
    assert.deepEqual((await call(`${contactsUrl}?status=unsubscribed`, { token: readToken })).body.data, []);
    assert.equal((await call(`${contactsUrl}/ct_nobody/resubscribe`, { method: 'POST', token: writeToken })).status, 404);

    const readOnlyDelete = await call(`${contactsUrl}/${contact.id}`, { method: 'DELETE', token: readToken });
    assert.equal(readOnlyDelete.status, 403);

    const deleted = await call(`${contactsUrl}/${contact.id}`, { method: 'DELETE', token: writeToken });
    assert.equal(deleted.status, 204);
    assert.equal((await call(`${contactsUrl}/${contact.id}`, { token: readToken })).status, 404);
    assert.equal((await call(`${contactsUrl}/${contact.id}`, { method: 'DELETE', token: writeToken })).status, 404);
  });

  test('PATCH to an email another contact has → 409', async () => {
    const first = await call(contactsUrl, { method: 'POST', token: writeToken, body: { email: 'one@example.com' } });
    const second = await call(contactsUrl, { method: 'POST', token: writeToken, body: { email: 'two@example.com' } });
    const clash = await call(`${contactsUrl}/${second.body.id}`, { method: 'PATCH', token: writeToken, body: { email: 'ONE@example.com' } });
    assert.equal(clash.status, 409);
    for (const id of [first.body.id, second.body.id]) await call(`${contactsUrl}/${id}`, { method: 'DELETE', token: writeToken });
  });

  test('validation errors say the rule in words: range, allowed values, the unknown parameter — never a regex', async () => {
    const describe = async (url: string, init: Parameters<typeof call>[1] = { token: readToken }) => {
      const response = await call(url, init);
      assert.equal(response.status, 400, JSON.stringify(response.body));
      assert.equal(response.body.error, 'invalid_request');
      assert.doesNotMatch(response.body.error_description, /pattern|\^|\$\)|\[0-9\]/, 'no regex');
      return response.body.error_description as string;
    };
    assert.equal(await describe(`${contactsUrl}?limit=0`), 'querystring.limit must be a whole number from 1 to 100 (page size, default 20)');
    assert.equal(await describe(`${contactsUrl}?limit=ten`), 'querystring.limit must be a whole number from 1 to 100 (page size, default 20)');
    assert.equal(await describe(`${contactsUrl}?status=gone`), 'querystring.status must be one of: subscribed, unsubscribed');
    assert.equal(await describe(`${contactsUrl}?sort=name`), 'querystring has no parameter "sort" (allowed: email, status, q, limit, cursor)');
    assert.equal(await describe(`${contactsUrl}?cursor=a.b`), 'querystring.cursor must be the next_cursor of the previous page');
    const write = (body: unknown) => ({ method: 'POST', token: writeToken, body });
    assert.equal(await describe(contactsUrl, write({ email: 'c@example.com', phone: 'call me' })), 'body.phone must be digits, spaces and + ( ) . / - only');
    assert.equal(await describe(contactsUrl, write({ email: 'c@example.com', nickname: 'c' })), 'body has no field "nickname" (allowed: email, name, phone, tags)');
    assert.equal(await describe(contactsUrl, write({ email: 'not-an-email' })), 'body.email must be an email address');
    // The name is the caller's text, and RFC 6750 §3 puts the description in WWW-Authenticate too.
    assert.equal(await describe(contactsUrl, write({ email: 'c@example.com', 'é\u0100': 1 })), 'body has no field "é\u0100" (allowed: email, name, phone, tags)');
    assert.equal(await describe(contactsUrl, write({ email: 'c@example.com', name: 'x'.repeat(201) })), 'body.name must be at most 200 characters long');
    assert.equal(await describe(contactsUrl, write({ email: 'c@example.com', tags: ['a', 'a'] })), 'body.tags must not repeat a value (items 0 and 1 are the same)');
    assert.equal(await describe(contactsUrl, write({ name: 'x' })), 'body.email is required');
    assert.equal(await describe(`${contactsUrl}/ct_x`, { method: 'PATCH', token: writeToken, body: {} }), 'body must name at least one field (allowed: email, name, phone, tags)');
  });

  test('validation errors are 400 invalid_request naming the field', async () => {
    const badEmail = await call(contactsUrl, { method: 'POST', token: writeToken, body: { email: 'not-an-email' } });
    assert.equal(badEmail.status, 400);
    assert.equal(badEmail.body.error, 'invalid_request');
    assert.match(badEmail.body.error_description, /body\.email/);

    const missing = await call(contactsUrl, { method: 'POST', token: writeToken, body: { name: 'x' } });
    assert.equal(missing.status, 400);
    assert.match(missing.body.error_description, /email/);

    const badTags = await call(contactsUrl, { method: 'POST', token: writeToken, body: { email: 'b@example.com', tags: 'vip' } });
    assert.equal(badTags.status, 400);
    assert.match(badTags.body.error_description, /body\.tags/);

    const badLimit = await call(`${contactsUrl}?limit=0`, { token: readToken });
    assert.equal(badLimit.status, 400);
    assert.match(badLimit.body.error_description, /querystring\.limit/);
    assert.equal((await call(`${contactsUrl}?limit=101`, { token: readToken })).status, 400);

    const badStatus = await call(`${contactsUrl}?status=gone`, { token: readToken });
    assert.equal(badStatus.status, 400);
    assert.match(badStatus.body.error_description, /querystring\.status/);

    const badCursor = await call(`${contactsUrl}?cursor=abc`, { token: readToken });
    assert.equal(badCursor.status, 400);
    assert.match(badCursor.body.error_description, /cursor/);

    const emptyPatch = await call(`${contactsUrl}/ct_x`, { method: 'PATCH', token: writeToken, body: {} });
    assert.equal(emptyPatch.status, 400);
  });

  test('an unauthenticated request gets 401 before any validation (schemas are not revealed)', async () => {
    const response = await call(contactsUrl, { method: 'POST', body: { nonsense: true } });
    assert.equal(response.status, 401);
  });

  test('list filters (email, status, q) and cursor pagination across pages', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      const created = await call(contactsUrl, {
        method: 'POST',
        token: writeToken,
        body: { email: `person${i}@list.example`, name: i % 5 === 0 ? `Grace ${i}` : `Person ${i}` },
      });
      assert.equal(created.status, 201);
      ids.push(created.body.id);
    }
    for (const id of ids.slice(0, 3)) await call(`${contactsUrl}/${id}/unsubscribe`, { method: 'POST', token: writeToken });

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await call(`${contactsUrl}?limit=10${cursor ? `&cursor=${cursor}` : ''}`, { token: readToken });
      assert.equal(page.status, 200);
      assert.ok(page.body.data.length <= 10);
      seen.push(...page.body.data.map((c: { id: string }) => c.id));
      cursor = page.body.next_cursor;
      pages += 1;
    } while (cursor !== null && pages < 10);
    assert.equal(pages, 3);
    assert.deepEqual(seen, ids, 'every contact exactly once, in creation order');

    const defaultPage = await call(contactsUrl, { token: readToken });
    assert.equal(defaultPage.body.data.length, 20, 'limit defaults to 20');

    const unsubscribed = await call(`${contactsUrl}?status=unsubscribed`, { token: readToken });
    assert.deepEqual(unsubscribed.body.data.map((c: { id: string }) => c.id), ids.slice(0, 3));
    const subscribed = await call(`${contactsUrl}?status=subscribed&limit=100`, { token: readToken });
    assert.equal(subscribed.body.data.length, 22);

    const byEmail = await call(`${contactsUrl}?email=PERSON7@list.example`, { token: readToken });
    assert.deepEqual(byEmail.body.data.map((c: { id: string }) => c.id), [ids[7]]);

    const byName = await call(`${contactsUrl}?q=grace`, { token: readToken });
    assert.deepEqual(byName.body.data.map((c: { id: string }) => c.id), [ids[0], ids[5], ids[10], ids[15], ids[20]]);
    const byEmailText = await call(`${contactsUrl}?q=${encodeURIComponent('person1')}&limit=100`, { token: readToken });
    assert.deepEqual(byEmailText.body.data.map((c: { id: string }) => c.id).sort(), [1, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19].map((i) => ids[i]).sort());
    const wildcard = await call(`${contactsUrl}?q=${encodeURIComponent('%')}`, { token: readToken });
    assert.deepEqual(wildcard.body.data, [], 'LIKE wildcards in q are matched literally');

    const filteredPages = await call(`${contactsUrl}?status=subscribed&limit=20`, { token: readToken });
    const rest = await call(`${contactsUrl}?status=subscribed&limit=20&cursor=${filteredPages.body.next_cursor}`, { token: readToken });
    assert.equal(rest.body.data.length, 2);
    assert.equal(rest.body.next_cursor, null);
  });

  test('tenant isolation: a tenant B token sees nothing of A, is refused on A, and with A as X-Tenant-Id', async () => {
    await server.server.keymint.tenants.create('beta');
    const betaIssuer = `${server.url}/t/beta`;
    const betaToken = await tokenFor(betaIssuer, await server.createApp({ tenant: 'beta', scopes: ['contacts_read', 'contacts_write'] }), 'contacts_read contacts_write');
    const betaContacts = `${betaIssuer}/api/v1/contacts`;

    const own = await call(betaContacts, { token: betaToken });
    assert.equal(own.status, 200);
    assert.deepEqual(own.body.data, [], "tenant A's contacts are not visible in B");
    const created = await call(betaContacts, { method: 'POST', token: betaToken, body: { email: 'person0@list.example' } });
    assert.equal(created.status, 201, 'the same email may exist in another tenant');

    const onA = await call(contactsUrl, { token: betaToken });
    assert.equal(onA.status, 401, "B's token is foreign to A's issuer");
    assert.match(onA.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    const aContact = (await call(contactsUrl, { token: readToken })).body.data[0];
    assert.equal((await call(`${betaContacts}/${aContact.id}`, { token: betaToken })).status, 404);

    const wrongTenantHeader = await call(betaContacts, { token: betaToken, headers: { 'x-tenant-id': 'default' } });
    assert.equal(wrongTenantHeader.status, 403);
    const aWithBHeader = await call(contactsUrl, { token: readToken, headers: { 'x-tenant-id': 'beta' } });
    assert.equal(aWithBHeader.status, 403, "a token of A is refused with B's X-Tenant-Id");
    const rightTenantHeader = await call(betaContacts, { token: betaToken, headers: { 'x-tenant-id': 'beta' } });
    assert.equal(rightTenantHeader.status, 200);
  });

  test('RFC 6750 §3.1: no token → 401 with a challenge that carries no error code', async () => {
    const response = await call(contactsUrl);
    assert.equal(response.status, 401);
    const challenge = response.headers.get('www-authenticate') ?? '';
    // RFC 9728 §5.1: where the metadata of this resource (`{issuer}/api`) is.
    const metadata = `resource_metadata="${server.url}/.well-known/oauth-protected-resource/t/default/api"`;
    assert.equal(challenge, `Bearer realm="${server.issuer}", ${metadata}, DPoP realm="${server.issuer}", algs="ES256 ES384 EdDSA Ed25519 RS256 PS256", ${metadata}`);
    const basicAuth = await call(contactsUrl, { headers: { authorization: 'Basic Zm9vOmJhcg==' } });
    assert.equal(basicAuth.status, 401);
    assert.doesNotMatch(basicAuth.headers.get('www-authenticate') ?? '', /error=/);
  });

  test('RFC 6750 §3.1: malformed and garbage tokens → 401 invalid_token, never 5xx', async () => {
    for (const token of ['garbage', 'a.b.c', 'eyJhbGciOiJub25lIn0.eyJ9.', `${readToken}x`, 'kmk_unknownprefixtoken', 'zz_notatoken', 'x'.repeat(9000)]) {
      const response = await call(contactsUrl, { token });
      assert.equal(response.status, 401, token.slice(0, 40));
      assert.match(response.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    }
    const malformedHeader = await call(contactsUrl, { headers: { authorization: 'Bearer two words' } });
    assert.equal(malformedHeader.status, 400, 'a malformed Authorization header is a malformed request (RFC 6750 §3.1)');
    assert.equal(malformedHeader.body.error, 'invalid_request');
  });

  test('RFC 6750 §2: a token sent two ways (header and access_token) → 400 invalid_request', async () => {
    const response = await call(`${contactsUrl}?access_token=${readToken}`, { token: readToken });
    assert.equal(response.status, 400);
    assert.equal(response.body.error, 'invalid_request');
    const inBody = await call(contactsUrl, { method: 'POST', token: writeToken, body: { email: 'z@example.com', access_token: writeToken } });
    assert.equal(inBody.status, 400);
    assert.equal(inBody.body.error, 'invalid_request');
  });

  test('a token for another audience is refused (RFC 9068 §4)', async () => {
    const app = await server.createApp({ scopes: ['contacts_read'], audiences: ['https://other.example/api'] });
    const response = await postForm(`${server.issuer}/oauth/token`, { grant_type: 'client_credentials', audience: 'https://other.example/api' }, { authorization: basic(app.clientId, app.clientSecret) });
    assert.equal(response.status, 200);
    const refused = await call(contactsUrl, { token: response.body.access_token });
    assert.equal(refused.status, 401);
  });

  test('Bearer resolvers given at construction: a prefix resolves to a principal; one of another tenant is refused', async () => {
    const { keymint } = server.server;
    const bearer = new BearerAuthenticator({
      keys: keymint.keys, now: keymint.now, isRevoked: () => false, dpop: keymint.dpop,
      resolvers: {
        kmt_: async (token) => ({ tenantSlug: token === 'kmt_mine' ? 'default' : 'beta', clientId: null, scopes: ['contacts_read'], kind: 'test_token', subject: token }),
      },
    });
    const context = { tenant: await keymint.tenants.get('default'), issuer: server.issuer };
    assert.equal((await bearer.authenticate('kmt_mine', context)).subject, 'kmt_mine');
    await assert.rejects(bearer.authenticate('kmt_theirs', context), InvalidToken);
    await assert.rejects(bearer.authenticate('kmx_unknown', context), InvalidToken);
    // Without a revocation check there is no authenticator at all (it would accept revoked JWTs).
    assert.throws(() => new BearerAuthenticator({ keys: keymint.keys, now: keymint.now, resolvers: {} } as never), TypeError);
  });

  test('cached list pages: a write made by another node (or the CLI) shows within a change-log poll', async () => {
    const filtered = `${contactsUrl}?q=othernode`;
    assert.deepEqual((await call(filtered, { token: readToken })).body.data, []);
    assert.deepEqual((await call(filtered, { token: readToken })).body.data, [], 'now served from the cache');
    const { keymint } = server.server;
    // Another process: same database, its own change feed (nothing reaches this server in memory).
    const otherNode = new ContactService({ db: keymint.db, changes: new ChangeFeed(keymint.db, 60_000, () => {}), now: keymint.now });
    const tenant = await keymint.tenants.get('default');
    const created = await otherNode.create(tenant.id, { email: 'othernode@example.com' });
    const deadline = Date.now() + 2_000;
    let seen: { id: string }[] = [];
    while (Date.now() < deadline) {
      seen = (await call(filtered, { token: readToken })).body.data;
      if (seen.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.deepEqual(seen.map((c) => c.id), [created.id]);
    const deleted = await call(`${contactsUrl}/${created.id}`, { method: 'DELETE', token: writeToken });
    assert.equal(deleted.status, 204);
    assert.deepEqual((await call(filtered, { token: readToken })).body.data, [], 'this node sees its own write at once');
  });

  test('RFC 7009 §2: a JWT revoked at the revocation endpoint is refused by the resource API even after it was cached', async () => {
    const app = await server.createApp({ scopes: ['contacts_read'] });
    const token = await tokenFor(server.issuer, app);
    assert.equal((await call(contactsUrl, { token })).status, 200);
    const revoked = await postForm(`${server.issuer}/oauth/revoke`, { token, token_type_hint: 'access_token' }, { authorization: basic(app.clientId, app.clientSecret) });
    assert.equal(revoked.status, 200);
    const refused = await call(contactsUrl, { token });
    assert.equal(refused.status, 401);
    assert.match(refused.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    assert.match(refused.body.error_description, /revoked/);
    assert.equal((await call(contactsUrl, { token: readToken })).status, 200);
  });

  test('/openapi.json documents the contacts routes with their schemas', async () => {
    const doc = await call(`${server.url}/openapi.json`);
    const list = doc.body.paths['/t/{tenant}/api/v1/contacts'];
    assert.ok(list?.get && list.post);
    assert.ok(JSON.stringify(list.post).includes('email'));
    assert.deepEqual(list.get.security, [{ bearerAuth: ['contacts_read'] }]);
    for (const action of ['unsubscribe', 'resubscribe']) {
      const operation = doc.body.paths[`/t/{tenant}/api/v1/contacts/{id}/${action}`]?.post;
      assert.ok(operation, action);
      assert.deepEqual(operation.security, [{ bearerAuth: ['contacts_write'] }]);
      assert.ok(operation.responses['200'], `${action} documents its answer`);
    }
  });

  // Last: moves the shared clock past every token's expiry.
  test('RFC 6750 §3.1: an expired token → 401 invalid_token', async () => {
    clock.advance(3 * 3600 * 1000);
    const response = await call(contactsUrl, { token: readToken });
    assert.equal(response.status, 401);
    assert.match(response.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    assert.match(response.body.error_description, /expired/);
  });
});
