import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestServer } from '../testing/harness.js';
import { startSmtpSink } from '../testing/smtp-sink.js';

async function post(url: string, body: unknown) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {} };
}

const codeIn = (mail: string) => /sign-in code is (\d{6})/.exec(mail)?.[1];

test('one-time code over SMTP: the mailed code signs the user in (creating the account) once; wrong codes are invalid_grant and a code dies after 5 wrong guesses; the code is never logged', async () => {
  const smtp = await startSmtpSink();
  const server = await startTestServer({ env: { KEYMINT_SMTP_URL: smtp.url, KEYMINT_SMTP_FROM: 'Acme <no-reply@acme.test>' } });
  try {
    assert.equal((await post(`${server.issuer}/auth/otp/start`, { email: 'Lee@Example.com' })).status, 204);
    assert.equal(smtp.mails.length, 1);
    assert.match(smtp.mails[0]!, /^To: Lee@example.com/im);
    assert.match(smtp.mails[0]!, /^From: Acme <no-reply@acme.test>/im);
    const code = codeIn(smtp.mails[0]!);
    assert.ok(code);
    assert.ok(!server.logs().includes(code), 'with SMTP configured the code is never logged');

    const wrong = code === '000000' ? '000001' : '000000';
    const refused = await post(`${server.issuer}/auth/otp/verify`, { email: 'lee@example.com', code: wrong });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error, 'invalid_grant');
    const ok = await post(`${server.issuer}/auth/otp/verify`, { email: 'lee@example.com', code });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.user.email, 'lee@example.com', 'as typed when the account was made');
    assert.match(ok.body.refresh_token, /^kmr_/);
    assert.equal((await post(`${server.issuer}/auth/otp/verify`, { email: 'lee@example.com', code })).body.error, 'invalid_grant', 'a code works once');
    const rows = await server.server.keymint.db.selectFrom('otp_codes').selectAll().execute();
    assert.equal(rows.length, 0);

    // The next code signs in the same account; five wrong guesses kill it.
    await post(`${server.issuer}/auth/otp/start`, { email: 'lee@example.com' });
    const second = codeIn(smtp.mails[1]!)!;
    const stored = await server.server.keymint.db.selectFrom('otp_codes').select('code_hash').executeTakeFirstOrThrow();
    assert.ok(!stored.code_hash.includes(second), 'only a hash of the code is stored');
    for (let i = 0; i < 5; i++) await post(`${server.issuer}/auth/otp/verify`, { email: 'lee@example.com', code: second === '123456' ? '654321' : '123456' });
    assert.equal((await post(`${server.issuer}/auth/otp/verify`, { email: 'lee@example.com', code: second })).body.error, 'invalid_grant');
    assert.equal((await post(`${server.issuer}/auth/otp/verify`, { email: 'lee@example.com', code: 'abc' })).body.error, 'invalid_request');
  } finally {
    await server.close();
    await smtp.close();
  }
});

test('development mode (no KEYMINT_SMTP_URL): the code is written to the server log, the one place a code is logged', async () => {
  const server = await startTestServer();
  try {
    assert.equal((await post(`${server.issuer}/auth/otp/start`, { email: 'max@example.com' })).status, 204);
    const line = server.logs().split('\n').find((l) => l.includes('sign-in code written to the log'));
    assert.ok(line);
    const code = JSON.parse(line).code as string;
    assert.match(code, /^\d{6}$/);
    assert.equal((await post(`${server.issuer}/auth/otp/verify`, { email: 'max@example.com', code })).status, 200);

    // Code mails are limited per email (nobody can mail-bomb an address through Keymint).
    for (let i = 0; i < 4; i++) assert.equal((await post(`${server.issuer}/auth/otp/start`, { email: 'max@example.com' })).status, 204);
    const limited = await fetch(`${server.issuer}/auth/otp/start`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'max@example.com' }) });
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    assert.equal((await post(`${server.issuer}/auth/otp/start`, { email: 'other@example.com' })).status, 204);
  } finally {
    await server.close();
  }
});
