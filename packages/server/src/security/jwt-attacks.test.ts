import assert from 'node:assert/strict';
import { createHmac, createPublicKey } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createVerifier, InvalidTokenError, type Verifier } from '@keymint/sdk/node';
import type { JWK } from 'jose';
import { startTestServer, TestClock, type TestServer } from '../testing/harness.js';
import { fetchToken } from '../testing/tokens.js';
import { attackerKeyPair, b64url, currentSigningKey, es256, signCompact, split, tenantSigningKeys, type TenantSigningKey } from './forgery.js';

/**
 * SECURITY-CHECKLIST "Verifying a JWT", RFC 8725, RFC 9068 §4: every forgery is refused by BOTH
 * the SDK verifier (discovering the real server's JWKS over HTTP, as an integrator runs it) AND
 * the resource API (/t/:tenant/api/v1/contacts → 401 invalid_token with an RFC 6750 challenge).
 * Tokens are signed with the tenant's real private key wherever a valid signature is needed, so
 * each case fails for exactly the one reason it names; the "accepted" rows prove that.
 */

/** A clock standing on a whole second, so the 5 s leeway boundaries are exact. */
class FrozenClock extends TestClock {
  at = Math.floor(Date.now() / 1000) * 1000;
  override now = (): number => this.at;
  override advance(ms: number): void {
    this.at += ms;
  }
}

/** A local HTTP server that jku/x5u/kid URLs point at: it must never get a request. */
class Trap {
  server!: Server;
  url = '';
  requests: string[] = [];
  jwks: JWK[] = [];
  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.requests.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: this.jwks }));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
}

const LEEWAY = 5;
const clock = new FrozenClock();
const trap = new Trap();
let server: TestServer;
let issuer: string;
let audience: string;
let key: TenantSigningKey;
let verifier: Verifier;
const attacker = attackerKeyPair();
const T = () => Math.floor(clock.now() / 1000);

function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: issuer,
    sub: 'attackattackattackattack',
    client_id: 'attackattackattackattack',
    aud: audience,
    scope: 'contacts_read',
    jti: `jti-${Math.random().toString(36).slice(2)}`,
    iat: T(),
    exp: T() + 600,
    tid: 'default',
    ...overrides,
  };
}

function header(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { alg: 'ES256', typ: 'at+jwt', kid: key.kid, ...overrides };
}

/** Signed by the tenant's real current key. */
const real = (h: object | string = header(), p: object | string = claims()) => signCompact(h, p, key.privateKey);
const without = (name: string) => {
  const payload = claims();
  delete payload[name];
  return payload;
};
function withSignature(token: string, signature: Buffer | string): string {
  return `${split(token).input}.${typeof signature === 'string' ? signature : b64url(signature)}`;
}
function hs256(secret: string, alg = 'HS256'): string {
  const input = `${b64url(JSON.stringify(header({ alg })))}.${b64url(JSON.stringify(claims()))}`;
  const hash = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[alg]!;
  return `${input}.${b64url(createHmac(hash, secret).update(input).digest())}`;
}
/** Standard base64 of a header or claims set, padded with a filler claim until it shows `wanted` (a "+", "/" or "=" that base64url never has). */
function standardBase64(make: (extra: Record<string, unknown>) => Record<string, unknown>, wanted: RegExp): string {
  for (let filler = '>?'; ; filler += filler.length % 2 ? '>' : '?') {
    const encoded = Buffer.from(JSON.stringify(make({ filler }))).toString('base64');
    if (wanted.test(encoded)) return encoded;
  }
}
/** P-256 group order n: r = s = n is the other CVE-2022-21449 "psychic signature". */
const P256_N = Buffer.from('FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551', 'hex');

interface Case {
  name: string;
  token(): string | Promise<string>;
  /** The control rows: a valid token, and each boundary's accepted side. */
  accepted?: boolean;
  /** Where only the resource API refuses (a claim the SDK leaves to the application). */
  sdkAccepts?: boolean;
  /** Not even a b64token (RFC 6750 §2.1): the resource API refuses the header as malformed, 400 invalid_request (§3.1). */
  malformedHeader?: boolean;
}

const CASES: Case[] = [
  { name: 'control: a token signed by the tenant key with every claim right → accepted', token: () => real(), accepted: true },
  { name: 'control: typ application/at+jwt → accepted (RFC 9068 §4)', token: () => real(header({ typ: 'application/at+jwt' })), accepted: true },
  { name: 'control: aud as an array that names this API → accepted', token: () => real(header(), claims({ aud: ['https://other.example/api', audience] })), accepted: true },

  // RFC 8725 §3.1 / §3.2: the algorithm is pinned; "none" and HMAC-with-the-public-key refused.
  ...['none', 'None', 'NONE', 'nOnE'].map((alg) => ({ name: `alg "${alg}" with an empty signature`, token: () => `${b64url(JSON.stringify(header({ alg })))}.${b64url(JSON.stringify(claims()))}.` })),
  { name: 'alg "none" with a real ES256 signature left on', token: () => withSignature(`${b64url(JSON.stringify(header({ alg: 'none' })))}.${split(real()).payload}.x`, es256(`${b64url(JSON.stringify(header({ alg: 'none' })))}.${split(real()).payload}`, key.privateKey)) },
  { name: 'no alg header at all', token: () => real({ typ: 'at+jwt', kid: key.kid }) },
  { name: 'HS256 keyed with the public key as PEM (SPKI)', token: () => hs256(createPublicKey({ key: key.publicJwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string) },
  { name: 'HS256 keyed with the published JWK as JSON text', token: () => hs256(JSON.stringify(key.publicJwk)) },
  { name: 'HS512 keyed with the published JWK as JSON text', token: () => hs256(JSON.stringify(key.publicJwk), 'HS512') },
  { name: 'alg ES384 over a real ES256 signature (algorithm switched in the header)', token: () => real(header({ alg: 'ES384' })) },
  { name: 'EdDSA header with the real kid, signed by an attacker key', token: () => signCompact(header({ alg: 'EdDSA' }), claims(), attacker.privateKey) },

  // kid only indexes the in-memory JWKS.
  { name: 'kid that does not exist (attacker key)', token: () => signCompact(header({ kid: 'no-such-key' }), claims(), attacker.privateKey) },
  { name: 'kid that does not exist (real key)', token: () => real(header({ kid: 'no-such-key' })) },
  { name: 'kid ../../etc/passwd (path-ish)', token: () => real(header({ kid: '../../../../etc/passwd' })) },
  { name: "kid ' OR '1'='1 (SQL-ish)", token: () => real(header({ kid: "' OR '1'='1' --" })) },
  { name: 'kid that is a URL on a local server (never fetched)', token: () => real(header({ kid: `${trap.url}/kid` })) },
  { name: 'kid of 5000 characters', token: () => real(header({ kid: 'k'.repeat(5000) })) },
  { name: 'kid that is a number, not a string', token: () => real(header({ kid: 1 })) },

  // RFC 8725 §3.10: key-carrying headers are never fetched or trusted (the trap counts requests).
  { name: 'jku pointing at a local JWKS that holds the attacker key', token: () => signCompact(header({ jku: `${trap.url}/jwks`, kid: 'attacker' }), claims(), attacker.privateKey) },
  { name: 'jku pointing at a local server, signed by the real key', token: () => real(header({ jku: `${trap.url}/jwks` })) },
  { name: 'x5u pointing at a local server', token: () => signCompact(header({ x5u: `${trap.url}/cert.pem`, kid: 'attacker' }), claims(), attacker.privateKey) },
  { name: 'embedded jwk of the attacker key', token: () => signCompact(header({ jwk: attacker.publicJwk, kid: undefined }), claims(), attacker.privateKey) },
  { name: 'embedded jwk of the attacker key, with the real kid', token: () => signCompact(header({ jwk: attacker.publicJwk }), claims(), attacker.privateKey) },
  { name: 'x5c chain', token: () => signCompact(header({ x5c: ['MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA'] }), claims(), attacker.privateKey) },

  // RFC 7515 §4.1.11.
  { name: 'crit naming an unknown header', token: () => real(header({ crit: ['urn:example:unknown'], 'urn:example:unknown': true })) },
  { name: 'crit that is not an array', token: () => real(header({ crit: 'exp' })) },

  // RFC 9068 §4: typ must be at+jwt.
  ...['JWT', 'jwt', 'id_token+jwt', 'dpop+jwt', 'application/jwt', 'at+jwt2', ''].map((typ) => ({ name: `typ "${typ}"`, token: () => real(header({ typ })) })),
  { name: 'no typ header', token: () => real(header({ typ: undefined })) },

  // Time claims, both sides of each boundary (5 s leeway).
  { name: `exp ${LEEWAY - 1} s ago → accepted (inside the leeway)`, token: () => real(header(), claims({ exp: T() - (LEEWAY - 1) })), accepted: true },
  { name: `exp ${LEEWAY} s ago → refused (leeway spent)`, token: () => real(header(), claims({ exp: T() - LEEWAY })) },
  { name: 'exp an hour ago', token: () => real(header(), claims({ iat: T() - 7200, exp: T() - 3600 })) },
  { name: `nbf ${LEEWAY} s ahead → accepted`, token: () => real(header(), claims({ nbf: T() + LEEWAY })), accepted: true },
  { name: `nbf ${LEEWAY + 1} s ahead → refused`, token: () => real(header(), claims({ nbf: T() + LEEWAY + 1 })) },
  { name: `iat ${LEEWAY} s ahead → accepted`, token: () => real(header(), claims({ iat: T() + LEEWAY })), accepted: true },
  { name: `iat ${LEEWAY + 1} s ahead → refused`, token: () => real(header(), claims({ iat: T() + LEEWAY + 1 })) },
  ...([
    ['exp', String(Math.floor(Date.now() / 1000) + 600)], ['exp', null], ['exp', true], ['exp', [Math.floor(Date.now() / 1000) + 600]], ['exp', {}],
    ['iat', 'yesterday'], ['iat', null], ['nbf', '0'], ['nbf', false],
  ] as const).map(([name, value]) => ({ name: `${name} that is not a number (${JSON.stringify(value)})`, token: () => real(header(), claims({ [name]: value })) })),

  // Issuer, audience, required claims.
  { name: 'iss of another issuer', token: () => real(header(), claims({ iss: 'https://evil.example/t/default' })) },
  { name: 'iss with a trailing slash', token: () => real(header(), claims({ iss: `${issuer}/` })) },
  { name: 'iss of another tenant on this server', token: () => real(header(), claims({ iss: issuer.replace(/\/t\/default$/, '/t/other') })) },
  { name: 'iss as an array', token: () => real(header(), claims({ iss: [issuer] })) },
  { name: 'aud of another API', token: () => real(header(), claims({ aud: 'https://other.example/api' })) },
  { name: 'aud of the tenant issuer itself, not its API', token: () => real(header(), claims({ aud: issuer })) },
  { name: 'aud empty string', token: () => real(header(), claims({ aud: '' })) },
  { name: 'aud empty array', token: () => real(header(), claims({ aud: [] })) },
  ...['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'].map((name) => ({ name: `RFC 9068 §2.2: ${name} missing`, token: () => real(header(), without(name)) })),
  ...['sub', 'client_id', 'jti'].map((name) => ({ name: `RFC 9068 §2.2: ${name} empty`, token: () => real(header(), claims({ [name]: '' })) })),
  { name: 'client_id that is a number', token: () => real(header(), claims({ client_id: 12345 })) },
  { name: 'scope that is an array', token: () => real(header(), claims({ scope: ['contacts_read'] })) },
  { name: 'tid of another tenant (same issuer key): refused by the resource API', token: () => real(header(), claims({ tid: 'other' })), sdkAccepts: true },

  // Integrity.
  { name: 'tampered payload (scope raised), original signature', token: () => { const t = real(); return `${split(t).header}.${b64url(JSON.stringify(claims({ scope: 'contacts_read contacts_write' })))}.${t.split('.')[2]}`; } },
  { name: 'tampered header (kid of the next key), original signature', token: async () => { const next = (await tenantSigningKeys(server.server.keymint)).find((k) => k.state === 'next')!; const t = real(); return `${b64url(JSON.stringify(header({ kid: next.kid })))}.${split(t).payload}.${t.split('.')[2]}`; } },
  { name: 'signature of another valid token', token: () => withSignature(real(), split(real()).signature) },
  ...[0, 31, 32, 63].map((byte) => ({ name: `one bit flipped in signature byte ${byte}`, token: () => { const t = real(); const s = Buffer.from(split(t).signature); s[byte] = s[byte]! ^ 0x01; return withSignature(t, s); } })),
  { name: 'one bit flipped in the payload', token: () => { const t = real(); const p = Buffer.from(split(t).payload, 'base64url'); p[5] = p[5]! ^ 0x01; return `${split(t).header}.${b64url(p)}.${t.split('.')[2]}`; } },
  { name: 'signature truncated to 63 bytes', token: () => { const t = real(); return withSignature(t, split(t).signature.subarray(0, 63)); } },
  { name: 'signature of 65 bytes (a zero byte appended)', token: () => { const t = real(); return withSignature(t, Buffer.concat([split(t).signature, Buffer.alloc(1)])); } },
  { name: 'signature of 65 bytes (a zero byte prepended)', token: () => { const t = real(); return withSignature(t, Buffer.concat([Buffer.alloc(1), split(t).signature])); } },
  { name: 'empty signature', token: () => withSignature(real(), '') },
  { name: 'DER-encoded ES256 signature by the real key', token: () => { const t = real(); return withSignature(t, es256(split(t).input, key.privateKey, 'der')); } },
  { name: 'CVE-2022-21449: r = 0, s = 0', token: () => withSignature(real(), Buffer.alloc(64)) },
  { name: 'CVE-2022-21449: r = 0 with the real s', token: () => { const t = real(); return withSignature(t, Buffer.concat([Buffer.alloc(32), split(t).signature.subarray(32)])); } },
  { name: 'CVE-2022-21449: the real r with s = 0', token: () => { const t = real(); return withSignature(t, Buffer.concat([split(t).signature.subarray(0, 32), Buffer.alloc(32)])); } },
  { name: 'CVE-2022-21449: r = s = n (the group order)', token: () => withSignature(real(), Buffer.concat([P256_N, P256_N])) },

  // Structure.
  { name: 'two segments', token: () => real().split('.').slice(0, 2).join('.') },
  { name: 'four segments', token: () => `${real()}.x` },
  { name: 'five segments (JWE-shaped)', token: () => `${real()}.x.y` },
  { name: 'empty segments', token: () => '..' },
  { name: 'characters outside base64url (!#$)', token: () => '!!!.###.$$$', malformedHeader: true },
  { name: 'standard base64 "+" and "/" in a really signed header', token: () => { const input = `${standardBase64(header, /[+/]/).replace(/=+$/, '')}.${b64url(JSON.stringify(claims()))}`; return `${input}.${b64url(es256(input, key.privateKey))}`; } },
  { name: 'padding "=" in a really signed payload', token: () => { const input = `${b64url(JSON.stringify(header()))}.${standardBase64(claims, /=$/)}`; return `${input}.${b64url(es256(input, key.privateKey))}`; }, malformedHeader: true },
  { name: 'header that is not JSON', token: () => { const input = `${b64url('{"alg":"ES256",')}.${b64url(JSON.stringify(claims()))}`; return `${input}.${b64url(es256(input, key.privateKey))}`; } },
  ...['null', '[]', '1', '"claims"', 'true'].map((payload) => ({ name: `payload ${payload} (really signed)`, token: () => real(header(), payload) })),
  { name: 'duplicate claim name (aud: evil first, the right one last; really signed)', token: () => real(header(), JSON.stringify(claims()).replace('{', '{"aud":"https://evil.example/api",')) },
  { name: 'duplicate claim name (scope raised last; really signed)', token: () => real(header(), `${JSON.stringify(claims()).slice(0, -1)},"scope":"contacts_read contacts_write"}`) },
  { name: 'duplicate header name (typ JWT then at+jwt; really signed)', token: () => real(JSON.stringify(header()).replace('{', '{"typ":"JWT",')) },
  { name: 'a token over 8 KB, really signed (refused before crypto)', token: () => real(header(), claims({ padding: 'x'.repeat(8 * 1024) })) },
];

async function askResource(token: string): Promise<{ status: number; challenge: string | null; body: any }> {
  const response = await fetch(`${issuer}/api/v1/contacts`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, challenge: response.headers.get('www-authenticate'), body: await response.json() };
}

async function assertRefused(token: string, { sdk = true, malformedHeader = false } = {}): Promise<{ sdkError?: InvalidTokenError; api: Awaited<ReturnType<typeof askResource>> }> {
  let sdkError: InvalidTokenError | undefined;
  if (sdk) {
    await assert.rejects(verifier.verify(token), (error: unknown) => {
      assert.ok(error instanceof InvalidTokenError, `SDK: expected InvalidTokenError, got ${String(error)}`);
      assert.equal(error.status, 401);
      assert.equal(error.error, 'invalid_token');
      sdkError = error;
      return true;
    }, 'SDK verifier accepted it');
  }
  const api = await askResource(token);
  if (malformedHeader) {
    assert.equal(api.status, 400, `resource API answered ${api.status} ${JSON.stringify(api.body)}`);
    assert.equal(api.body.error, 'invalid_request');
    return { sdkError, api };
  }
  assert.equal(api.status, 401, `resource API answered ${api.status} ${JSON.stringify(api.body)}`);
  assert.equal(api.body.error, 'invalid_token');
  assert.equal(typeof api.body.error_description, 'string');
  assert.match(api.challenge ?? '', /^Bearer realm="[^"]+", error="invalid_token", error_description="[^"]*", resource_metadata="[^"]+"$/);
  return { sdkError, api };
}

async function assertAccepted(token: string): Promise<void> {
  const claims = await verifier.verify(token);
  assert.equal(claims.iss, issuer);
  const api = await askResource(token);
  assert.equal(api.status, 200, `resource API answered ${api.status} ${JSON.stringify(api.body)}`);
}

describe('JWT attack matrix: SDK verifier and resource API', () => {
  before(async () => {
    await trap.start();
    trap.jwks = [{ ...attacker.publicJwk, kid: 'attacker', alg: 'ES256' }];
    server = await startTestServer({ clock });
    issuer = server.issuer;
    audience = `${issuer}/api`;
    key = await currentSigningKey(server.server.keymint);
    verifier = createVerifier({ issuer, audience, revocationPollMs: false, now: clock.now, cacheSize: 0 });
  });
  after(async () => {
    verifier.close();
    trap.server.close();
    await server.close();
  });

  for (const c of CASES) {
    test(c.name, async () => {
      const token = await c.token();
      const trapped = trap.requests.length;
      if (c.accepted) await assertAccepted(token);
      else if (c.sdkAccepts) {
        await verifier.verify(token);
        await assertRefused(token, { sdk: false });
      } else await assertRefused(token, { malformedHeader: c.malformedHeader === true });
      assert.equal(trap.requests.length, trapped, `a header made the verifier fetch ${trap.requests.slice(trapped).join(', ')}`);
    });
  }

  test('the 8 KB limit answers before any parsing: the reason says the token is too long', async () => {
    const { sdkError, api } = await assertRefused(real(header(), claims({ padding: 'x'.repeat(8 * 1024) })));
    assert.equal(sdkError?.code, 'ERR_TOKEN_TOO_LARGE');
    assert.match(api.body.error_description, /longer than 8192/);
    // Over the limit with junk that could not even be parsed: same reason, so no parser ran first.
    assert.match((await askResource(`${'a'.repeat(9000)}.b.c`)).body.error_description, /longer than 8192/);
  });

  test("another tenant's real token is refused here (own issuer, own keys)", async () => {
    const { keymint } = server.server;
    await keymint.tenants.create('other');
    const app = await server.createApp({ tenant: 'other' });
    const token = await fetchToken(`${server.url}/t/other`, app.clientId, app.clientSecret);
    await assertRefused(token);
    // The same token is good where it belongs: the refusal is about the tenant, not the token.
    const response = await fetch(`${server.url}/t/other/api/v1/contacts`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(response.status, 200);
  });

  test('a token signed by a key rotated past and removed is refused; the same claims under the current key are accepted', async () => {
    const { keymint } = server.server;
    const tenant = await keymint.tenants.get('default');
    const old = key;
    clock.advance(keymint.config.jwksMaxAgeSeconds * 1000 + 1_000);
    const rotation = await keymint.keys.rotate(tenant.id);
    assert.ok(rotation.promoted, 'the published next key now signs');
    clock.advance(86_400_000 + 61_000 + 1_000); // every token the old key signed has expired
    await keymint.keys.maintainAll();
    const remaining = await tenantSigningKeys(server.server.keymint);
    assert.ok(!remaining.some((k) => k.kid === old.kid), 'the old key is removed');
    key = await currentSigningKey(server.server.keymint);
    const fresh = createVerifier({ issuer, audience, revocationPollMs: false, now: clock.now, cacheSize: 0 });
    try {
      verifier = fresh;
      await assertRefused(signCompact(header({ kid: old.kid }), claims(), old.privateKey));
      await assertAccepted(real());
    } finally {
      fresh.close();
    }
  });
});
