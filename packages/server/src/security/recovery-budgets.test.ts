import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { verifyPassword } from '../crypto/password.js';
import { randomLowerAlnum } from '../crypto/random.js';
import { postJsonFrom, tally, type SentFrom } from '../testing/http-from.js';
import { audited, burst, codeMailedBy, codesMailed, mailedCodes, TOPOLOGIES, type Deployment } from '../testing/topologies.js';

/**
 * Issue 14, SECURITY-CHECKLIST "A budget is spent before the guess is checked", for the flows
 * that recover or prove an account: the reset-code mail, the reset with a code, the password
 * change and the email-proof code. Each burst is fired concurrently at one process, at
 * `serve --workers 2`, and at two nodes sharing the database and Redis, and the test counts what
 * really happened in the shared database — codes compared (audit rows written only after a
 * comparison), codes mailed (the development-mode log), passwords changed (the stored hash, the
 * audit rows) — not what the answers claim. Default budgets: 20 guesses per account and
 * address, 5 code mails per account and address, 5 guesses per code.
 */

const wrongCode = (code: string, i: number) => String((Number(code) + 1 + i) % 1_000_000).padStart(6, '0');

function statusesOf(answers: SentFrom[], status: number): number[] {
  return answers.flatMap((answer, i) => (answer.status === status ? [i] : []));
}

async function storedHash(deployment: Deployment, email: string): Promise<string | null> {
  return (await deployment.db.selectFrom('end_users').select('password_hash').where('email_normalized', '=', email).executeTakeFirstOrThrow()).password_hash;
}

/** Which of `candidates` the stored hash is of: the passwords really set. */
async function passwordsSet(deployment: Deployment, email: string, candidates: string[]): Promise<number[]> {
  const hash = await storedHash(deployment, email);
  const matches = await Promise.all(candidates.map((candidate) => verifyPassword(candidate, hash)));
  return matches.flatMap((match, i) => (match ? [i] : []));
}

async function auditCount(deployment: Deployment, action: string, target: string): Promise<number> {
  return Number((await deployment.db.selectFrom('audit_log').select((eb) => eb.fn.countAll().as('n')).where('action', '=', action).where('target', '=', target).executeTakeFirstOrThrow()).n);
}

for (const [name, start] of TOPOLOGIES) {
  describe(`account recovery and email proof under a concurrent burst: ${name}`, { timeout: 300_000 }, () => {
    let deployment: Deployment;
    const auth = (path: string) => `${deployment.base(0)}/t/default/auth/${path}`;
    const at = (i: number, path: string) => `${deployment.base(i)}/t/default/auth/${path}`;
    /** A password account signed up from 127.0.0.9 (its email unproven; sign-up mailed it a code). */
    const signUp = async (email: string, password: string) => {
      const answer = await postJsonFrom('127.0.0.9', auth('signup'), { email, password });
      assert.equal(answer.status, 201);
      return answer.body as { access_token: string; refresh_token: string; user: { id: string } };
    };

    before(async () => {
      deployment = await start({});
    });
    after(async () => {
      await deployment.close();
    });

    test('password reset: 30 concurrent reset-code mails → exactly 5 mailed; 40 concurrent wrong codes → 5 compared, the code dead, the password unchanged; 20 concurrent resets with the right code → exactly one password set', async () => {
      const email = `reset-${randomLowerAlnum(6)}@example.com`;
      const before = await signUp(email, 'the-old-password');
      const oldHash = await storedHash(deployment, email);

      const mails = await burst(30, (i) => postJsonFrom('127.0.0.5', at(i, 'otp/start'), { email, purpose: 'reset' }));
      assert.deepEqual(tally(mails), { 204: 5, 429: 25 });
      await codesMailed(deployment, email, 1 + 5);
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(mailedCodes(deployment, email).filter((m) => m.purpose === 'reset').length, 5, 'the mail budget, not one mail more');

      const code = await codeMailedBy(deployment, email, () => postJsonFrom('127.0.0.6', auth('otp/start'), { email, purpose: 'reset' }));
      const wrong = await burst(40, (i) => postJsonFrom('127.0.0.1', at(i, 'password/reset'), { email, code: wrongCode(code, i), new_password: `guessed-password-${i}` }));
      assert.deepEqual(tally(wrong), { 400: 20, 429: 20 });
      assert.equal(await audited(deployment.db, 'user.code_failed', email, 5), 5, 'the code was compared exactly 5 times');
      const row = await deployment.db.selectFrom('otp_codes').select('attempts').where('email_normalized', '=', email).executeTakeFirstOrThrow();
      assert.equal(row.attempts, 5);
      const late = await postJsonFrom('127.0.0.2', at(1, 'password/reset'), { email, code, new_password: 'too-late-password' });
      assert.equal(late.status, 400, 'the right code is dead after 5 wrong guesses');
      assert.equal(late.body.error, 'invalid_grant');
      assert.equal(await storedHash(deployment, email), oldHash, 'no guess changed the password');
      assert.equal(await auditCount(deployment, 'user.password_reset', before.user.id), 0);

      const right = await codeMailedBy(deployment, email, () => postJsonFrom('127.0.0.7', auth('otp/start'), { email, purpose: 'reset' }));
      const chosen = Array.from({ length: 20 }, (_, i) => `chosen-password-${i}`);
      const sessionsBefore = (await deployment.db.selectFrom('user_sessions').select('id').where('user_id', '=', before.user.id).execute()).length;
      const resets = await burst(20, (i) => postJsonFrom('127.0.0.3', at(i, 'password/reset'), { email, code: right, new_password: chosen[i] }));
      const winners = statusesOf(resets, 200);
      assert.equal(winners.length, 1, `exactly one reset succeeds: ${resets.map((r) => r.status).join(',')}`);
      assert.ok(resets.every((r, i) => winners.includes(i) || r.body.error === 'invalid_grant'));
      assert.equal(await audited(deployment.db, 'user.password_reset', before.user.id, 1), 1, 'one password change happened');
      assert.deepEqual(await passwordsSet(deployment, email, chosen), winners, 'the stored password is the winner\'s');
      const sessionsAfter = (await deployment.db.selectFrom('user_sessions').select('id').where('user_id', '=', before.user.id).execute()).length;
      assert.equal(sessionsAfter, sessionsBefore + 1, 'one session opened, none for a losing reset');
      assert.equal((await postJsonFrom('127.0.0.8', at(1, 'refresh'), { refresh_token: before.refresh_token })).body.error, 'invalid_grant', 'the session from before the reset ended');
    });

    test('password change: 30 concurrent wrong current passwords with one access token → exactly 20 checked, 10 refused unchecked; 10 concurrent right changes → exactly one new password', async () => {
      const email = `change-${randomLowerAlnum(6)}@example.com`;
      const account = await signUp(email, 'the-old-password');
      const change = (i: number, from: string, body: object) => postJsonFrom(from, at(i, 'password/change'), body, { authorization: `Bearer ${account.access_token}` });
      const oldHash = await storedHash(deployment, email);

      const wrong = await burst(30, (i) => change(i, '127.0.0.1', { current_password: `wrong-${i}-password`, new_password: 'never-set-password' }));
      assert.deepEqual(tally(wrong), { 400: 20, 429: 10 });
      assert.equal(await audited(deployment.db, 'user.sign_in_failed', email, 20), 20, 'scrypt ran for exactly 20 current passwords');
      assert.equal(await storedHash(deployment, email), oldHash);

      const chosen = Array.from({ length: 10 }, (_, i) => `changed-password-${i}`);
      const changes = await burst(10, (i) => change(i, '127.0.0.2', { current_password: 'the-old-password', new_password: chosen[i] }));
      const winners = statusesOf(changes, 204);
      assert.equal(winners.length, 1, `exactly one change succeeds: ${changes.map((r) => r.status).join(',')}`);
      assert.ok(changes.every((r, i) => winners.includes(i) || r.body.error === 'invalid_grant'));
      assert.equal(await audited(deployment.db, 'user.password_changed', account.user.id, 1), 1, 'one password change happened');
      assert.deepEqual(await passwordsSet(deployment, email, chosen), winners, 'the stored password is the winner\'s');
    });

    test('email proof while signed in: 30 concurrent proof-code mails → exactly 5 mailed; 40 concurrent wrong codes → 5 compared, the code dead, the email unproven; 20 concurrent right codes → proven exactly once', async () => {
      const email = `proof-${randomLowerAlnum(6)}@example.com`;
      const account = await signUp(email, 'the-password');
      const bearer = { authorization: `Bearer ${account.access_token}` };
      const verified = async () => (await deployment.db.selectFrom('end_users').select('email_verified_at').where('id', '=', account.user.id).executeTakeFirstOrThrow()).email_verified_at;

      const mails = await burst(30, (i) => postJsonFrom('127.0.0.5', at(i, 'email/verify/start'), {}, bearer));
      assert.deepEqual(tally(mails), { 204: 5, 429: 25 });
      await codesMailed(deployment, email, 1 + 5);
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(mailedCodes(deployment, email).length, 1 + 5, 'the sign-up\'s code and the mail budget, not one mail more');

      const code = await codeMailedBy(deployment, email, () => postJsonFrom('127.0.0.6', auth('email/verify/start'), {}, bearer));
      const wrong = await burst(40, (i) => postJsonFrom('127.0.0.1', at(i, 'email/verify'), { code: wrongCode(code, i) }, bearer));
      assert.deepEqual(tally(wrong), { 400: 20, 429: 20 });
      assert.equal(await audited(deployment.db, 'user.code_failed', email, 5), 5, 'the code was compared exactly 5 times');
      assert.equal((await postJsonFrom('127.0.0.2', at(1, 'email/verify'), { code }, bearer)).status, 400, 'the right code is dead after 5 wrong guesses');
      assert.equal(await verified(), null, 'no guess proved the email');

      const right = await codeMailedBy(deployment, email, () => postJsonFrom('127.0.0.7', auth('email/verify/start'), {}, bearer));
      const proofs = await burst(20, (i) => postJsonFrom('127.0.0.3', at(i, 'email/verify'), { code: right }, bearer));
      assert.deepEqual(tally(proofs), { 204: 1, 400: 19 }, 'one code, spent once');
      assert.equal(await audited(deployment.db, 'user.email_verified', account.user.id, 1), 1);
      assert.notEqual(await verified(), null);
    });
  });
}
