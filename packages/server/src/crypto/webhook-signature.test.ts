import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateWebhookSecret, signWebhook } from './webhook-signature.js';

test('Standard Webhooks signature: the published test vector (secret, id, timestamp, body) gives the published v1 signature', () => {
  assert.equal(signWebhook(['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'], 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}'), 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
});

test('webhook secrets are whsec_ + base64 of 32 random bytes; two secrets give two space-separated signatures', () => {
  const secret = generateWebhookSecret();
  assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
  assert.equal(Buffer.from(secret.slice(6), 'base64').length, 32);
  assert.notEqual(generateWebhookSecret(), secret);
  const both = signWebhook([secret, generateWebhookSecret()], 'msg_1', 1, '{}').split(' ');
  assert.equal(both.length, 2);
  assert.equal(both[0], signWebhook([secret], 'msg_1', 1, '{}'));
});
