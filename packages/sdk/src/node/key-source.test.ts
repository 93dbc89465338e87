import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { JwksTooLargeError, KeysUnavailableError } from './errors.js';
import { MAX_JWKS_BYTES, MAX_JWKS_KEYS } from './key-source.js';
import { createVerifier, type Verifier } from './verifier.js';

type Mode = 'ok' | 'hang' | 'fail' | 'huge-chunked' | 'huge-declared' | 'many-keys';

/**
 * A local issuer whose JWKS endpoint the test switches between answering, hanging (the request is
 * held open, never answered), failing with 500 and answering oversized key sets. It counts JWKS
 * requests on the server side of the wire.
 */
class FlakyIssuer {
  server!: Server;
  issuer = '';
  mode: Mode = 'ok';
  keys: JWK[] = [];
  jwksRequests = 0;
  hung: ServerResponse[] = [];

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/.well-known/oauth-authorization-server/t/flaky') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ issuer: this.issuer, jwks_uri: `${this.issuer}/.well-known/jwks.json` }));
      }
      if (url.pathname !== '/t/flaky/.well-known/jwks.json') return res.writeHead(404).end();
      this.jwksRequests += 1;
      const headers = { 'content-type': 'application/json', 'cache-control': 'public, max-age=60' };
      switch (this.mode) {
        case 'hang':
          this.hung.push(res);
          return;
        case 'fail':
          return res.writeHead(500, headers).end('{"error":"server_error"}');
        case 'huge-chunked': {
          // No Content-Length: the limit must hold while streaming.
          res.writeHead(200, headers);
          const filler = JSON.stringify({ kty: 'oct', k: 'A'.repeat(8 * 1024) });
          res.write(`{"keys":[${JSON.stringify(this.keys[0])}`);
          for (let i = 0; i < (2 * MAX_JWKS_BYTES) / filler.length; i++) res.write(`,${filler}`);
          return res.end(']}');
        }
        case 'huge-declared': {
          const body = JSON.stringify({ keys: this.keys, padding: 'x'.repeat(MAX_JWKS_BYTES) });
          return res.writeHead(200, { ...headers, 'content-length': String(Buffer.byteLength(body)) }).end(body);
        }
        case 'many-keys':
          return res.writeHead(200, headers).end(JSON.stringify({ keys: Array.from({ length: MAX_JWKS_KEYS + 1 }, (_, i) => ({ ...this.keys[0], kid: `k${i}` })) }));
        default:
          return res.writeHead(200, headers).end(JSON.stringify({ keys: this.keys }));
      }
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.issuer = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/t/flaky`;
  }

  releaseHung(): void {
    for (const res of this.hung.splice(0)) res.destroy();
  }
}

const flaky = new FlakyIssuer();
let privateKey: CryptoKey;
let clock = Date.now();

async function token(kid = 'k1'): Promise<string> {
  const iat = Math.floor(clock / 1000);
  return new SignJWT({ sub: 'c', client_id: 'c', jti: crypto.randomUUID(), scope: 'contacts_read' })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid })
    .setIssuer(flaky.issuer).setAudience(`${flaky.issuer}/api`).setIssuedAt(iat).setExpirationTime(iat + 600)
    .sign(privateKey);
}

function verifier(errors: unknown[] = []): Verifier {
  // cacheSize 0: every verification looks its key up, so the key source is what is tested.
  return createVerifier({ issuer: flaky.issuer, audience: `${flaky.issuer}/api`, revocationPollMs: false, cacheSize: 0, now: () => clock, jwksCooldownMs: 5_000, onError: (error) => errors.push(error) });
}

async function until(what: string, check: () => boolean, limitMs = 20_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('verifier JWKS degradation: held keys, back-off, size limits', () => {
  before(async () => {
    await flaky.start();
    const pair = await generateKeyPair('ES256', { extractable: true });
    privateKey = pair.privateKey;
    flaky.keys = [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }];
  });
  after(() => {
    flaky.releaseHung();
    flaky.server.close();
  });

  test('a hung JWKS refetch: held keys keep verifying and no verification waits on it; after it fails, one fetch per back-off (doubling)', async () => {
    flaky.releaseHung();
    flaky.mode = 'ok';
    const errors: unknown[] = [];
    const v = verifier(errors);
    await v.verify(await token());
    const start = flaky.jwksRequests;

    flaky.mode = 'hang';
    clock += 61_000; // past the JWKS max-age
    const burst = await Promise.all(Array.from({ length: 20 }, async () => (await v.verify(await token())).sub));
    assert.deepEqual(burst, Array(20).fill('c'), 'every verification succeeded with the held keys');
    await until('the refetch to reach the issuer', () => flaky.hung.length === 1);
    const whileHanging = await Promise.all(Array.from({ length: 20 }, async () => (await v.verify(await token())).sub));
    assert.deepEqual(whileHanging, Array(20).fill('c'));
    assert.equal(flaky.hung.length, 1, 'all of it while the one refetch is still hanging: nobody waited for it');
    assert.equal(errors.length, 0, 'and before it failed');
    assert.equal(flaky.jwksRequests, start + 1, 'one refetch for both bursts');

    // The hung fetch times out (the SDK's HTTP timeout); it is reported, and held keys stay in use.
    await until('the hung fetch to time out', () => errors.length === 1);
    assert.ok(errors[0] instanceof KeysUnavailableError);
    for (let i = 0; i < 10; i++) await v.verify(await token());
    // A kid the held keys do not know may be a key rotated in meanwhile: 503, not a verdict on the token.
    await assert.rejects(v.verify(await token('rotated-in')), (error: unknown) => error instanceof KeysUnavailableError && error.status === 503);
    assert.equal(flaky.jwksRequests, start + 1, 'within the back-off after a failure: no new fetch');

    flaky.mode = 'fail';
    clock += 5_001; // the first back-off (the cooldown) has passed
    await v.verify(await token());
    await until('the second failure', () => errors.length === 2);
    assert.equal(flaky.jwksRequests, start + 2);
    clock += 5_001; // the back-off doubled to 10 s: not yet
    for (let i = 0; i < 10; i++) await v.verify(await token());
    assert.equal(flaky.jwksRequests, start + 2, 'the back-off doubles after consecutive failures');
    clock += 5_000;
    flaky.mode = 'ok';
    await v.verify(await token());
    await until('the successful refetch', () => flaky.jwksRequests === start + 3);
    flaky.releaseHung();
  });

  test('no keys held and the JWKS hangs: the first verification fails with 503 after the timeout, the next ones at once without a fetch until the back-off passes', async () => {
    flaky.releaseHung();
    flaky.mode = 'hang';
    const v = verifier();
    const start = flaky.jwksRequests;
    await assert.rejects(v.verify(await token()), (error: unknown) => error instanceof KeysUnavailableError && error.status === 503);
    assert.equal(flaky.jwksRequests, start + 1);
    flaky.releaseHung();
    const burst = await Promise.allSettled(Array.from({ length: 10 }, async () => v.verify(await token())));
    for (const outcome of burst) assert.ok(outcome.status === 'rejected' && outcome.reason instanceof KeysUnavailableError && outcome.reason.status === 503);
    assert.equal(flaky.jwksRequests, start + 1, 'a fetch known to be failing is not retried by each verification');
    flaky.mode = 'ok';
    clock += 5_001;
    assert.equal((await v.verify(await token())).sub, 'c');
    assert.equal(flaky.jwksRequests, start + 2);
  });

  test(`key sets over ${MAX_JWKS_BYTES} bytes (declared or streamed) or ${MAX_JWKS_KEYS} keys → JwksTooLargeError (503 ERR_JWKS_TOO_LARGE); held keys stay in use`, async () => {
    for (const mode of ['huge-chunked', 'huge-declared', 'many-keys'] as const) {
      flaky.mode = mode;
      await assert.rejects(verifier().verify(await token()), (error: unknown) => {
        assert.ok(error instanceof JwksTooLargeError, `${mode}: ${String(error)}`);
        assert.equal(error.code, 'ERR_JWKS_TOO_LARGE');
        assert.equal(error.status, 503);
        return true;
      });
    }
    flaky.mode = 'ok';
    const errors: unknown[] = [];
    const v = verifier(errors);
    await v.verify(await token());
    flaky.mode = 'many-keys';
    clock += 61_000;
    await v.verify(await token());
    await until('the oversized refetch to be refused', () => errors.length === 1);
    assert.ok(errors[0] instanceof JwksTooLargeError);
    assert.equal((await v.verify(await token())).sub, 'c', 'the held keys still verify');
    flaky.mode = 'ok';
  });
});
