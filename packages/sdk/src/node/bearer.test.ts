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

test('RFC 6750 §3.1: empty or malformed Bearer credentials are a malformed request → 400 invalid_request', () => {
  for (const authorization of ['Bearer', 'Bearer ', 'bearer   ', 'Bearer two words', 'Bearer ab"c', 'Bearer a,b']) {
    assert.throws(() => extractBearerToken({ authorization }), (error: unknown) => error instanceof InvalidRequestError && error.status === 400 && error.error === 'invalid_request', authorization);
  }
});

test('RFC 6750 §3.1: a request without credentials gets no error code in the body either; every other failure names one', () => {
  const missing = bearerErrorResponse(new MissingTokenError(), 'api');
  assert.equal(missing.status, 401);
  assert.equal(missing.headers['www-authenticate'], 'Bearer realm="api"');
  assert.equal('error' in missing.body, false);
  assert.equal(typeof missing.body.error_description, 'string');
  const invalid = bearerErrorResponse(new InvalidTokenError('ERR_TOKEN_EXPIRED', 'expired'), 'api');
  assert.equal(invalid.body.error, 'invalid_token');
  const malformed = bearerErrorResponse(new InvalidRequestError('ERR_AUTHORIZATION_MALFORMED', 'bad header'), 'api');
  assert.equal(malformed.status, 400);
  assert.equal(malformed.body.error, 'invalid_request');
  assert.match(malformed.headers['www-authenticate']!, /^Bearer realm="api", error="invalid_request"/);
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
