import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDoc } from '../testing/docs.js';
import { startTestServer } from '../testing/harness.js';

test('docs/profiles.md: every bash example runs as written against a server (issuer line changed)', async () => {
  const server = await startTestServer();
  try {
    // The IdentityServer example keeps the token for its API call.
    const { stdout, output } = await runDoc('docs/profiles.md', server, 'test -n "$TOKEN" && echo "@@token ok"');
    assert.match(stdout, /@@token ok/);
    // Each token request printed a token: RFC 6749 ×2, envelope, signed ×2 (the IdentityServer one is captured).
    assert.equal(stdout.match(/"access_token":"ey/g)?.length, 5, output);
    assert.match(stdout, /"data":\{"access_token"/);
    assert.match(stdout, /"expires_in":300/);
    assert.match(stdout, /"expires_in":600/);
    // The IdentityServer token with X-Tenant-Id, and the API token, each read the contacts.
    assert.equal(stdout.match(/^\{"data":\[\],"next_cursor":null\}$/gm)?.length, 2, output);
  } finally {
    await server.close();
  }
});
