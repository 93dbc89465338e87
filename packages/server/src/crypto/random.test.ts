import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RandomPool, randomString } from './random.js';

test('the random pool hands out every byte of its source once, in order, across refills', () => {
  let filled = 0;
  const pool = new RandomPool(8, (size) => Buffer.from(Array.from({ length: size }, () => filled++ % 256)));
  const seen = Array.from({ length: 20 }, () => pool.byte());
  assert.deepEqual(seen, Array.from({ length: 20 }, (_, i) => i));
  assert.equal(filled, 24, 'three fills of 8 bytes for 20 bytes');
});

test('randomString drops the bytes that would bias `% size` (alphabet of 36: 252 and above)', () => {
  const bytes = [255, 252, 0, 251, 35, 36];
  const pool = new RandomPool(bytes.length, () => Buffer.from(bytes));
  assert.equal(randomString('abcdefghijklmnopqrstuvwxyz0123456789', 4, pool), 'a9' + '9a');
});

test('randomString draws from the CSPRNG: 20,000 tokens, all distinct, every character of the alphabet used', () => {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const drawn = Array.from({ length: 20_000 }, () => randomString(alphabet, 32));
  assert.equal(new Set(drawn).size, drawn.length);
  assert.equal(new Set(drawn.join('')).size, alphabet.length);
});
