#!/usr/bin/env node
// Micro benchmark of the @keymint/sdk verifier (not part of npm test).
//   npm run build && node bench/verifier.mjs [seconds-per-case]
// Cached: one token verified over and over (a client reusing its token: one SHA-256 + a Map hit).
// Uncached: every verification is a distinct token with the result cache off (parse, claims, ES256).
// Keys are supplied in process (no HTTP), so only the verifier is measured.
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createVerifier } from '@keymint/sdk/node';

const seconds = Number(process.argv[2] ?? 3);
const issuer = 'https://auth.example.com/t/bench';
const audience = `${issuer}/api`;
const { publicKey, privateKey } = await generateKeyPair('ES256');
const getKey = createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }] });

async function token(i) {
  const iat = Math.floor(Date.now() / 1000);
  return new SignJWT({ client_id: 'benchclient0000000000000', scope: 'contacts_read', tid: 'bench', jti: `jti-${i}` })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' })
    .setIssuer(issuer).setAudience(audience).setSubject('benchclient0000000000000')
    .setIssuedAt(iat).setExpirationTime(iat + 3600)
    .sign(privateKey);
}

async function measure(name, run) {
  // Warm-up, then as many batches as fit in the time.
  for (let i = 0; i < 3; i++) await run(i);
  let done = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  let batch = 0;
  while (performance.now() < end) done += await run(batch++);
  const perSecond = done / ((performance.now() - start) / 1000);
  console.log(`${name.padEnd(44)} ${Math.round(perSecond).toLocaleString('en-US').padStart(10)} verifications/s`);
  return perSecond;
}

const cachedVerifier = createVerifier({ issuer, audience, getKey, revocationPollMs: false });
const one = await token(0);
const cached = await measure('cached (same token, sequential)', async () => {
  for (let i = 0; i < 10_000; i++) await cachedVerifier.verify(one);
  return 10_000;
});

const POOL = 4_000;
console.error(`signing ${POOL} distinct tokens...`);
const tokens = await Promise.all(Array.from({ length: POOL }, (_, i) => token(i + 1)));
const uncachedVerifier = createVerifier({ issuer, audience, getKey, revocationPollMs: false, cacheSize: 0 });
const uncachedSequential = await measure('uncached (distinct tokens, sequential)', async () => {
  for (let i = 0; i < 500; i++) await uncachedVerifier.verify(tokens[i % POOL]);
  return 500;
});
// A server verifies many requests at once; WebCrypto runs the ECDSA checks on the thread pool.
const uncached = await measure('uncached (distinct tokens, 1000 in flight)', async (batch) => {
  const jobs = [];
  for (let i = 0; i < 1_000; i++) jobs.push(uncachedVerifier.verify(tokens[(batch * 1_000 + i) % POOL]));
  await Promise.all(jobs);
  return 1_000;
});

console.log(JSON.stringify({ cached: Math.round(cached), uncached_sequential: Math.round(uncachedSequential), uncached_concurrent: Math.round(uncached), targets: { cached: 300_000, uncached: 9_000 } }));
