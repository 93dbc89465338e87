import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { base62, generateToken, hasValidFormat, TOKEN_PREFIXES } from './token-format.js';

test('token format: prefix + 32 base62 random characters + 6 base62 CRC-32 characters', () => {
  for (const prefix of Object.values(TOKEN_PREFIXES)) {
    const token = generateToken(prefix);
    assert.match(token, new RegExp(`^${prefix}[0-9A-Za-z]{38}$`));
    const body = token.slice(0, -6);
    assert.equal(token.slice(-6), base62(crc32(body) >>> 0, 6), 'checksum is the CRC-32 of prefix and randomness');
    assert.ok(hasValidFormat(token, prefix));
  }
});

test('base62: alphabet 0-9A-Za-z, most significant digit first, left-padded with 0', () => {
  assert.equal(base62(0, 6), '000000');
  assert.equal(base62(61, 6), '00000z');
  assert.equal(base62(62, 6), '000010');
  assert.equal(base62(0xffffffff, 6), '4gfFC3');
});

test('a token of another kind is refused even with a valid checksum', () => {
  const apiToken = generateToken(TOKEN_PREFIXES.apiToken);
  assert.equal(hasValidFormat(apiToken, TOKEN_PREFIXES.clientSecret), false);
});

test('any single-character change to a token is caught by the format check', () => {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_';
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 41 }), fc.constantFrom(...alphabet), (index, replacement) => {
      const token = generateToken(TOKEN_PREFIXES.clientSecret);
      fc.pre(token[index] !== replacement);
      const typo = token.slice(0, index) + replacement + token.slice(index + 1);
      return !hasValidFormat(typo, TOKEN_PREFIXES.clientSecret);
    }),
    { numRuns: 2000 },
  );
});

test('truncated, extended and non-alphanumeric tokens are refused', () => {
  const token = generateToken(TOKEN_PREFIXES.clientSecret);
  assert.equal(hasValidFormat(token.slice(0, -1), TOKEN_PREFIXES.clientSecret), false);
  assert.equal(hasValidFormat(`${token}0`, TOKEN_PREFIXES.clientSecret), false);
  assert.equal(hasValidFormat(`${token.slice(0, 10)}-${token.slice(11)}`, TOKEN_PREFIXES.clientSecret), false);
  assert.equal(hasValidFormat('', TOKEN_PREFIXES.clientSecret), false);
});

test('the random part is uniform over base62 (no modulo bias): every character appears near 1/62 of the time', () => {
  const counts = new Map<string, number>();
  const samples = 3000;
  for (let i = 0; i < samples; i++) {
    for (const c of generateToken(TOKEN_PREFIXES.apiToken).slice(4, 36)) counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  assert.equal(counts.size, 62);
  const expected = (samples * 32) / 62;
  for (const [c, n] of counts) assert.ok(Math.abs(n - expected) < expected * 0.15, `${c}: ${n} vs ${expected}`);
});
