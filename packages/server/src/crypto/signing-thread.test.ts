import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, verify } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { compactVerify, decodeProtectedHeader } from 'jose';
import { hashPassword } from './password.js';
import { JwtSigner } from './jwt.js';
import { SIGNING_THREAD_NICENESS, SigningThreads } from './signing-thread.js';
import type { SigningAlgorithm } from './algorithms.js';

const keyPairs: Record<SigningAlgorithm, ReturnType<typeof generateKeyPairSync>> = {
  ES256: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  RS256: generateKeyPairSync('rsa', { modulusLength: 2048 }),
  EdDSA: generateKeyPairSync('ed25519'),
};

for (const alg of Object.keys(keyPairs) as SigningAlgorithm[]) {
  test(`RFC 7515 §5.1: a ${alg} JWS signed on the signing threads verifies with jose, its header as given`, async () => {
    const { privateKey, publicKey } = keyPairs[alg];
    const token = await new JwtSigner('kid-1', alg, privateKey, 'at+jwt').sign({ sub: 'app_1', iat: 1 });
    const { payload } = await compactVerify(token, publicKey);
    assert.deepEqual(JSON.parse(new TextDecoder().decode(payload)), { sub: 'app_1', iat: 1 });
    assert.deepEqual(decodeProtectedHeader(token), { alg, typ: 'at+jwt', kid: 'kid-1' });
  });
}

test('concurrent signatures by several keys each come back to their own caller, whatever the batching', async () => {
  const threads = new SigningThreads(2);
  const algs = Object.keys(keyPairs) as SigningAlgorithm[];
  const inputs = Array.from({ length: 200 }, (_, i) => ({ alg: algs[i % algs.length]!, input: `eyJhbGciOiJub25lIn0.${Buffer.from(`claims ${i}`).toString('base64url')}` }));
  const signatures = await Promise.all(inputs.map(({ alg, input }) => threads.sign(alg, keyPairs[alg].privateKey, input)));
  inputs.forEach(({ alg, input }, i) => {
    const signature = Buffer.from(signatures[i]!, 'base64url');
    const data = Buffer.from(input);
    const ok = alg === 'ES256'
      ? verify('sha256', data, { key: keyPairs[alg].publicKey, dsaEncoding: 'ieee-p1363' }, signature)
      : verify(alg === 'RS256' ? 'sha256' : null, data, keyPairs[alg].publicKey, signature);
    assert.ok(ok, `signature ${i} (${alg}) is by its own key over its own input`);
  });
});

test('a token signature does not queue behind password hashing (scrypt keeps libuv\'s pool busy)', async () => {
  const { privateKey } = keyPairs.ES256;
  const signer = new JwtSigner('kid-1', 'ES256', privateKey, 'at+jwt');
  await signer.sign({ warm: true });
  const order: string[] = [];
  // More hashes than libuv's pool has threads (4 by default): every pool thread is busy for tens of ms.
  const hashes = Array.from({ length: 8 }, () => hashPassword('correct horse battery staple').then(() => order.push('hash')));
  await signer.sign({ sub: 'app_1' }).then(() => order.push('token'));
  await Promise.all(hashes);
  assert.equal(order[0], 'token');
});

test('a rejected signature (a key that cannot sign with the algorithm) rejects its caller only', async () => {
  const threads = new SigningThreads(1);
  const { privateKey } = keyPairs.ES256;
  const bad = threads.sign('EdDSA', keyPairs.RS256.publicKey, 'a.b');
  const good = threads.sign('ES256', privateKey, 'a.b');
  await assert.rejects(bad, /signing failed/);
  assert.match(await good, /^[A-Za-z0-9_-]{86}$/);
});

test('signing threads run at a lower scheduling priority than the event loop (Linux: nice is per thread)', { skip: process.platform !== 'linux' }, async () => {
  const threads = new SigningThreads(2);
  const { privateKey } = keyPairs.ES256;
  // Two full batches in one turn: the second goes to the second thread.
  await Promise.all(Array.from({ length: 8 }, () => threads.sign('ES256', privateKey, 'a.b')));
  const niceOf = (task: string) => Number(readFileSync(`/proc/self/task/${task}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]);
  const tasks = readdirSync('/proc/self/task');
  assert.equal(niceOf(String(process.pid)), 0, 'the event loop keeps its priority');
  assert.ok(tasks.filter((task) => niceOf(task) === SIGNING_THREAD_NICENESS).length >= 2, 'both signing threads are niced');
});
