import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { newRefreshToken, REFRESH_HANDLE_LENGTH, refreshHandle, refreshSuccessor } from './refresh-token.js';
import { generateToken, hasValidFormat, TOKEN_PREFIXES } from './token-format.js';

const key = randomBytes(32);

test('refresh token: a kmr_ token of the DESIGN format whose first 11 characters are its session handle', () => {
  const token = newRefreshToken();
  assert.ok(hasValidFormat(token, TOKEN_PREFIXES.refreshToken));
  assert.equal(refreshHandle(token), token.slice(4, 4 + REFRESH_HANDLE_LENGTH));
  assert.notEqual(refreshHandle(newRefreshToken()), refreshHandle(token), 'each session draws its own handle');
});

test('refresh token: anything but a well-formed kmr_ token names no handle (checksum and prefix checked)', () => {
  const token = newRefreshToken();
  assert.equal(refreshHandle(`${token.slice(0, -1)}${token.endsWith('0') ? '1' : '0'}`), null);
  assert.equal(refreshHandle(generateToken(TOKEN_PREFIXES.apiToken)), null);
  assert.equal(refreshHandle(''), null);
  assert.throws(() => refreshSuccessor(key, generateToken(TOKEN_PREFIXES.opaqueAccessToken)), /not a refresh token/);
});

test('refresh successor: well-formed, same handle, new secret; a function of the token and the key only', () => {
  fc.assert(
    fc.property(fc.constant(null).map(() => newRefreshToken()), (token) => {
      const next = refreshSuccessor(key, token);
      assert.ok(hasValidFormat(next, TOKEN_PREFIXES.refreshToken));
      assert.equal(refreshHandle(next), refreshHandle(token), 'the chain stays on its session');
      assert.notEqual(next.slice(4 + REFRESH_HANDLE_LENGTH, -6), token.slice(4 + REFRESH_HANDLE_LENGTH, -6));
      assert.equal(refreshSuccessor(key, token), next, 'a retry is answered with the same successor');
      assert.notEqual(refreshSuccessor(randomBytes(32), token), next, 'another key makes another successor');
    }),
    { numRuns: 200 },
  );
});
