import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { startTestServer, type TestServer } from '../testing/harness.js';
import { fakeGitHub, type FakeGitHub } from './testing.js';

/**
 * SECURITY-CHECKLIST "Every malformed request → 4xx JSON in the documented shape, never 5xx", for
 * the two leak endpoints: random headers and bodies, and, for /leaks/github, correctly signed
 * random bodies (what a GitHub key could send after the signature check passes).
 */
let server: TestServer;
let github: FakeGitHub;
before(async () => {
  github = fakeGitHub();
  server = await startTestServer({ env: { ...github.env, KEYMINT_GITHUB_LEAK_REPORTS_PER_MINUTE: '100000', KEYMINT_PUBLIC_REVOKE_PER_MINUTE: '100000' } });
});
after(() => server.close());

const RUNS = 100;
const printable = fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code));
const headerValue = fc.string({ unit: printable, maxLength: 120 });
const credentialish = fc.oneof(fc.string({ maxLength: 60 }), fc.constantFrom('kms_', 'kmk_' + 'A'.repeat(38), 'kma_x', 'kmr_' + '0'.repeat(38), 'kmo_'), fc.integer(), fc.constant(null));
const jsonBody = fc.oneof(
  fc.json({ maxDepth: 3 }),
  fc.array(fc.record({ token: credentialish, type: fc.oneof(fc.string({ maxLength: 20 }), fc.integer()), url: fc.oneof(fc.string({ maxLength: 40 }), fc.constant(null)) }, { requiredKeys: [] }), { maxLength: 4 }).map((o) => JSON.stringify(o)),
  fc.record({ credentials: fc.oneof(fc.array(credentialish, { maxLength: 4 }), credentialish) }, { requiredKeys: [] }).map((o) => JSON.stringify(o)),
  fc.string({ maxLength: 200 }),
);
const contentType = fc.oneof(fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded'), headerValue);

async function post(path: string, headers: Record<string, string>, body: string) {
  const response = await fetch(`${server.url}${path}`, { method: 'POST', headers, body });
  return { status: response.status, type: response.headers.get('content-type') ?? '', text: await response.text() };
}

function assertDocumented(answer: { status: number; type: string; text: string }, what: string): void {
  assert.ok(answer.status < 500, `${what} → ${answer.status} ${answer.text}`);
  assert.match(answer.type, /^application\/json/, `${what} → ${answer.status} ${answer.type}`);
  if (answer.status < 400) return;
  const parsed = JSON.parse(answer.text) as Record<string, unknown>;
  assert.deepEqual(Object.keys(parsed).sort(), ['error', 'error_description'], `${what} → ${answer.text}`);
}

describe('fuzzing the leak endpoints: never a 5xx, every error in the documented shape', () => {
  test('POST /leaks/github with random headers and bodies', async () => {
    await fc.assert(fc.asyncProperty(contentType, headerValue, headerValue, jsonBody, async (type, keyId, signature, body) => {
      assertDocumented(await post('/leaks/github', { 'content-type': type, 'github-public-key-identifier': keyId, 'github-public-key-signature': signature }, body), body);
    }), { numRuns: RUNS });
  });

  test('POST /leaks/github with correctly signed random bodies', async () => {
    await fc.assert(fc.asyncProperty(jsonBody, async (body) => {
      assertDocumented(await post('/leaks/github', { 'content-type': 'application/json', ...github.headers(body) }, body), body);
    }), { numRuns: RUNS });
  });

  test('POST /v1/credentials/revoke with random content types and bodies', async () => {
    await fc.assert(fc.asyncProperty(contentType, jsonBody, async (type, body) => {
      const answer = await post('/v1/credentials/revoke', { 'content-type': type }, body);
      assertDocumented(answer, body);
      if (answer.status < 400) assert.deepEqual([answer.status, answer.text], [202, '{"status":"accepted"}']);
    }), { numRuns: RUNS });
  });
});
