import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createKeymintClient, KeymintAuthError } from '@keymint/sdk/browser';
import { createAuthTokenVerifier } from '@keymint/sdk/node';
import { startTestServer } from '../testing/harness.js';
import { loggedCode } from '../testing/end-users.js';

test('browser SDK against a real server: signUp (unverified) → verifyEmail → changePassword → resetPassword; the Node SDK verifier reports emailVerified', async () => {
  const server = await startTestServer();
  try {
    const appId = (await server.server.keymint.tenants.get('default')).appId;
    const client = () => createKeymintClient({ issuer: server.issuer, appId, storage: 'memory' });
    const kim = client();
    const signedUp = await kim.signUp({ email: 'kim@example.com', password: 'first-password' });
    assert.equal(signedUp.email_verified, false);
    const verifier = createAuthTokenVerifier({ issuer: server.issuer, appId });
    try {
      assert.equal((await verifier.verifyAuthToken((await kim.getAccessToken())!)).emailVerified, false);
      await assert.rejects(kim.verifyEmail({ code: loggedCode(server, 'kim@example.com') === '000000' ? '000001' : '000000' }), (e: KeymintAuthError) => e.error === 'invalid_grant');
      await kim.sendVerificationCode();
      const verified = await kim.verifyEmail({ code: loggedCode(server, 'kim@example.com') });
      assert.equal(verified.email_verified, true);
      assert.equal(kim.getUser()?.email_verified, true);
      assert.equal((await verifier.verifyAuthToken((await kim.getAccessToken())!)).emailVerified, true);
    } finally {
      verifier.close();
    }

    const elsewhere = client();
    await elsewhere.signIn({ email: 'kim@example.com', password: 'first-password' });
    await assert.rejects(kim.changePassword({ currentPassword: 'wrong-password', newPassword: 'second-password' }), (e: KeymintAuthError) => e.status === 400 && e.error === 'invalid_grant');
    await kim.changePassword({ currentPassword: 'first-password', newPassword: 'second-password' });
    assert.ok(await kim.getAccessToken(), 'this session stays');
    const other = await elsewhere.fetch(`${server.issuer}/auth/session`);
    assert.equal(other.status, 401, 'the other session ended');
    await assert.rejects(client().signIn({ email: 'kim@example.com', password: 'first-password' }), (e: KeymintAuthError) => e.error === 'invalid_grant');

    await kim.startOtp({ email: 'kim@example.com', purpose: 'reset' });
    assert.match(server.logs().split('\n').filter((line) => line.includes('kim@example.com')).pop()!, /"purpose":"reset"/);
    const fresh = client();
    const reset = await fresh.resetPassword({ email: 'kim@example.com', code: loggedCode(server, 'kim@example.com'), newPassword: 'third-password' });
    assert.equal(reset.email_verified, true);
    assert.equal((await kim.fetch(`${server.issuer}/auth/session`)).status, 401, 'a reset ends every other session');
    assert.equal((await client().signIn({ email: 'kim@example.com', password: 'third-password' })).id, signedUp.id);
  } finally {
    await server.close();
  }
});
