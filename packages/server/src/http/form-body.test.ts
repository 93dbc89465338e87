import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestServer } from '../testing/harness.js';
import { FORM_MAX_PARAMETERS, parseForm } from './form-body.js';

test('form parsing is linear in the repeats of one name: 200 000 repeats parse into one array (a copy per repeat would be 2·10¹⁰ element copies)', () => {
  const repeats = 200_000;
  const started = Date.now();
  const body = parseForm('a=&'.repeat(repeats), Infinity);
  assert.equal((body.a as string[]).length, repeats);
  // Linear: tens of milliseconds; quadratic: minutes. The bound only separates the two.
  assert.ok(Date.now() - started < 20_000, 'parsed in far less than quadratic time');
});

test('form parsing keeps every repeat in order and decodes RFC 6749 Appendix B form encoding', () => {
  const body = parseForm('scope=a+b&x=1&x=2&x=3&y=%41');
  assert.deepEqual(body.x, ['1', '2', '3']);
  assert.equal(body.scope, 'a b');
  assert.equal(body.y, 'A');
});

test(`a form body of more than ${FORM_MAX_PARAMETERS} parameters is 400 invalid_request (RFC 6749 §5.2) before any route runs: a 15 KB a=&a=&… body`, async () => {
  const server = await startTestServer();
  try {
    const exactly = Array.from({ length: FORM_MAX_PARAMETERS }, (_, i) => `p${i}=`).join('&');
    assert.doesNotThrow(() => parseForm(exactly), 'the cap itself is allowed');
    assert.throws(() => parseForm(`${exactly}&one=more`), /more than 100 parameters/);

    const body = 'a=&'.repeat(5_000);
    assert.ok(body.length >= 15_000 && body.length < 16 * 1024);
    for (const path of ['/oauth/token', '/oauth/introspect', '/v1/auth/token']) {
      const response = await fetch(`${server.issuer}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
      assert.equal(response.status, 400, path);
      const text = await response.text();
      assert.match(text, /invalid_request/, path);
      assert.match(text, /more than 100 parameters/, path);
    }
  } finally {
    await server.close();
  }
});
