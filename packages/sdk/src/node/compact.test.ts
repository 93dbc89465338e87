import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertStrictCompactJws, hasDuplicateMemberNames } from './compact.js';
import { InvalidTokenError } from './errors.js';

test('RFC 7519 §4: a repeated member name is found at any depth, escaped or not', () => {
  assert.equal(hasDuplicateMemberNames('{"aud":"a","aud":"b"}'), true);
  assert.equal(hasDuplicateMemberNames('{"aud":"a","\\u0061ud":"b"}'), true);
  assert.equal(hasDuplicateMemberNames('{"x":{"k":1,"k":2}}'), true);
  assert.equal(hasDuplicateMemberNames('{"x":[{"k":1},{"k":2,"k":3}]}'), true);
});

test('distinct names, the same name in sibling objects, and names inside strings are not duplicates', () => {
  assert.equal(hasDuplicateMemberNames('{"aud":"a","scope":"aud aud"}'), false);
  assert.equal(hasDuplicateMemberNames('{"x":[{"k":1},{"k":2}],"k":3}'), false);
  assert.equal(hasDuplicateMemberNames('{"a":"\\"b\\":1,\\"a\\"","b":"{\\"a\\":1}"}'), false);
  assert.equal(hasDuplicateMemberNames('["a","a",{"a":1}]'), false);
  assert.equal(hasDuplicateMemberNames('not json'), false);
});

test('RFC 7515 §7.1: only three base64url segments pass; padding, "+", "/", spaces and repeated names are refused', () => {
  const b64 = (v: string) => Buffer.from(v).toString('base64url');
  const ok = `${b64('{"alg":"ES256"}')}.${b64('{"a":1}')}.c2ln`;
  assertStrictCompactJws(ok);
  assertStrictCompactJws(`${b64('{"alg":"none"}')}.${b64('{"a":1}')}.`);
  for (const token of [`${ok}=`, `${ok.replace('.', '=.')}`, `a+b.${b64('{}')}.c`, `a/b.${b64('{}')}.c`, `${ok} `, 'a.b', 'a.b.c.d', `${b64('{"alg":"ES256","alg":"none"}')}.${b64('{}')}.c`, `${b64('{}')}.${b64('{"a":1,"a":2}')}.c`]) {
    assert.throws(() => assertStrictCompactJws(token), InvalidTokenError, token);
  }
});
