import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keymintCli } from '../testing/cli.js';
import { basic, postForm, startTestServer } from '../testing/harness.js';

test('secret rotation under load: add a second secret, switch, revoke the first — zero failed requests, then invalid_client for the old one', { timeout: 120_000 }, async () => {
  const server = await startTestServer();
  try {
    const app = await server.createApp();
    const tokenUrl = `${server.issuer}/oauth/token`;
    let secret = app.clientSecret;
    let done = false;
    let ok = 0;
    const failures: unknown[] = [];
    // Two clients requesting tokens back to back over real HTTP, bounded so a bug cannot hang the suite.
    const worker = async () => {
      for (let i = 0; i < 5_000 && !done; i++) {
        const response = await postForm(tokenUrl, { grant_type: 'client_credentials' }, { authorization: basic(app.clientId, secret) });
        if (response.status === 200) ok++;
        else failures.push({ status: response.status, body: response.body });
      }
    };
    const workers = [worker(), worker()];

    const added = await keymintCli(server, 'app', 'secret', 'add', app.clientId, '--expires-in', '7d');
    const expiresIn = Date.parse(added.expires_at) - Date.now();
    assert.ok(Math.abs(expiresIn - 7 * 86_400_000) < 60_000, 'expires in 7 days');
    await new Promise((resolve) => setTimeout(resolve, 150)); // the server sees the CLI's write within a change-feed poll

    for (const each of [app.clientSecret, added.client_secret]) {
      const response = await postForm(tokenUrl, { grant_type: 'client_credentials' }, { authorization: basic(app.clientId, each) });
      assert.equal(response.status, 200, 'both secrets work during the overlap');
    }
    secret = added.client_secret;
    const beforeRevoke = ok;
    while (ok < beforeRevoke + 20) await new Promise((resolve) => setTimeout(resolve, 10));

    const revoked = await keymintCli(server, 'app', 'secret', 'revoke', app.clientId, app.secretId);
    assert.equal(revoked.status, 'revoked');
    await new Promise((resolve) => setTimeout(resolve, 150));
    const old = await postForm(tokenUrl, { grant_type: 'client_credentials' }, { authorization: basic(app.clientId, app.clientSecret) });
    assert.equal(old.status, 401);
    assert.equal(old.body.error, 'invalid_client');

    const afterRevoke = ok;
    while (ok < afterRevoke + 20) await new Promise((resolve) => setTimeout(resolve, 10));
    done = true;
    await Promise.all(workers);
    assert.deepEqual(failures, [], 'no request with the right secret failed');
    assert.ok(ok >= 40);

    const { secrets } = await keymintCli(server, 'app', 'secret', 'list', app.clientId);
    assert.deepEqual(secrets.map((s: { status: string }) => s.status), ['revoked', 'active']);
    const audit = await server.server.keymint.audit.list((await server.server.keymint.tenants.get('default')).id);
    assert.ok(audit.some((e) => e.action === 'app.secret_added' && e.actor === 'cli'));
    assert.ok(audit.some((e) => e.action === 'app.secret_revoked' && e.actor === 'cli'));
    console.log(`# rotation under load: ${ok} tokens issued, 0 failures`);
  } finally {
    await server.close();
  }
});
