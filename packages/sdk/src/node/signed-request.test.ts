import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildSignedTokenRequest, newSignatureValue, signatureFor } from './signed-request.js';

// Vector computed independently:
//   printf '%s' 'abcdefghijklmnop0123.20.1700000000' | openssl dgst -sha256 -hmac 'kms_secretvalue' -hex
const VECTOR = { secret: 'kms_secretvalue', value: 'abcdefghijklmnop0123', timestamp: 1_700_000_000 };
const EXPECTED = 'f93e5b5afd8066033b038c828b34052299c44d8d531c31f7006b20b973ce80a4';

test('signed-request profile: signature = hex HMAC-SHA256(secret, "{value}.{length}.{timestamp}") matches a hand-computed vector', () => {
  assert.equal(signatureFor(VECTOR.secret, VECTOR.value, VECTOR.timestamp), EXPECTED);
});

test('signed-request profile: the request body carries client_id, audience, epoch-second timestamp, value, signature and space-separated scopes', () => {
  const body = buildSignedTokenRequest({
    clientId: 'abcdefghijklmnopqrstuvwx',
    clientSecret: VECTOR.secret,
    audience: 'https://auth.example.com/t/acme/api',
    scopes: ['contacts_read', 'contacts_write'],
    nowMs: VECTOR.timestamp * 1000 + 999,
    signatureValue: VECTOR.value,
  });
  assert.deepEqual(body, {
    client_id: 'abcdefghijklmnopqrstuvwx',
    audience: 'https://auth.example.com/t/acme/api',
    timestamp: VECTOR.timestamp,
    signature_value: VECTOR.value,
    signature: EXPECTED,
    scopes: 'contacts_read contacts_write',
  });
  const withoutScopes = buildSignedTokenRequest({ clientId: 'c'.repeat(24), clientSecret: 's', audience: 'a' });
  assert.equal('scopes' in withoutScopes, false);
});

test('signed-request profile: every signature_value is fresh, 16-1024 characters', () => {
  const values = new Set(Array.from({ length: 100 }, () => newSignatureValue()));
  assert.equal(values.size, 100);
  for (const value of values) assert.ok(value.length >= 16 && value.length <= 1024);
});
