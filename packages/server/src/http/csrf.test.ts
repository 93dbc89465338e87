import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FastifyRequest } from 'fastify';
import { Forbidden } from '../errors.js';
import { checkCsrf, type CsrfPolicy } from './csrf.js';

const request = (headers: Record<string, string>) => ({ headers }) as unknown as FastifyRequest;

const endUser: CsrfPolicy = {
  origins: ['https://auth.example', 'https://app.example'],
  withoutOrigin: { sites: ['same-origin', 'none'], missing: true },
  header: { name: 'x-keymint-csrf', matches: (value) => value === '1' },
};
const consolePolicy: CsrfPolicy = { ...endUser, origins: ['https://auth.example'], withoutOrigin: { sites: ['same-origin'], missing: false } };

function refused(headers: Record<string, string>, policy: CsrfPolicy): boolean {
  try {
    checkCsrf(request(headers), policy);
    return false;
  } catch (error) {
    assert.ok(error instanceof Forbidden, 'a refusal is 403 forbidden');
    return true;
  }
}

test('OWASP CSRF: an accepted Origin with the anti-forgery header passes; a foreign Origin, a cross-site Sec-Fetch-Site or a missing/wrong header is 403', () => {
  assert.equal(refused({ origin: 'https://app.example', 'x-keymint-csrf': '1' }, endUser), false);
  assert.equal(refused({ 'sec-fetch-site': 'same-origin', 'x-keymint-csrf': '1' }, endUser), false);
  assert.equal(refused({ origin: 'https://evil.example', 'x-keymint-csrf': '1' }, endUser), true);
  assert.equal(refused({ 'sec-fetch-site': 'cross-site', 'x-keymint-csrf': '1' }, endUser), true);
  assert.equal(refused({ origin: 'https://app.example' }, endUser), true);
  assert.equal(refused({ origin: 'https://app.example', 'x-keymint-csrf': '0' }, endUser), true);
});

test('the console policy refuses a cookie request with neither Origin nor Sec-Fetch-Site; the end-user policy lets a non-browser client through', () => {
  assert.equal(refused({ 'x-keymint-csrf': '1' }, endUser), false);
  assert.equal(refused({ 'x-keymint-csrf': '1' }, consolePolicy), true);
  assert.equal(refused({ 'sec-fetch-site': 'none', 'x-keymint-csrf': '1' }, consolePolicy), true);
  assert.equal(refused({ origin: 'https://app.example', 'x-keymint-csrf': '1' }, consolePolicy), true, 'only the console\'s own origin');
});

test('login CSRF: a policy without a header checks the origin alone', () => {
  const signIn: CsrfPolicy = { origins: consolePolicy.origins, withoutOrigin: consolePolicy.withoutOrigin };
  assert.equal(refused({ origin: 'https://auth.example' }, signIn), false);
  assert.equal(refused({ origin: 'https://evil.example' }, signIn), true);
});
