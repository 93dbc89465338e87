import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { accessTokenHash, createDpopProof, createDpopVerifier, generateDpopKey, normalizeHtu, type DpopKey } from './dpop.js';
import { DpopNonceError, DpopProofError } from './errors.js';

const URL_ = 'https://api.example.com/t/acme/api/v1/contacts';
const NOW = 1_800_000_000_000;

function refusedWith(code: string) {
  return (error: unknown) => error instanceof DpopProofError && error.code === code && error.error === 'invalid_dpop_proof';
}

/** A proof built by hand, so each refusal case changes exactly one thing. */
async function handMade(key: DpopKey, overrides: { header?: Record<string, unknown>; claims?: Record<string, unknown> } = {}): Promise<string> {
  const claims = { jti: randomUUID(), htm: 'GET', htu: URL_, iat: Math.floor(NOW / 1000), ...overrides.claims };
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, typ: 'dpop+jwt', jwk: key.publicJwk, ...overrides.header } as never).sign(key.privateKey);
}

test('RFC 9449 §4.3: a proof made by createDpopProof verifies and yields the RFC 7638 thumbprint of its key', async () => {
  for (const alg of ['ES256', 'ES384', 'EdDSA', 'Ed25519', 'RS256', 'PS256'] as const) {
    const key = await generateDpopKey(alg);
    const verifier = createDpopVerifier({ now: () => NOW });
    const proof = await createDpopProof(key, { method: 'GET', url: `${URL_}?page=2#x`, accessToken: 'tok', now: NOW });
    const verified = await verifier.verify({ proof, method: 'GET', url: `${URL_}?other=1`, accessToken: 'tok', jkt: key.jkt });
    assert.equal(verified.jkt, key.jkt, alg);
  }
});

test('RFC 9449 §4.3 step 9: htu compares after normalisation, without query and fragment', () => {
  assert.equal(normalizeHtu('HTTPS://API.Example.com:443/a/../b?q=1#f'), 'https://api.example.com/b');
});

test('RFC 9449 §4.3: every refusal case is invalid_dpop_proof with its own code', async () => {
  const key = await generateDpopKey('ES256');
  const other = await generateDpopKey('ES256');
  const verifier = createDpopVerifier({ now: () => NOW });
  const check = (proof: string | string[] | undefined, extra: { method?: string; accessToken?: string; jkt?: string } = {}) =>
    verifier.verify({ proof, method: extra.method ?? 'GET', url: URL_, ...(extra.accessToken ? { accessToken: extra.accessToken } : {}), ...(extra.jkt ? { jkt: extra.jkt } : {}) });

  await assert.rejects(check(undefined), refusedWith('ERR_DPOP_MISSING'));
  const good = await handMade(key);
  await assert.rejects(check([good, good]), refusedWith('ERR_DPOP_MALFORMED'));
  await assert.rejects(check(await handMade(key, { header: { typ: 'JWT' } })), refusedWith('ERR_DPOP_TYPE'));
  await assert.rejects(check(await handMade(key, { header: { typ: undefined } })), refusedWith('ERR_DPOP_TYPE'));
  await assert.rejects(check(await handMade(key, { claims: { htm: 'POST' } })), refusedWith('ERR_DPOP_HTM'));
  await assert.rejects(check(await handMade(key, { claims: { htu: 'https://api.example.com/t/acme/api/v1/other' } })), refusedWith('ERR_DPOP_HTU'));
  await assert.rejects(check(await handMade(key, { claims: { iat: NOW / 1000 - 120 } })), refusedWith('ERR_DPOP_IAT'));
  await assert.rejects(check(await handMade(key, { claims: { iat: NOW / 1000 + 120 } })), refusedWith('ERR_DPOP_IAT'));
  await assert.rejects(check(await handMade(key, { claims: { ath: accessTokenHash('another token') } }), { accessToken: 'tok' }), refusedWith('ERR_DPOP_ATH'));
  await assert.rejects(check(await handMade(key), { accessToken: 'tok' }), refusedWith('ERR_DPOP_ATH'));
  await assert.rejects(check(await handMade(other), { jkt: key.jkt }), refusedWith('ERR_DPOP_KEY_MISMATCH'));
  await assert.rejects(check(await handMade(key, { claims: { jti: undefined } })), refusedWith('ERR_DPOP_CLAIMS'));
  // The header names one key, another signed: the signature does not verify.
  await assert.rejects(check(await handMade(other, { header: { jwk: key.publicJwk } })), refusedWith('ERR_DPOP_SIGNATURE'));
});

test('RFC 9449 §4.3 step 5: alg none, HS256 and algorithms outside the list are refused', async () => {
  const key = await generateDpopKey('ES256');
  const verifier = createDpopVerifier({ now: () => NOW, algorithms: ['ES256'] });
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const claims = encode({ jti: randomUUID(), htm: 'GET', htu: URL_, iat: NOW / 1000 });
  const none = `${encode({ alg: 'none', typ: 'dpop+jwt', jwk: key.publicJwk })}.${claims}.`;
  await assert.rejects(verifier.verify({ proof: none, method: 'GET', url: URL_ }), refusedWith('ERR_DPOP_ALGORITHM'));
  const hs = await new SignJWT({ jti: randomUUID(), htm: 'GET', htu: URL_, iat: NOW / 1000 })
    .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: { kty: 'oct', k: 'c2VjcmV0' } } as never).sign(new TextEncoder().encode('secret'));
  await assert.rejects(verifier.verify({ proof: hs, method: 'GET', url: URL_ }), refusedWith('ERR_DPOP_ALGORITHM'));
  const es384 = await generateDpopKey('ES384');
  await assert.rejects(verifier.verify({ proof: await handMade(es384), method: 'GET', url: URL_ }), refusedWith('ERR_DPOP_ALGORITHM'));
});

test('RFC 9449 §4.3 step 7: a jwk holding private key members is refused, even when the signature verifies', async () => {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const privateJwk: JWK = await exportJWK(privateKey);
  const verifier = createDpopVerifier({ now: () => NOW });
  const proof = await new SignJWT({ jti: randomUUID(), htm: 'GET', htu: URL_, iat: NOW / 1000 })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: privateJwk }).sign(privateKey);
  // Refused for what it holds, before it is even imported (the import would make a private key, refused too).
  await assert.rejects(verifier.verify({ proof, method: 'GET', url: URL_ }), (error: unknown) => refusedWith('ERR_DPOP_KEY')(error) && /private key material/.test((error as Error).message));
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const rsaJwk = rsa.privateKey.export({ format: 'jwk' }) as JWK;
  const rsaProof = await new SignJWT({ jti: randomUUID(), htm: 'GET', htu: URL_, iat: NOW / 1000 })
    .setProtectedHeader({ alg: 'RS256', typ: 'dpop+jwt', jwk: rsaJwk }).sign(rsa.privateKey);
  await assert.rejects(verifier.verify({ proof: rsaProof, method: 'GET', url: URL_ }), refusedWith('ERR_DPOP_KEY'));
});

test('RFC 9449 §11.1: a proof is used once; a burst of 50 presentations of one proof succeeds exactly once', async () => {
  const key = await generateDpopKey('ES256');
  const verifier = createDpopVerifier({ now: () => NOW });
  const proof = await handMade(key);
  const results = await Promise.allSettled(Array.from({ length: 50 }, () => verifier.verify({ proof, method: 'GET', url: URL_ })));
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
  for (const r of results) if (r.status === 'rejected') assert.ok(refusedWith('ERR_DPOP_REPLAY')(r.reason));
});

test('RFC 9449 §4.3: a refused proof does not use its jti up (it is claimed last)', async () => {
  const key = await generateDpopKey('ES256');
  const verifier = createDpopVerifier({ now: () => NOW });
  const proof = await handMade(key, { claims: { ath: accessTokenHash('tok') } });
  await assert.rejects(verifier.verify({ proof, method: 'GET', url: URL_, accessToken: 'tok', jkt: 'not-this-key' }), refusedWith('ERR_DPOP_KEY_MISMATCH'));
  await verifier.verify({ proof, method: 'GET', url: URL_, accessToken: 'tok', jkt: key.jkt });
});

test('RFC 9449 §8: with a nonce policy, a proof without the nonce gets use_dpop_nonce carrying the one to use', async () => {
  const key = await generateDpopKey('ES256');
  const verifier = createDpopVerifier({ now: () => NOW, nonce: { current: () => 'n-1', accepts: (nonce) => nonce === 'n-1' } });
  await assert.rejects(verifier.verify({ proof: await handMade(key), method: 'GET', url: URL_ }), (error: unknown) => error instanceof DpopNonceError && error.nonce === 'n-1' && error.error === 'use_dpop_nonce');
  await assert.rejects(verifier.verify({ proof: await handMade(key, { claims: { nonce: 'n-0' } }), method: 'GET', url: URL_ }), DpopNonceError);
  await verifier.verify({ proof: await handMade(key, { claims: { nonce: 'n-1' } }), method: 'GET', url: URL_ });
});
