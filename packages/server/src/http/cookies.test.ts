import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FastifyRequest } from 'fastify';
import { readCookie } from './cookies.js';

const requestWith = (cookie: string | undefined) => ({ headers: cookie === undefined ? {} : { cookie } }) as unknown as FastifyRequest;

test('RFC 6265 §5.4: the cookie reader finds a cookie among others, the first of two same-named ones (the longer Path), and percent-decodes it', () => {
  assert.equal(readCookie(requestWith('a=1; keymint_admin=abc; b=2'), 'keymint_admin'), 'abc');
  assert.equal(readCookie(requestWith('keymint_refresh=kmr_new; keymint_refresh=kmr_old'), 'keymint_refresh'), 'kmr_new');
  assert.equal(readCookie(requestWith('x=a%20b'), 'x'), 'a b');
  assert.equal(readCookie(requestWith('x=100%'), 'x'), '100%', 'a value that does not decode is kept as sent');
  assert.equal(readCookie(requestWith('xkeymint_admin=1'), 'keymint_admin'), undefined, 'names match exactly');
});

test('a cleared cookie (empty value) and a missing header read as absent', () => {
  assert.equal(readCookie(requestWith('keymint_admin='), 'keymint_admin'), undefined);
  assert.equal(readCookie(requestWith(undefined), 'keymint_admin'), undefined);
});
