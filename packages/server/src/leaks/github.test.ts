import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AdminClient, createAdmin } from '../admin/testing.js';
import { call } from '../testing/end-users.js';
import { basic, postForm, startTestServer, type TestServer } from '../testing/harness.js';
import { fetchToken } from '../testing/tokens.js';
import { fakeGitHub } from './testing.js';

/** One live credential of every kind, made through real HTTP where a client would get it. */
async function liveCredentials(server: TestServer) {
  const { keymint } = server.server;
  const tenant = await keymint.tenants.get('default');
  const app = await server.createApp();
  const opaqueApp = await server.createApp({ tokenFormat: 'opaque' });
  const accessToken = await fetchToken(server.issuer, opaqueApp.clientId, opaqueApp.clientSecret);
  assert.match(accessToken, /^kma_/);
  const apiToken = (await keymint.apiTokens.create(tenant.id, await keymint.tenants.scopes(tenant.id), { name: 'ci' }, { actor: 'cli' })).token;
  const signup = await call(`${server.issuer}/auth/signup`, { email: 'leaky@example.com', password: 'correct horse battery' });
  assert.equal(signup.status, 201);
  const owner = await createAdmin(server, 'owner@example.com');
  const admin = await AdminClient.signIn(server, owner.email, owner.password);
  const adminToken = (await admin.call('POST', '/admin-tokens', { name: 'script' })).body.token as string;
  assert.match(adminToken, /^kmo_/);
  return { app, opaqueApp, clientSecret: app.clientSecret, accessToken, apiToken, refreshToken: signup.body.refresh_token as string, adminToken };
}

const contacts = (server: TestServer, token: string) => fetch(`${server.issuer}/api/v1/contacts`, { headers: { authorization: `Bearer ${token}` } });

test('GitHub secret scanning: a signed report revokes every live kms_/kmk_/kma_/kmr_/kmo_ credential, each then refused where it was used', async () => {
  const github = fakeGitHub();
  const server = await startTestServer({ env: github.env });
  try {
    const live = await liveCredentials(server);
    // Working before the report.
    assert.equal((await contacts(server, live.apiToken)).status, 200);
    assert.equal((await contacts(server, live.accessToken)).status, 200);

    const matches = [
      { token: live.clientSecret, type: 'keymint_client_secret', url: 'https://github.com/o/r/blob/main/.env', source: 'content' },
      { token: live.apiToken, type: 'keymint_api_token', url: 'https://github.com/o/r/blob/main/ci.yml', source: 'content' },
      { token: live.accessToken, type: 'keymint_access_token', source: 'content' },
      { token: live.refreshToken, type: 'keymint_refresh_token', source: 'commit' },
      { token: live.adminToken, type: 'keymint_admin_token', source: 'issue' },
    ];
    const answer = await github.report(server.url, matches);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(answer.body, matches.map((m) => ({ token_raw: m.token, token_type: m.type, label: 'true_positive' })));

    // Each credential is now refused where it works.
    const token = await postForm(`${server.issuer}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(live.app.clientId, live.clientSecret) });
    assert.equal(token.status, 401);
    assert.equal(token.body.error, 'invalid_client');
    assert.equal((await contacts(server, live.apiToken)).status, 401);
    assert.equal((await contacts(server, live.accessToken)).status, 401);
    const refresh = await postForm(`${server.issuer}/oauth/token`, { grant_type: 'refresh_token', refresh_token: live.refreshToken, client_id: (await server.server.keymint.tenants.get('default')).appId });
    assert.equal(refresh.body.error, 'invalid_grant', JSON.stringify(refresh.body));
    assert.equal((await AdminClient.withToken(server, live.adminToken).call('GET', '/tenants')).status, 401);
    // The other app's secret was not in the report and still works.
    await fetchToken(server.issuer, live.opaqueApp.clientId, live.opaqueApp.clientSecret);

    // One credential.leaked per credential, naming its kind and where it was seen, never the credential.
    const { keymint } = server.server;
    const leaked = (await keymint.audit.query({ tenantId: undefined, action: 'credential.leaked' })).reverse();
    assert.deepEqual(leaked.map((e) => e.detail), [
      { type: 'client_secret', source: 'github', url: matches[0]!.url },
      { type: 'api_token', source: 'github', url: matches[1]!.url },
      { type: 'access_token', source: 'github' },
      { type: 'refresh_token', source: 'github' },
      { type: 'admin_token', source: 'github' },
    ]);
    const everything = JSON.stringify(await keymint.audit.query({ tenantId: undefined, limit: 1000 })) + server.logs();
    for (const m of matches) assert.ok(!everything.includes(m.token), `${m.type} is in no audit entry or log line`);

    // The same report again: nothing is live any more, so every match is a false positive.
    const again = await github.report(server.url, matches);
    assert.deepEqual(again.body.map((m: { label: string }) => m.label), matches.map(() => 'false_positive'));
    assert.equal((await keymint.audit.query({ tenantId: undefined, action: 'credential.leaked' })).length, 5);
  } finally {
    await server.close();
  }
});

test('GitHub secret scanning: made-up, mistyped and foreign tokens are labelled false_positive and touch nothing', async () => {
  const github = fakeGitHub();
  const server = await startTestServer({ env: github.env });
  try {
    const app = await server.createApp();
    const mistyped = app.clientSecret.slice(0, 10) + (app.clientSecret[10] === 'a' ? 'b' : 'a') + app.clientSecret.slice(11);
    const matches = [
      { token: mistyped, type: 'keymint_client_secret' },
      { token: 'kmk_' + 'A'.repeat(38), type: 'keymint_api_token' },
      { token: 'ghp_notours0000000000000000000000000000', type: 'keymint_api_token' },
    ];
    const answer = await github.report(server.url, matches);
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body.map((m: { label: string }) => m.label), ['false_positive', 'false_positive', 'false_positive']);
    await fetchToken(server.issuer, app.clientId, app.clientSecret);
  } finally {
    await server.close();
  }
});

test('GitHub secret scanning: the signature is checked over the raw bytes; wrong, foreign-key, unknown-key and re-serialized reports revoke nothing', async () => {
  const github = fakeGitHub();
  const impostor = fakeGitHub(github.keyIdentifier);
  const server = await startTestServer({ env: github.env });
  try {
    const app = await server.createApp();
    const body = JSON.stringify([{ token: app.clientSecret, type: 'keymint_client_secret' }]);
    const send = (headers: Record<string, string>, sent = body) =>
      fetch(`${server.url}/leaks/github`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: sent });

    // Signed by another key under GitHub's key id.
    const forged = await send(impostor.headers(body));
    assert.equal(forged.status, 401);
    assert.equal(((await forged.json()) as { error: string }).error, 'invalid_signature');
    // A key id GitHub never published.
    const unknown = await send({ ...github.headers(body), 'github-public-key-identifier': 'not-a-github-key' });
    assert.equal(unknown.status, 401);
    // The same JSON, re-serialized with other whitespace: the signature covered other bytes.
    const reformatted = JSON.stringify(JSON.parse(body), null, 2);
    const reserialized = await send(github.headers(body), reformatted);
    assert.equal(reserialized.status, 401);
    // Garbage in the signature header, and no headers at all.
    assert.equal((await send({ ...github.headers(body), 'github-public-key-signature': '!!!' })).status, 401);
    const unsigned = await send({});
    assert.equal(unsigned.status, 400);
    assert.equal(((await unsigned.json()) as { error: string }).error, 'invalid_request');
    // The secret survived every one of them.
    await fetchToken(server.issuer, app.clientId, app.clientSecret);

    // Correctly signed bytes that are not GitHub's report shape: 400, never 5xx.
    for (const bad of ['{"token":"x"}', 'not json', '[]', JSON.stringify(Array.from({ length: 101 }, () => ({ token: 'kms_x', type: 't' })))]) {
      const answer = await send(github.headers(bad), bad);
      assert.equal(answer.status, 400, bad.slice(0, 40));
      assert.equal(((await answer.json()) as { error: string }).error, 'invalid_request');
    }
    // Only JSON is read, and the body is bounded.
    assert.equal((await fetch(`${server.url}/leaks/github`, { method: 'POST', headers: { 'content-type': 'text/plain', ...github.headers(body) }, body })).status, 400);
    const huge = JSON.stringify([{ token: 'x'.repeat(70 * 1024), type: 't' }]);
    assert.equal((await send(github.headers(huge), huge)).status, 413);
  } finally {
    await server.close();
  }
});

test('GitHub secret scanning: a burst of reports from one address is rate-limited (KEYMINT_GITHUB_LEAK_REPORTS_PER_MINUTE)', async () => {
  const github = fakeGitHub();
  const server = await startTestServer({ env: { ...github.env, KEYMINT_GITHUB_LEAK_REPORTS_PER_MINUTE: '5' } });
  try {
    const answers = await Promise.all(Array.from({ length: 12 }, () => github.report(server.url, [{ token: 'kmk_' + 'B'.repeat(38), type: 'keymint_api_token' }])));
    const statuses = answers.map((a) => a.status);
    assert.equal(statuses.filter((s) => s === 200).length, 5, statuses.join(','));
    assert.equal(statuses.filter((s) => s === 429).length, 7);
  } finally {
    await server.close();
  }
});
