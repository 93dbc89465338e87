import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidRequest } from '../errors.js';
import { readClientCredentials } from './client-auth.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');

test('RFC 6749 §2.3.1: Basic id and secret are form-url-decoded (":" "+" "%" survive, "+" is a space)', () => {
  const clientId = 'client:1';
  const secret = 'a:b+c%d e';
  const header = `Basic ${b64(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret).replace(/%20/g, '+')}`)}`;
  assert.deepEqual(readClientCredentials(header, {}), { method: 'client_secret_basic', clientId, clientSecret: secret });
  assert.equal(readClientCredentials(`Basic ${b64('id:x+y')}`, {}).clientSecret, 'x y', 'Appendix B: + decodes to a space');
  assert.equal(readClientCredentials(`Basic ${b64('id:a:b')}`, {}).clientSecret, 'a:b', 'split at the first colon only');
});

test('§2.3.1: the Basic scheme name is case-insensitive', () => {
  assert.equal(readClientCredentials(`basic ${b64('id:s')}`, {}).clientId, 'id');
});

test('§5.2: malformed Basic credentials → invalid_request', () => {
  const malformed = [
    'Basic',
    'Basic ',
    'Basic !!!!',
    'Basic abc',
    `Basic ${b64('no-colon')}`,
    `Basic ${b64(':secret')}`,
    `Basic ${b64('id:')}`,
    `Basic ${b64('id:%zz')}`,
    `Basic ${b64('%E0%A4%A:secret')}`,
    'Bearer abc',
    'Digest username="x"',
  ];
  for (const header of malformed) {
    assert.throws(() => readClientCredentials(header, {}), InvalidRequest, header);
  }
});

test('§2.3: Basic together with client_secret in the body → invalid_request', () => {
  assert.throws(() => readClientCredentials(`Basic ${b64('id:s')}`, { client_secret: 's' }), InvalidRequest);
});

test('§2.3: a body client_id different from the Basic one → invalid_request; the same one is allowed', () => {
  assert.throws(() => readClientCredentials(`Basic ${b64('id:s')}`, { client_id: 'other' }), InvalidRequest);
  assert.equal(readClientCredentials(`Basic ${b64('id:s')}`, { client_id: 'id' }).clientId, 'id');
});

test('client_secret_post: both client_id and client_secret are needed', () => {
  assert.deepEqual(readClientCredentials(undefined, { client_id: 'id', client_secret: 's' }), {
    method: 'client_secret_post',
    clientId: 'id',
    clientSecret: 's',
  });
  assert.throws(() => readClientCredentials(undefined, {}), InvalidRequest, 'no client authentication');
  assert.throws(() => readClientCredentials(undefined, { client_id: 'id' }), InvalidRequest, 'missing secret');
  assert.throws(() => readClientCredentials(undefined, { client_secret: 's' }), InvalidRequest, 'missing id');
});
