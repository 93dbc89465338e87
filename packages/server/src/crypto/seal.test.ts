import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomKey } from './random.js';
import { open, seal, SealError } from './seal.js';

test('AES-256-GCM: a sealed value opens with the same key and context', () => {
  const key = randomKey(32);
  const sealed = seal(key, 'private key material', 'signing_key:abc');
  assert.doesNotMatch(sealed, /private key material/);
  assert.equal(open(key, sealed, 'signing_key:abc'), 'private key material');
});

test('AES-256-GCM: another key, another context or a flipped byte does not open', () => {
  const key = randomKey(32);
  const sealed = seal(key, 'secret', 'client_secret:1');
  assert.throws(() => open(randomKey(32), sealed, 'client_secret:1'), SealError);
  assert.throws(() => open(key, sealed, 'client_secret:2'), SealError, 'a ciphertext moved to another row must not open');
  const [v, iv, ct, tag] = sealed.split('.');
  const flipped = Buffer.from(ct!, 'base64url');
  flipped[0]! ^= 1;
  assert.throws(() => open(key, [v, iv, flipped.toString('base64url'), tag].join('.'), 'client_secret:1'), SealError);
  assert.throws(() => open(key, 'garbage', 'client_secret:1'), SealError);
});

test('two seals of one value differ (fresh IV each time)', () => {
  const key = randomKey(32);
  assert.notEqual(seal(key, 'x', 'c'), seal(key, 'x', 'c'));
});
