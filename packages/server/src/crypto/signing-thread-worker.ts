// The signing thread (crypto/signing-thread.ts): signs each batch it is sent, synchronously and
// in order, and answers with the signatures in base64url.
import { sign, type KeyObject } from 'node:crypto';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { SigningAlgorithm } from './algorithms.js';

export interface SigningThreadData {
  niceness: number;
}
export type SigningJob = [keyId: number, input: string];
export interface SigningBatch {
  batch: number;
  /** Keys this thread has not been sent yet; it keeps them by id. */
  keys: [keyId: number, alg: SigningAlgorithm, key: KeyObject][];
  jobs: SigningJob[];
}
/** Per job, its signature (base64url) or why it failed. */
export interface SigningAnswer {
  batch: number;
  signatures: (string | { error: string })[];
}

// A lower priority than the event loop's, given by the thread that starts this one (signing-thread.ts).
if (parentPort) {
  try {
    setPriority((workerData as SigningThreadData).niceness);
  } catch {
    // A platform that refuses only loses the preference; signing works the same.
  }
}

const keys = new Map<number, { alg: SigningAlgorithm; key: KeyObject }>();

function signWith(alg: SigningAlgorithm, key: KeyObject, input: Buffer): Buffer {
  // ES256: the raw R‖S of RFC 7518 §3.4; RS256: RSASSA-PKCS1-v1_5, node's default for an RSA key (§3.3); EdDSA: no separate digest (RFC 8037 §3.1).
  if (alg === 'ES256') return sign('sha256', input, { key, dsaEncoding: 'ieee-p1363' });
  if (alg === 'RS256') return sign('sha256', input, key);
  return sign(null, input, key);
}

parentPort?.on('message', ({ batch, keys: added, jobs }: SigningBatch) => {
  for (const [id, alg, key] of added) keys.set(id, { alg, key });
  const signatures = jobs.map(([keyId, input]) => {
    const entry = keys.get(keyId);
    if (!entry) return { error: `no key ${keyId}` };
    try {
      return signWith(entry.alg, entry.key, Buffer.from(input)).toString('base64url');
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error) };
    }
  });
  parentPort!.postMessage({ batch, signatures } satisfies SigningAnswer);
});
