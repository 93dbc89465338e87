import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Conflict } from '../errors.js';
import { startTestServer } from '../testing/harness.js';
import { AdminClient, createAdmin } from './testing.js';

/** "rémi" with é as e + U+0301 (decomposed, as macOS keyboards may send it) and as U+00E9. */
const DECOMPOSED = 'Re\u0301mi@Example.com';
const COMPOSED = 'r\u00e9mi@example.com';

test('issue 14: an admin email is one account whatever its Unicode form (RFC 6532 §3.1 NFC): create, sign-in lookup and the attempt budget', { timeout: 60_000 }, async () => {
  const server = await startTestServer();
  try {
    const { keymint } = server.server;
    const { password } = await createAdmin(server, DECOMPOSED);
    await assert.rejects(keymint.admins.createAccount({ email: COMPOSED, password: 'another long password' }, { actor: 'system' }), Conflict, 'the composed form is the same account');

    const admin = await AdminClient.signIn(server, COMPOSED, password);
    assert.equal((await admin.call('GET', '/session')).body.account.email, COMPOSED, 'stored in the one form');

    // Five wrong passwords spread over both forms spend one budget (KEYMINT_ADMIN_SIGNIN_FAILURES_PER_ACCOUNT_ADDRESS, 5).
    for (const email of [DECOMPOSED, COMPOSED, DECOMPOSED, COMPOSED, DECOMPOSED]) {
      assert.equal((await new AdminClient(server).call('POST', '/session', { email, password: 'wrong password' })).status, 401);
    }
    const blocked = await new AdminClient(server).call('POST', '/session', { email: COMPOSED, password });
    assert.equal(blocked.status, 429, 'the budget counts the account, not the bytes that named it');
  } finally {
    await server.close();
  }
});
