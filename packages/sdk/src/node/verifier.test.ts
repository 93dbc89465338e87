import assert from 'node:assert/strict';
import { KeyObject, sign as cryptoSign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { InvalidTokenError } from './errors.js';
import { createVerifier, type VerifierOptions } from './verifier.js';

/**
 * A small issuer on 127.0.0.1: RFC 8414 metadata, a JWKS whose keys and Cache-Control the test
 * controls, and a revocation feed. It counts every request, so "never fetched" is checkable.
 */
class TestIssuer {
  server!: Server;
  issuer = '';
  keys: JWK[] = [];
  jwksCacheControl = 'public, max-age=300';
  requests: string[] = [];
  revocations: { status: number; page?: unknown; etag?: string } = { status: 404 };

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.requests.push(req.url ?? '');
      const url = new URL(req.url ?? '/', this.issuer);
      const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(body));
      };
      if (url.pathname === '/.well-known/oauth-authorization-server/t/test') {
        return json(200, { issuer: this.issuer, jwks_uri: `${this.issuer}/.well-known/jwks.json`, token_endpoint: `${this.issuer}/oauth/token` });
      }
      if (url.pathname === '/t/test/.well-known/jwks.json') return json(200, { keys: this.keys }, { 'cache-control': this.jwksCacheControl });
      if (url.pathname === '/t/test/oauth/revocations') {
        const { status, page, etag } = this.revocations;
        if (etag && req.headers['if-none-match'] === etag) {
          res.writeHead(304, { etag });
          return res.end();
        }
        return json(status, page ?? { error: 'not_found' }, etag ? { etag } : {});
      }
      return json(404, { error: 'not_found' });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.issuer = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/t/test`;
  }

  jwksFetches(): number {
    return this.requests.filter((r) => r.includes('jwks.json')).length;
  }
}

const issuer = new TestIssuer();
let privateKey: CryptoKey;
let publicJwk: JWK;
let otherPrivateKey: CryptoKey;
let pem: string;
const KID = 'key-1';
const nowSeconds = () => Math.floor(Date.now() / 1000);

function claims(overrides: JWTPayload = {}): JWTPayload {
  const iat = nowSeconds();
  return {
    iss: issuer.issuer,
    sub: 'client123456789012345678',
    client_id: 'client123456789012345678',
    aud: `${issuer.issuer}/api`,
    scope: 'contacts_read',
    jti: crypto.randomUUID(),
    iat,
    exp: iat + 600,
    tid: 'test',
    ...overrides,
  };
}

async function sign(payload: JWTPayload = claims(), header: Record<string, unknown> = {}, key: CryptoKey | Uint8Array = privateKey): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: KID, ...header } as never).sign(key);
}

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function verifier(options: Partial<VerifierOptions> = {}) {
  return createVerifier({ issuer: issuer.issuer, audience: `${issuer.issuer}/api`, revocationPollMs: false, ...options });
}

async function refusal(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof InvalidTokenError, `expected InvalidTokenError, got ${String(error)}`);
    assert.equal(error.error, 'invalid_token');
    assert.equal(error.status, 401);
    assert.equal(error.code, code);
    return true;
  });
}

describe('createVerifier (RFC 9068 §4, RFC 8725)', () => {
  before(async () => {
    await issuer.start();
    const pair = await generateKeyPair('ES256', { extractable: true });
    privateKey = pair.privateKey;
    publicJwk = { ...(await exportJWK(pair.publicKey)), kid: KID, alg: 'ES256', use: 'sig' };
    pem = await exportSPKI(pair.publicKey);
    otherPrivateKey = (await generateKeyPair('ES256', { extractable: true })).privateKey;
    issuer.keys = [publicJwk];
  });
  after(() => issuer.server.close());

  test('accepts a valid token and returns its claims; the JWKS was discovered through jwks_uri', async () => {
    const v = verifier();
    const payload = claims();
    const result = await v.verify(await sign(payload));
    assert.equal(result.client_id, payload.client_id);
    assert.equal(result.jti, payload.jti);
    assert.ok(issuer.requests.includes('/.well-known/oauth-authorization-server/t/test'));
    assert.ok(issuer.jwksFetches() >= 1);
  });

  test('§4: typ application/at+jwt is accepted too', async () => {
    await verifier().verify(await sign(claims(), { typ: 'application/at+jwt' }));
  });

  test('a token signed by a key that is not in the JWKS → ERR_TOKEN_SIGNATURE', async () => {
    await refusal(verifier().verify(await sign(claims(), {}, otherPrivateKey)), 'ERR_TOKEN_SIGNATURE');
  });

  test('RFC 9068 §4: another issuer\'s token → ERR_TOKEN_ISSUER saying so, before any key lookup (signed by a key we do not hold, or by ours)', async () => {
    const v = verifier();
    await v.verify(await sign());
    const fetches = issuer.jwksFetches();
    for (const token of [await sign(claims({ iss: `${issuer.issuer}-other` }), { kid: 'their-key' }, otherPrivateKey), await sign(claims({ iss: `${issuer.issuer}-other` }))]) {
      await assert.rejects(v.verify(token), (error: unknown) => {
        assert.ok(error instanceof InvalidTokenError);
        assert.equal(error.code, 'ERR_TOKEN_ISSUER');
        assert.match(error.message, /issued by another issuer/);
        return true;
      });
    }
    assert.equal(issuer.jwksFetches(), fetches, 'a foreign kid caused no JWKS refetch');
  });

  test('wrong or missing aud → refused', async () => {
    await refusal(verifier().verify(await sign(claims({ aud: 'https://elsewhere.example/api' }))), 'ERR_TOKEN_CLAIM_INVALID');
    const noAud = claims();
    delete noAud.aud;
    await refusal(verifier().verify(await sign(noAud)), 'ERR_TOKEN_CLAIM_INVALID');
  });

  test('every RFC 9068 §2.2 claim is required', async () => {
    for (const name of ['iss', 'exp', 'sub', 'client_id', 'iat', 'jti']) {
      const payload = claims();
      delete payload[name];
      await assert.rejects(verifier().verify(await sign(payload)), InvalidTokenError, name);
    }
  });

  test('alg none → refused', async () => {
    const token = `${b64({ alg: 'none', typ: 'at+jwt', kid: KID })}.${b64(claims())}.`;
    await refusal(verifier().verify(token), 'ERR_TOKEN_ALGORITHM');
  });

  test('HS256 "signed" with the public key (PEM or JWK text) as secret → refused', async () => {
    for (const secret of [pem, JSON.stringify(publicJwk)]) {
      const token = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: KID }).sign(new TextEncoder().encode(secret));
      await refusal(verifier().verify(token), 'ERR_TOKEN_ALGORITHM');
    }
  });

  test('a tampered payload, a flipped signature bit or a truncated signature → ERR_TOKEN_SIGNATURE', async () => {
    const token = await sign();
    const [header, , signature] = token.split('.');
    await refusal(verifier().verify(`${header}.${b64(claims({ scope: 'contacts_read contacts_write' }))}.${signature}`), 'ERR_TOKEN_SIGNATURE');
    const bytes = Buffer.from(signature!, 'base64url');
    bytes[10] = bytes[10]! ^ 1;
    await refusal(verifier().verify(`${header}.${token.split('.')[1]}.${bytes.toString('base64url')}`), 'ERR_TOKEN_SIGNATURE');
    await refusal(verifier().verify(`${header}.${token.split('.')[1]}.${bytes.subarray(0, 63).toString('base64url')}`), 'ERR_TOKEN_SIGNATURE');
  });

  test('RFC 7518 §3.4: an ES256 signature must be the 64-byte R‖S: DER-encoded or all-zero (CVE-2022-21449) → refused', async () => {
    const input = `${b64({ alg: 'ES256', typ: 'at+jwt', kid: KID })}.${b64(claims())}`;
    const der = cryptoSign('sha256', Buffer.from(input), { key: KeyObject.from(privateKey as never), dsaEncoding: 'der' });
    await refusal(verifier().verify(`${input}.${der.toString('base64url')}`), 'ERR_TOKEN_SIGNATURE');
    await refusal(verifier().verify(`${input}.${Buffer.alloc(64).toString('base64url')}`), 'ERR_TOKEN_SIGNATURE');
    const raw = cryptoSign('sha256', Buffer.from(input), { key: KeyObject.from(privateKey as never), dsaEncoding: 'ieee-p1363' });
    await verifier().verify(`${input}.${raw.toString('base64url')}`);
  });

  test('§4: wrong or missing typ (an ID token or plain JWT presented as an access token) → ERR_TOKEN_TYPE', async () => {
    await refusal(verifier().verify(await sign(claims(), { typ: 'JWT' })), 'ERR_TOKEN_TYPE');
    await refusal(verifier().verify(await sign(claims(), { typ: undefined })), 'ERR_TOKEN_TYPE');
  });

  test('exp: accepted up to the 5 s leeway, refused from it on (both sides of the boundary)', async () => {
    const exp = nowSeconds() + 100;
    const token = await sign(claims({ exp }));
    const at = (seconds: number) => verifier({ now: () => seconds * 1000 });
    await at(exp + 4).verify(token);
    await refusal(at(exp + 5).verify(token), 'ERR_TOKEN_EXPIRED');
    await refusal(at(exp + 3600).verify(token), 'ERR_TOKEN_EXPIRED');
  });

  test('iat and nbf in the future beyond the leeway → refused; within it → accepted', async () => {
    const now = nowSeconds();
    await verifier().verify(await sign(claims({ iat: now + 4 })));
    await refusal(verifier().verify(await sign(claims({ iat: now + 30 }))), 'ERR_TOKEN_NOT_YET_VALID');
    await refusal(verifier().verify(await sign(claims({ nbf: now + 30 }))), 'ERR_TOKEN_NOT_YET_VALID');
  });

  test('an oversized token is refused before any parsing or key lookup', async () => {
    const before = issuer.requests.length;
    const fresh = verifier();
    await refusal(fresh.verify(`${'a'.repeat(8193)}.b.c`), 'ERR_TOKEN_TOO_LARGE');
    assert.equal(issuer.requests.length, before, 'no metadata or JWKS request');
    const huge = await sign(claims({ padding: 'x'.repeat(9000) }));
    await refusal(fresh.verify(huge), 'ERR_TOKEN_TOO_LARGE');
  });

  test('RFC 8725 §3.10: jku, x5u, jwk and x5c headers are refused and never fetched', async () => {
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    const embedded = await exportJWK(publicKey);
    for (const header of [{ jku: `${issuer.issuer}/evil-jwks` }, { x5u: `${issuer.issuer}/evil-cert` }, { jwk: embedded }, { x5c: ['MIIB'] }]) {
      await refusal(verifier().verify(await sign(claims(), header)), 'ERR_TOKEN_EMBEDDED_KEY');
    }
    assert.ok(!issuer.requests.some((r) => r.includes('evil')));
  });

  test('RFC 7515 §4.1.11: an unknown crit header → refused', async () => {
    // jose will not sign this, so the token is put together by hand (the same way as a control).
    const handSigned = (header: Record<string, unknown>) => {
      const input = `${b64({ alg: 'ES256', typ: 'at+jwt', kid: KID, ...header })}.${b64(claims())}`;
      const signature = cryptoSign('sha256', Buffer.from(input), { key: KeyObject.from(privateKey as never), dsaEncoding: 'ieee-p1363' });
      return `${input}.${signature.toString('base64url')}`;
    };
    await verifier().verify(handSigned({}));
    const token = handSigned({ crit: ['urn:example:unknown'], 'urn:example:unknown': true });
    await assert.rejects(verifier().verify(token), InvalidTokenError);
  });

  test('payloads that are not objects, bad segments and odd kids → 401 errors, never other exceptions', async () => {
    const header = b64({ alg: 'ES256', typ: 'at+jwt', kid: KID });
    for (const token of [`${header}.${b64(null)}.sig`, `${header}.${b64([])}.sig`, `${header}.${b64(1)}.sig`, 'a.b', 'a.b.c.d', '!!!.###.$$$', '']) {
      await assert.rejects(verifier().verify(token), InvalidTokenError, token);
    }
    for (const kid of ['../../etc/passwd', "' OR 1=1 --", 'https://evil.example/key', 'k'.repeat(5000)]) {
      await assert.rejects(verifier().verify(await sign(claims(), { kid })), InvalidTokenError, kid.slice(0, 20));
    }
    assert.ok(!issuer.requests.some((r) => r.includes('etc') || r.includes('evil')));
  });

  test('unknown kid: at most one JWKS refetch per cooldown; a rotated-in key is found after it', async () => {
    let now = Date.now();
    const v = verifier({ now: () => now, jwksCooldownMs: 5_000 });
    await v.verify(await sign());
    const fetchesAfterFirst = v.stats.jwksFetches;
    for (let i = 0; i < 5; i++) await refusal(v.verify(await sign(claims(), { kid: `unknown-${i}` })), 'ERR_TOKEN_KEY_UNKNOWN');
    assert.equal(v.stats.jwksFetches, fetchesAfterFirst, 'within the cooldown of the first fetch: no refetch');

    const rotated = await generateKeyPair('ES256', { extractable: true });
    issuer.keys = [publicJwk, { ...(await exportJWK(rotated.publicKey)), kid: 'key-2', alg: 'ES256' }];
    now += 5_001;
    const rotatedToken = await sign(claims(), { kid: 'key-2' }, rotated.privateKey);
    await v.verify(rotatedToken);
    assert.equal(v.stats.jwksFetches, fetchesAfterFirst + 1, 'one refetch found the new key');
    for (let i = 0; i < 5; i++) await refusal(v.verify(await sign(claims(), { kid: `still-unknown-${i}` })), 'ERR_TOKEN_KEY_UNKNOWN');
    assert.equal(v.stats.jwksFetches, fetchesAfterFirst + 1);
    issuer.keys = [publicJwk];
  });

  test('the JWKS is kept for its Cache-Control max-age, then fetched again', async () => {
    let now = Date.now();
    issuer.jwksCacheControl = 'public, max-age=60';
    const v = verifier({ now: () => now });
    await v.verify(await sign());
    await v.verify(await sign());
    assert.equal(v.stats.jwksFetches, 1);
    now += 61_000;
    await v.verify(await sign(claims({ iat: Math.floor(now / 1000), exp: Math.floor(now / 1000) + 600 })));
    assert.equal(v.stats.jwksFetches, 2);
    issuer.jwksCacheControl = 'public, max-age=300';
  });

  test('successful results are cached by token hash until exp: no second key lookup', async () => {
    let lookups = 0;
    const { createLocalJWKSet } = await import('jose');
    const local = createLocalJWKSet({ keys: [publicJwk] });
    let now = Date.now();
    const v = verifier({ getKey: (header, token) => { lookups += 1; return local(header, token); }, now: () => now });
    const exp = Math.floor(now / 1000) + 60;
    const token = await sign(claims({ exp }));
    await v.verify(token);
    await v.verify(token);
    assert.equal(lookups, 1);
    assert.equal(v.stats.cacheEntries, 1);
    now = (exp + 10) * 1000;
    await refusal(v.verify(token), 'ERR_TOKEN_EXPIRED');
  });

  test('an unreachable issuer → KeysUnavailableError (503), never acceptance', async () => {
    const v = createVerifier({ issuer: 'http://127.0.0.1:1/t/none', audience: 'x', revocationPollMs: false });
    await assert.rejects(v.verify(await sign(claims({ iss: 'http://127.0.0.1:1/t/none' }))), (error: { status?: number; code?: string }) => error.status === 503 && error.code === 'ERR_JWKS_UNAVAILABLE');
  });

  describe('revocation feed polling (GET {issuer}/oauth/revocations)', () => {
    test('a listed jti or a client_id with issued_before after iat → ERR_TOKEN_REVOKED; since and If-None-Match are sent', async () => {
      const revokedJti = crypto.randomUUID();
      const oldToken = await sign(claims({ client_id: 'revoked-client', sub: 'revoked-client', iat: nowSeconds() - 100 }));
      const newToken = await sign(claims({ client_id: 'revoked-client', sub: 'revoked-client' }));
      const jtiToken = await sign(claims({ jti: revokedJti }));
      issuer.revocations = { status: 200, etag: '"v1"', page: { revocations: [{ jti: revokedJti, exp: nowSeconds() + 600 }], cursor: 'c1' } };
      const v = verifier({ revocationPollMs: 30 });
      try {
        await refusal(v.verify(jtiToken), 'ERR_TOKEN_REVOKED');
        await v.verify(oldToken);
        issuer.revocations = { status: 200, etag: '"v2"', page: { revocations: [{ client_id: 'revoked-client', issued_before: nowSeconds() - 10 }], cursor: 'c2' } };
        const deadline = Date.now() + 5_000;
        for (;;) {
          try {
            await v.verify(oldToken);
          } catch (error) {
            assert.equal((error as InvalidTokenError).code, 'ERR_TOKEN_REVOKED', 'revoked although cached');
            break;
          }
          assert.ok(Date.now() < deadline, 'the revocation was picked up within the poll');
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        await v.verify(newToken);
        await refusal(v.verify(jtiToken), 'ERR_TOKEN_REVOKED');
        assert.ok(issuer.requests.some((r) => r === '/t/test/oauth/revocations?since=c1'));
      } finally {
        v.close();
        issuer.revocations = { status: 404 };
      }
    });

    test('304 Not Modified keeps the state; a 404 stops polling quietly', async () => {
      const jti = crypto.randomUUID();
      issuer.revocations = { status: 200, etag: '"same"', page: { revocations: [{ jti, exp: nowSeconds() + 600 }], cursor: 'c' } };
      const errors: Error[] = [];
      const v = verifier({ revocationPollMs: 20, onError: (error) => errors.push(error as Error) });
      await refusal(v.verify(await sign(claims({ jti }))), 'ERR_TOKEN_REVOKED');
      await new Promise((resolve) => setTimeout(resolve, 80));
      await refusal(v.verify(await sign(claims({ jti }))), 'ERR_TOKEN_REVOKED');
      v.close();
      assert.equal(errors.length, 0, String(errors[0]));

      issuer.revocations = { status: 404 };
      // A poll the closed verifier had already sent may still land: count from a settled state.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const before = issuer.requests.filter((r) => r.includes('revocations')).length;
      const quiet = verifier({ revocationPollMs: 20, onError: (error) => errors.push(error as Error) });
      await quiet.verify(await sign());
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(issuer.requests.filter((r) => r.includes('revocations')).length, before + 1, 'one request, then no more polling');
      assert.equal(errors.length, 0, String(errors[0]));
      quiet.close();
    });
  });
});
