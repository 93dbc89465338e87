import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bearerChallenge, bearerErrorResponse, extractBearerToken } from './bearer.js';
import { InsufficientScopeError, InvalidRequestError, InvalidTokenError, MissingTokenError } from './errors.js';

test('RFC 6750 §2.1: the token is read from "Authorization: Bearer <b64token>", scheme case-insensitive', () => {
  assert.equal(extractBearerToken({ authorization: 'Bearer abc.DEF-_~+/=' }), 'abc.DEF-_~+/=');
  assert.equal(extractBearerToken({ authorization: 'bearer  abc' }), 'abc');
});

test('RFC 6750 §3.1: no credentials (or another scheme) → MissingTokenError, whose challenge has no error code', () => {
  for (const authorization of [undefined, '', 'Basic Zm9vOmJhcg==']) {
    assert.throws(() => extractBearerToken({ authorization }), MissingTokenError);
  }
  assert.equal(bearerChallenge(new MissingTokenError(), 'api'), 'Bearer realm="api"');
});

test('RFC 6750 §2.1: a malformed Bearer header → invalid_token', () => {
  for (const authorization of ['Bearer', 'Bearer ', 'Bearer two words', 'Bearer ab"c']) {
    assert.throws(() => extractBearerToken({ authorization }), (error: unknown) => error instanceof InvalidTokenError && !(error instanceof MissingTokenError), authorization);
  }
});

test('RFC 6750 §2: a token sent by more than one method, or outside the header → 400 invalid_request', () => {
  assert.throws(() => extractBearerToken({ authorization: 'Bearer a', query: { access_token: 'a' } }), InvalidRequestError);
  assert.throws(() => extractBearerToken({ authorization: 'Bearer a', body: { access_token: 'a' } }), InvalidRequestError);
  assert.throws(() => extractBearerToken({ authorization: ['Bearer a', 'Bearer b'] }), InvalidRequestError);
  assert.throws(() => extractBearerToken({ query: { access_token: 'a' } }), InvalidRequestError);
  assert.equal(extractBearerToken({ authorization: 'Bearer a', query: { other: 'x' }, body: 'text' }), 'a');
});

test('RFC 6750 §3: challenges quote values and name the missing scope; responses are no-store', () => {
  assert.equal(
    bearerChallenge(new InvalidTokenError('ERR_TOKEN_EXPIRED', 'the "token" has expired'), 'api'),
    'Bearer realm="api", error="invalid_token", error_description="the \\"token\\" has expired"',
  );
  const response = bearerErrorResponse(new InsufficientScopeError('contacts_write'), 'api');
  assert.equal(response.status, 403);
  assert.match(response.headers['www-authenticate']!, /error="insufficient_scope".*scope="contacts_write"$/);
  assert.equal(response.headers['cache-control'], 'no-store');
  assert.deepEqual(response.body, { error: 'insufficient_scope', error_description: 'this request needs the contacts_write scope' });
});
