import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { basic, postForm, startTestServer, type TestServer } from '../testing/harness.js';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

async function opaqueTokenRows(clientId: string): Promise<number> {
  const row = await server.server.keymint.db.selectFrom('opaque_tokens').select((eb) => eb.fn.countAll<number>().as('n')).where('client_id', '=', clientId).executeTakeFirstOrThrow();
  return Number(row.n);
}

// The parameters below are ones no route reads with param(), so only the rejectDuplicateParams
// hook can refuse them: without the hook each of these requests succeeds.
test('RFC 6749 §3.1: a parameter sent twice at the token endpoint is 400 invalid_request, even one the grant does not read, and no token is issued — a concurrent burst issues none', async () => {
  const app = await server.createApp({ tokenFormat: 'opaque' });
  const form = 'grant_type=client_credentials&x_extension=1&x_extension=2';
  const answers = await Promise.all(Array.from({ length: 8 }, () => postForm(`${server.issuer}/oauth/token`, form, { authorization: basic(app.clientId, app.clientSecret) })));
  for (const answer of answers) {
    assert.equal(answer.status, 400);
    assert.deepEqual(answer.body, { error: 'invalid_request', error_description: 'parameter x_extension was sent more than once' });
    assert.equal(answer.headers.get('cache-control'), 'no-store');
  }
  assert.equal(await opaqueTokenRows(app.clientId), 0, 'no token was stored');
  const once = await postForm(`${server.issuer}/oauth/token`, 'grant_type=client_credentials&x_extension=1', { authorization: basic(app.clientId, app.clientSecret) });
  assert.equal(once.status, 200, 'the same request without the repeat succeeds');
  assert.equal(await opaqueTokenRows(app.clientId), 1);
});

test('RFC 8707 §2: resource may repeat at the token endpoint (the rule\'s one exception): two targets reach the grant and get invalid_target', async () => {
  const app = await server.createApp({ audiences: ['https://a.example', 'https://b.example'] });
  const answer = await postForm(`${server.issuer}/oauth/token`, 'grant_type=client_credentials&resource=https%3A%2F%2Fa.example&resource=https%3A%2F%2Fb.example', { authorization: basic(app.clientId, app.clientSecret) });
  assert.equal(answer.status, 400);
  assert.equal(answer.body.error, 'invalid_target');
});

test('RFC 7662 §2.1, RFC 7009 §2.1 and the envelope profile: a repeated parameter is 400 invalid_request there too', async () => {
  const app = await server.createApp();
  const auth = { authorization: basic(app.clientId, app.clientSecret) };
  for (const path of ['/oauth/introspect', '/oauth/revoke']) {
    const answer = await postForm(`${server.issuer}${path}`, 'token=kma_x&x_extension=1&x_extension=2', auth);
    assert.equal(answer.status, 400, path);
    assert.equal(answer.body.error, 'invalid_request', path);
  }
  const envelope = await postForm(`${server.issuer}/v1/auth/token`, `client_id=${app.clientId}&client_secret=${app.clientSecret}&x_extension=1&x_extension=2`);
  assert.equal(envelope.status, 400);
  assert.equal(envelope.body.error.code_reason, 'invalid_request');
});
