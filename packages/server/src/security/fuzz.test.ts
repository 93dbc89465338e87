import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { startTestServer, type TestServer } from '../testing/harness.js';
import { fetchToken } from '../testing/tokens.js';

/**
 * Property-based fuzzing of every public endpoint (SECURITY-CHECKLIST "Every malformed request
 * → 4xx JSON in the documented shape, never 5xx"): random headers, bodies, query strings and
 * path parameters. Each answer is below 500, and every error is JSON `{error,
 * error_description}` (the shape of RFC 6749 §5.2, RFC 6750 §3 and the API). The envelope and
 * signed-request profiles have their own properties in profiles/properties.test.ts.
 */
let server: TestServer;
let writeToken: string;
before(async () => {
  server = await startTestServer();
  const app = await server.createApp({ scopes: ['contacts_read', 'contacts_write'] });
  writeToken = await fetchToken(server.issuer, app.clientId, app.clientSecret, { scope: 'contacts_read contacts_write' });
});
after(() => server.close());

const RUNS = 120;
const printable = fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code));
const headerValue = fc.string({ unit: printable, maxLength: 120 });
const anyText = fc.string({ unit: 'grapheme', maxLength: 60 });
const authorization = fc.oneof(
  headerValue,
  fc.constantFrom('Basic', 'Basic !!!', 'Basic Og==', 'Basic YTo=', 'Bearer', 'Bearer ', 'Bearer a.b.c', 'Bearer kmk_x', 'Bearer kma_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA000000', 'Digest x'),
  fc.string({ unit: printable, maxLength: 60 }).map((t) => `Bearer ${t}`),
  fc.string({ unit: printable, maxLength: 60 }).map((t) => `Basic ${Buffer.from(t).toString('base64')}`),
);
const contentType = fc.oneof(
  fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'text/plain', 'multipart/form-data; boundary=x', 'application/json; charset=utf-8', 'APPLICATION/X-WWW-FORM-URLENCODED', 'application/x-www-form-urlencoded; charset=utf-16'),
  headerValue,
);
const headers = fc.record(
  {
    authorization,
    'content-type': contentType,
    'x-tenant-id': headerValue,
    'if-none-match': headerValue,
    accept: headerValue,
    'x-request-id': headerValue,
    'x-forwarded-for': headerValue,
  },
  { requiredKeys: [] },
);
const FORM_FIELDS = ['grant_type', 'client_id', 'client_secret', 'scope', 'audience', 'resource', 'token', 'token_type_hint', 'access_token'];
const junk = fc.oneof(anyText, fc.integer().map(String), fc.constantFrom('', 'client_credentials', 'contacts_read', '%', '%zz', '+', '&', '=', '\u0000'));
const formBody = fc.array(fc.tuple(fc.oneof(fc.constantFrom(...FORM_FIELDS), anyText), junk), { maxLength: 8 }).map((pairs) => new URLSearchParams(pairs).toString());
const jsonValue = fc.oneof(anyText, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(anyText, { maxLength: 3 }), fc.dictionary(anyText, anyText, { maxKeys: 3 }));
const CONTACT_FIELDS = ['email', 'name', 'phone', 'tags', 'status', 'id', '__proto__', 'constructor'];
const jsonBody = fc.oneof(
  fc.dictionary(fc.oneof(fc.constantFrom(...CONTACT_FIELDS), anyText), jsonValue, { maxKeys: 6 }).map((o) => JSON.stringify(o)),
  fc.json({ maxDepth: 3 }),
);
const body = fc.oneof(formBody, jsonBody, fc.string({ maxLength: 300 }), fc.constant(''));

interface Answer {
  status: number;
  type: string;
  text: string;
}

async function send(method: string, url: string, sentHeaders: Record<string, string>, sentBody?: string): Promise<Answer> {
  const response = await fetch(url, { method, headers: sentHeaders, body: method === 'GET' || method === 'HEAD' ? undefined : sentBody });
  return { status: response.status, type: response.headers.get('content-type') ?? '', text: await response.text() };
}

/**
 * Never 5xx; an error is JSON with exactly error and error_description, both strings, except the
 * RFC 6750 §3.1 answer to a request without credentials: a 401 whose challenge and body both
 * carry no error code.
 */
function assertDocumented(answer: Answer, what: string): void {
  assert.ok(answer.status < 500, `${what} → ${answer.status} ${answer.text}`);
  if (answer.status < 400) return;
  assert.match(answer.type, /^application\/json/, `${what} → ${answer.status} ${answer.type}`);
  const parsed = JSON.parse(answer.text);
  if (answer.status === 401 && !('error' in parsed)) {
    assert.deepEqual(Object.keys(parsed), ['error_description'], `${what} → ${answer.text}`);
    assert.equal(typeof parsed.error_description, 'string');
    return;
  }
  assert.deepEqual(Object.keys(parsed).sort(), ['error', 'error_description'], `${what} → ${answer.text}`);
  assert.match(parsed.error, /^[a-z_]+$/);
  assert.equal(typeof parsed.error_description, 'string');
}

describe('fuzzing: random headers, bodies, query and path parameters never produce a 5xx', () => {
  for (const path of ['/oauth/token', '/connect/token', '/oauth/introspect', '/oauth/revoke']) {
    test(`POST ${path}`, async () => {
      await fc.assert(
        fc.asyncProperty(headers, body, async (h, b) => assertDocumented(await send('POST', `${server.issuer}${path}`, h, b), `${path} ${JSON.stringify(h)} ${b}`)),
        { numRuns: RUNS },
      );
    });
  }

  test('GET /oauth/revocations?since=… with random If-None-Match', async () => {
    const since = fc.oneof(anyText, fc.nat().map(String), fc.constantFrom('', '-1', '1e3', '0x10', '9'.repeat(40), '00000000000000001'));
    await fc.assert(
      fc.asyncProperty(since, fc.array(fc.tuple(anyText, anyText), { maxLength: 3 }), headers, async (s, extra, h) => {
        const query = new URLSearchParams([['since', s], ...extra]).toString();
        assertDocumented(await send('GET', `${server.issuer}/oauth/revocations?${query}`, h), `revocations ${query}`);
      }),
      { numRuns: RUNS },
    );
  });

  test('metadata and JWKS paths, tenant slugs and well-known suffixes', async () => {
    const tenant = fc.oneof(fc.constant('default'), anyText.filter((t) => t.length > 0), fc.constantFrom('..', '%2e%2e', 'DEFAULT', 'default%00', 'a'.repeat(300)));
    const suffix = fc.oneof(
      fc.constantFrom('/.well-known/jwks.json', '/.well-known/oauth-authorization-server', '/.well-known/openid-configuration', '/.well-known/', '/.well-known/jwks.json/..', ''),
      anyText.map((t) => `/.well-known/${encodeURIComponent(t)}`),
    );
    await fc.assert(
      fc.asyncProperty(tenant, suffix, fc.constantFrom('GET', 'HEAD', 'POST', 'DELETE'), headers, async (t, s, method, h) => {
        const slug = /%/.test(t) ? t : encodeURIComponent(t);
        for (const url of [`${server.url}/t/${slug}${s}`, `${server.url}/.well-known/oauth-authorization-server/t/${slug}`]) {
          const answer = await send(method, url, h, method === 'POST' ? '{}' : undefined);
          if (method === 'HEAD') assert.ok(answer.status < 500, `${method} ${url} → ${answer.status}`);
          else assertDocumented(answer, `${method} ${url}`);
        }
      }),
      { numRuns: RUNS },
    );
  });

  test('contacts routes: random method, id, query and body, with a valid token and with random credentials', async () => {
    const id = fc.oneof(anyText.filter((t) => t.length > 0), fc.uuid(), fc.constantFrom('..', '%00', 'null', '0', '-1', "1' OR '1'='1", 'a'.repeat(500)));
    const query = fc.dictionary(fc.constantFrom('email', 'status', 'q', 'limit', 'cursor', 'access_token', 'x'), fc.oneof(anyText, fc.integer().map(String), fc.constantFrom('', '0', '101', 'subscribed', 'unsubscribed', '!!!', 'eyJ9')), { maxKeys: 4 });
    const route = fc.constantFrom('list', 'get', 'create', 'update', 'unsubscribe', 'delete');
    const useValidToken = fc.boolean();
    await fc.assert(
      fc.asyncProperty(route, id, query, jsonBody, headers, useValidToken, async (r, contactId, q, b, h, valid) => {
        const sentHeaders = { ...h, ...(valid ? { authorization: `Bearer ${writeToken}`, 'content-type': 'application/json' } : {}) };
        if (valid) delete sentHeaders['x-tenant-id'];
        const base = `${server.issuer}/api/v1/contacts`;
        const qs = new URLSearchParams(q).toString();
        const one = `${base}/${encodeURIComponent(contactId)}`;
        const [method, url] = ({
          list: ['GET', `${base}?${qs}`],
          get: ['GET', one],
          create: ['POST', `${base}?${qs}`],
          update: ['PATCH', one],
          unsubscribe: ['POST', `${one}/unsubscribe`],
          delete: ['DELETE', one],
        } as const)[r];
        assertDocumented(await send(method, url, sentHeaders, b), `${method} ${url} ${b}`);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  test('requests refused by the router or the HTTP parser (bad %-encoding, oversized headers, not HTTP) get the same JSON shape', async () => {
    const raw = (text: string) => new Promise<string>((resolve, reject) => {
      const url = new URL(server.url);
      const socket = connect(Number(url.port), url.hostname, () => socket.end(text));
      let answer = '';
      socket.on('data', (chunk) => (answer += chunk));
      socket.on('close', () => resolve(answer));
      socket.on('error', reject);
    });
    const cases: [string, number][] = [
      ['GET /t/%zz%/.well-known/jwks.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 400],
      [`GET /t/default/api/v1/contacts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'a'.repeat(20_000)}\r\nConnection: close\r\n\r\n`, 431],
      ['NOT HTTP AT ALL\r\n\r\n', 400],
    ];
    for (const [request, status] of cases) {
      const answer = await raw(request);
      const [head = '', text = ''] = answer.split('\r\n\r\n');
      assert.match(head, new RegExp(`^HTTP/1.1 ${status} `), answer.slice(0, 200));
      assert.match(head, /content-type: application\/json/i);
      const parsed = JSON.parse(text);
      assert.deepEqual(Object.keys(parsed).sort(), ['error', 'error_description']);
    }
  });

  test('a NUL character in a tenant slug, client_id, token, search term, path id or JSON field → 4xx, never a 500 (PostgreSQL refuses NUL)', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const json = { 'content-type': 'application/json' };
    const bearer = { authorization: `Bearer ${writeToken}` };
    const cases: [string, string, Record<string, string>, string?][] = [
      ['GET', `${server.url}/t/default%00/.well-known/jwks.json`, {}],
      ['POST', `${server.issuer}/oauth/token`, form, 'grant_type=client_credentials&client_id=%00abc&client_secret=x'],
      ['POST', `${server.issuer}/oauth/introspect`, form, 'client_id=%00abc&client_secret=x&token=t'],
      ['POST', `${server.issuer}/oauth/revoke`, form, 'client_id=abc&client_secret=x&token=%00'],
      ['POST', `${server.issuer}/v1/auth/token`, form, 'client_id=%00abc&client_secret=x'],
      ['POST', `${server.issuer}/v3/tokens`, json, JSON.stringify({ client_id: '\u0000abcdefghijklmn', audience: 'x', timestamp: Math.floor(Date.now() / 1000), signature_value: 'a'.repeat(20), signature: 'ab' })],
      ['GET', `${server.issuer}/api/v1/contacts/%00abc`, bearer],
      ['GET', `${server.issuer}/api/v1/contacts?q=%00&email=%00`, bearer],
      ['POST', `${server.issuer}/api/v1/contacts`, { ...bearer, ...json }, JSON.stringify({ email: 'nul@example.com', name: 'x\u0000' })],
      ['POST', `${server.issuer}/api/v1/contacts`, { ...bearer, ...json }, JSON.stringify({ email: 'nul2@example.com', tags: ['\u0000'] })],
    ];
    for (const [method, url, headers, sent] of cases) {
      const answer = await send(method, url, headers, sent);
      assert.ok(answer.status === 400 || answer.status === 404, `${method} ${url} ${sent ?? ''} → ${answer.status} ${answer.text}`);
    }
  });

  test('after all of it the server is up and logged no unexpected failure', async () => {
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    assert.doesNotMatch(server.logs(), /"level":(50|60)/, 'no request failed with an unexpected error');
  });
});
