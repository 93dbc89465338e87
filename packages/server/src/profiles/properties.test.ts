import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { generateToken, TOKEN_PREFIXES } from '../crypto/token-format.js';
import { startTestServer, type TestServer } from '../testing/harness.js';
import { signatureMatches, signRequest } from './signature.js';

const VISIBLE_ASCII = fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code));
const signatureValue = fc.string({ unit: VISIBLE_ASCII, minLength: 16, maxLength: 1024 });
const timestamp = fc.integer({ min: 0, max: 99_999_999_999 }).map(String);
const secret = fc.constant(null).map(() => generateToken(TOKEN_PREFIXES.clientSecret));

/** The text with the character at `index` replaced by a different one from `alphabet`. */
function changeOne(text: string, index: number, replacement: string): string | null {
  const i = index % text.length;
  return text[i] === replacement ? null : text.slice(0, i) + replacement + text.slice(i + 1);
}

test('property: a signature made with the right secret over any valid value and timestamp passes', () => {
  fc.assert(
    fc.property(secret, signatureValue, timestamp, (key, value, ts) => {
      const signature = signRequest(key, value, ts);
      assert.match(signature, /^[0-9a-f]{64}$/);
      assert.equal(signatureMatches(key, value, ts, signature), true);
    }),
    { numRuns: 300 },
  );
});

test('property: any single-character change to value, timestamp or signature fails', () => {
  const hexDigit = fc.constantFrom(...'0123456789abcdefABCDEFg ');
  const digit = fc.constantFrom(...'0123456789');
  fc.assert(
    fc.property(secret, signatureValue, timestamp, fc.nat(), VISIBLE_ASCII, digit, hexDigit, (key, value, ts, index, valueChar, tsChar, sigChar) => {
      const signature = signRequest(key, value, ts);
      const otherValue = changeOne(value, index, valueChar);
      if (otherValue !== null) assert.equal(signatureMatches(key, otherValue, ts, signature), false, 'value changed');
      const otherTs = changeOne(ts, index, tsChar);
      if (otherTs !== null) assert.equal(signatureMatches(key, value, otherTs, signature), false, 'timestamp changed');
      const otherSignature = changeOne(signature, index, sigChar);
      if (otherSignature !== null) assert.equal(signatureMatches(key, value, ts, otherSignature), false, 'signature changed');
      const otherKey = changeOne(key, 4 + (index % (key.length - 4)), valueChar);
      if (otherKey !== null) assert.equal(signatureMatches(otherKey, value, ts, signature), false, 'secret changed');
    }),
    { numRuns: 300 },
  );
});

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.close());

const HEADER_VALUE = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 80 });
const CONTENT_TYPES = fc.constantFrom(
  'application/json', 'application/x-www-form-urlencoded', 'application/json; charset=utf-8', 'text/plain',
  'multipart/form-data; boundary=x', 'application/xml', '', 'APPLICATION/JSON', 'application/x-www-form-urlencoded;charset=latin1',
);
const headers = fc.record(
  {
    'content-type': fc.oneof(CONTENT_TYPES, HEADER_VALUE),
    authorization: fc.oneof(fc.constant('Basic'), fc.constant('Basic !!!'), fc.constant('Bearer x'), HEADER_VALUE),
    'x-tenant-id': HEADER_VALUE,
    accept: HEADER_VALUE,
    'content-encoding': fc.constantFrom('gzip', 'br', 'identity', 'junk'),
    'x-junk': HEADER_VALUE,
  },
  { requiredKeys: [] },
);
const junkValue = fc.oneof(fc.string({ maxLength: 40 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }), fc.object({ maxDepth: 1 }));
// String() throws on generated objects without a usable toString (fc.object may make {toString: ''}).
const formValue = (value: unknown): string => (typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value));
const FIELDS = ['client_id', 'client_secret', 'grant_type', 'scope', 'audience', 'timestamp', 'signature_value', 'signature', 'scopes', 'expiration'];
const shapedJunk = fc.dictionary(fc.constantFrom(...FIELDS), junkValue);
const body = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.json({ maxDepth: 2 }),
  shapedJunk.map((record) => JSON.stringify(record)),
  shapedJunk.map((record) => new URLSearchParams(Object.entries(record).map(([k, v]): [string, string] => [k, formValue(v)])).toString()),
  fc.array(fc.tuple(fc.constantFrom(...FIELDS, 'x'), fc.string({ maxLength: 20 })), { maxLength: 6 }).map((pairs) => new URLSearchParams(pairs).toString()),
);

async function send(path: string, sentHeaders: Record<string, string>, sentBody: string) {
  const response = await fetch(`${server.issuer}${path}`, { method: 'POST', headers: sentHeaders, body: sentBody });
  const text = await response.text();
  return { status: response.status, text, type: response.headers.get('content-type') ?? '' };
}

test('property: junk bodies and headers to /v1/auth/token → 4xx {error:{code,code_reason,message}}, never 5xx', async () => {
  await fc.assert(
    fc.asyncProperty(headers, body, async (sentHeaders, sentBody) => {
      const response = await send('/v1/auth/token', sentHeaders, sentBody);
      assert.ok(response.status >= 400 && response.status < 500, `status ${response.status}: ${response.text}`);
      assert.match(response.type, /^application\/json/);
      const parsed = JSON.parse(response.text);
      assert.deepEqual(Object.keys(parsed), ['error']);
      assert.match(parsed.error.code, /^\d{6}$/);
      assert.equal(typeof parsed.error.code_reason, 'string');
      assert.equal(typeof parsed.error.message, 'string');
    }),
    { numRuns: 250 },
  );
});

test('property: junk bodies and headers to /v3/tokens → 4xx {error,error_description} (RFC 6749 §5.2), never 5xx', async () => {
  await fc.assert(
    fc.asyncProperty(headers, body, async (sentHeaders, sentBody) => {
      const response = await send('/v3/tokens', sentHeaders, sentBody);
      assert.ok(response.status >= 400 && response.status < 500, `status ${response.status}: ${response.text}`);
      assert.match(response.type, /^application\/json/);
      const parsed = JSON.parse(response.text);
      assert.deepEqual(Object.keys(parsed).sort(), ['error', 'error_description']);
      assert.match(parsed.error, /^[a-z_]+$/);
    }),
    { numRuns: 250 },
  );
  assert.doesNotMatch(server.logs(), /"level":50/, 'no request failed with an unexpected error');
});
