import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestServer, TestClock, type TestServer } from '../testing/harness.js';
import { postJsonFrom } from '../testing/http-from.js';
import { loggedCode } from '../testing/end-users.js';
import { within } from '../testing/wait.js';

/**
 * NIST SP 800-63B §5.2.2 and OWASP ASVS 5.0 V6.3: a stranger who knows an email address cannot
 * lock its owner out. Failures count per account *and* address; only the per-account ceiling
 * (all addresses together) throttles the account, until its window ends; an emailed code works
 * throughout. 127.0.0.1–127.0.0.4 play the strangers and the owner.
 */
const PER_ACCOUNT_ADDRESS = 3;
const CEILING = 6;

async function failedChecks(server: TestServer, email: string): Promise<number> {
  await server.server.keymint.audit.flush();
  return (await server.server.keymint.audit.list((await server.server.keymint.tenants.get('default')).id)).filter((e) => e.action === 'user.sign_in_failed' && e.target === email).length;
}

test('NIST SP 800-63B §5.2.2: no lock-out by strangers — per account+address budgets, a per-account ceiling that throttles (not disables), and the emailed code still signs in', { timeout: 60_000 }, async () => {
  const clock = new TestClock();
  const server = await startTestServer({
    clock,
    env: { KEYMINT_SIGNIN_FAILURES_PER_ACCOUNT_ADDRESS: String(PER_ACCOUNT_ADDRESS), KEYMINT_SIGNIN_FAILURES_PER_ACCOUNT: String(CEILING), KEYMINT_SIGNIN_WINDOW: '60' },
  });
  const signIn = (from: string, password: string) => postJsonFrom(from, `${server.issuer}/auth/signin`, { email: 'carol@example.com', password });
  try {
    const signedUp = await postJsonFrom('127.0.0.9', `${server.issuer}/auth/signup`, { email: 'carol@example.com', password: 'carol-password' });
    assert.equal(signedUp.status, 201);
    // Carol proves her email with the code mailed at sign-up, so her password is hers (a code
    // sign-in into an unproven account would remove it: users/email-proof.ts).
    const proven = await postJsonFrom('127.0.0.9', `${server.issuer}/auth/email/verify`, { code: loggedCode(server, 'carol@example.com') }, { authorization: `Bearer ${signedUp.body.access_token}` });
    assert.equal(proven.status, 204);

    // A stranger spends the budget of its own address...
    for (let i = 0; i < PER_ACCOUNT_ADDRESS; i++) assert.equal((await signIn('127.0.0.1', `guess-${i}-guess`)).status, 400);
    const limited = await signIn('127.0.0.1', 'carol-password');
    assert.equal(limited.status, 429, 'from the stranger\'s address even the right password is not checked');
    assert.ok(Number(limited.headers['retry-after']) >= 1 && Number(limited.headers['retry-after']) <= 60);
    // ...which does not touch the owner's.
    assert.equal((await signIn('127.0.0.2', 'carol-password')).status, 200, 'the owner from another address is not refused below the ceiling');

    // A second address brings the account to its ceiling: the account is throttled everywhere.
    for (let i = 0; i < PER_ACCOUNT_ADDRESS; i++) assert.equal((await signIn('127.0.0.3', `other-${i}-guess`)).status, 400);
    assert.equal(await failedChecks(server, 'carol@example.com'), CEILING);
    assert.equal((await signIn('127.0.0.2', 'carol-password')).status, 429, 'past the ceiling the account is throttled');
    assert.equal((await signIn('127.0.0.4', 'yet-another-guess')).status, 429);
    assert.equal(await failedChecks(server, 'carol@example.com'), CEILING, 'no password was checked past the ceiling');
    const { keymint } = server.server;
    const throttled = (await keymint.audit.list((await keymint.tenants.get('default')).id)).filter((e) => e.action === 'user.sign_in_throttled');
    assert.deepEqual(throttled.map((e) => [e.target, e.detail]), [['carol@example.com', { failures: CEILING, window_seconds: 60 }]], 'audited once, when the ceiling was reached');

    // The other channel the owner controls still works while passwords are throttled.
    // Sign-up mailed a verification code already: the one to use is the newest.
    const codeLines = () => server.logs().split('\n').filter((l) => l.includes('sign-in code written to the log'));
    const mailedBefore = codeLines().length;
    assert.equal((await postJsonFrom('127.0.0.2', `${server.issuer}/auth/otp/start`, { email: 'carol@example.com' })).status, 204);
    await within(5_000, 'the development-mode code', async () => codeLines().length > mailedBefore);
    const code = loggedCode(server, 'carol@example.com');
    const byCode = await postJsonFrom('127.0.0.2', `${server.issuer}/auth/otp/verify`, { email: 'carol@example.com', code });
    assert.equal(byCode.status, 200, 'a valid emailed code signs in while password sign-in is throttled');
    assert.equal(byCode.body.user.email, 'carol@example.com');

    // Throttled, not disabled: the next window starts afresh.
    clock.advance(61_000);
    assert.equal((await signIn('127.0.0.2', 'carol-password')).status, 200);
    assert.equal((await signIn('127.0.0.1', 'carol-password')).status, 200, 'the stranger\'s address too, once its window has ended');
  } finally {
    await server.close();
  }
});

test('NIST SP 800-63B §5.2.2: admins — a stranger spending one address\'s budget does not stop the owner signing in from another', { timeout: 60_000 }, async () => {
  const server = await startTestServer();
  const signIn = (from: string, password: string) => postJsonFrom(from, `${server.url}/admin/v1/session`, { email: 'root@example.com', password }, { origin: server.url });
  try {
    await server.server.keymint.admins.createAccount({ email: 'root@example.com', password: 'root-password-123' }, { actor: 'system' });
    for (let i = 0; i < 5; i++) assert.equal((await signIn('127.0.0.1', `wrong password ${i}`)).status, 401);
    const limited = await signIn('127.0.0.1', 'root-password-123');
    assert.equal(limited.status, 429, 'default: 5 per account and address per 15 min');
    assert.ok(Number(limited.headers['retry-after']) > 60 && Number(limited.headers['retry-after']) <= 900);
    assert.equal((await signIn('127.0.0.2', 'root-password-123')).status, 200);
  } finally {
    await server.close();
  }
});
