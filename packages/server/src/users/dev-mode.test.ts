import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnServe, type ServeProcess } from '../testing/serve-process.js';
import { startSmtpSink } from '../testing/smtp-sink.js';
import { within } from '../testing/wait.js';

const startOtp = (node: ServeProcess, email: string) =>
  fetch(`${node.issuer}/auth/otp/start`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email }) });

/** The plain line development mode prints, as a person reads it in the terminal. */
const PLAIN_CODE = /^ {2}>>> sign-in code for max@example\.com: (\d{6}) {2}\(expires in \d+ min; development mode: set KEYMINT_SMTP_URL to mail it\)$/m;

test('development mode (no KEYMINT_SMTP_URL): keymint serve prints the admin setup link and each sign-in code as plain lines, not only JSON', async () => {
  const node = await spawnServe();
  try {
    assert.match(node.output(), /^ {2}admin setup {2}http:\/\/\S+\/console\/setup\?token=\S+ {2}\(one-time link/m);
    assert.equal((await startOtp(node, 'max@example.com')).status, 204);
    await within(5_000, 'the plain sign-in code line', async () => PLAIN_CODE.test(node.output()));
    const code = PLAIN_CODE.exec(node.output())![1]!;
    const verified = await fetch(`${node.issuer}/auth/otp/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'max@example.com', code }) });
    assert.equal(verified.status, 200, 'the printed code signs in');
  } finally {
    await node.cleanup();
  }
});

test('with KEYMINT_SMTP_URL the code is mailed and never printed or logged', async () => {
  const smtp = await startSmtpSink();
  const node = await spawnServe([], { KEYMINT_SMTP_URL: smtp.url });
  try {
    assert.equal((await startOtp(node, 'max@example.com')).status, 204);
    await within(5_000, 'the mail', async () => smtp.mails.length === 1);
    const code = /sign-in code is (\d{6})/.exec(smtp.mails[0]!)![1]!;
    assert.ok(!node.output().includes(code), 'the code is not in the output');
    assert.doesNotMatch(node.output(), />>>|development mode/);
  } finally {
    await node.cleanup();
    await smtp.close();
  }
});
