import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { basic, postForm, startTestServer, type TestServer } from '../testing/harness.js';

/** The usual first mistakes get answers that say what to do instead (issue 18). */
describe('answers that lead the way', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  test('/ (the first URL of the start-up banner) is a page linking the console, the API docs and discovery', async () => {
    const response = await fetch(`${server.url}/`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(response.headers.get('x-frame-options'), 'DENY');
    const page = await response.text();
    for (const link of ['/console/', '/docs', '/t/default/.well-known/oauth-authorization-server']) assert.ok(page.includes(`href="${link}"`), link);
    const discovery = await fetch(`${server.url}/t/default/.well-known/oauth-authorization-server`);
    assert.equal(discovery.status, 200, 'the discovery link works');
  });

  for (const endpoint of ['oauth/token', 'oauth/introspect', 'oauth/revoke']) {
    test(`RFC 9110 §15.5.6: GET /t/{tenant}/${endpoint} → 405 with Allow: POST, in the OAuth error shape`, async () => {
      const response = await fetch(`${server.issuer}/${endpoint}`);
      assert.equal(response.status, 405);
      const allow = (response.headers.get('allow') ?? '').split(', ');
      assert.ok(allow.includes('POST'), `Allow: ${allow.join(', ')}`);
      assert.ok(!allow.includes('GET'));
      const body = (await response.json()) as { error: string; error_description: string };
      assert.equal(body.error, 'invalid_request');
      assert.match(body.error_description, new RegExp(`/t/default/${endpoint} does not take GET: use .*POST`));
      assert.equal(response.headers.get('cache-control'), 'no-store');
    });
  }

  test('a path that exists nowhere stays a 404, with no Allow header', async () => {
    const response = await fetch(`${server.issuer}/oauth/nothing-here`);
    assert.equal(response.status, 404);
    assert.equal(response.headers.get('allow'), null);
  });

  test('POST /oauth/token without /t/{tenant} → 404 that says where the endpoints are', async () => {
    const response = await postForm(`${server.url}/oauth/token`, { grant_type: 'client_credentials' });
    assert.equal(response.status, 404);
    assert.equal(response.body.error, 'not_found');
    assert.match(response.body.error_description as string, /\/t\/\{tenant\}\/oauth\/token/);
    assert.match(response.body.error_description as string, /\/t\/\{tenant\}\/\.well-known\/oauth-authorization-server/);
  });

  test('RFC 6749 §3.3: a comma-separated scope list → invalid_scope saying scopes are space-separated', async () => {
    const app = await server.createApp({ scopes: ['contacts_read', 'contacts_write'] });
    const auth = { authorization: basic(app.clientId, app.clientSecret) };
    const commas = await postForm(`${server.issuer}/oauth/token`, { grant_type: 'client_credentials', scope: 'contacts_read,contacts_write' }, auth);
    assert.equal(commas.status, 400);
    assert.equal(commas.body.error, 'invalid_scope');
    assert.match(commas.body.error_description as string, /separated by spaces, not commas/);
    const unknown = await postForm(`${server.issuer}/oauth/token`, { grant_type: 'client_credentials', scope: 'billing' }, auth);
    assert.equal(unknown.body.error_description, 'scope not enabled for this app: billing', 'no comma, no hint');
    const spaces = await postForm(`${server.issuer}/oauth/token`, { grant_type: 'client_credentials', scope: 'contacts_read contacts_write' }, auth);
    assert.equal(spaces.status, 200);
  });
});
