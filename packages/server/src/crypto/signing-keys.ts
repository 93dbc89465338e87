import { createPrivateKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, exportPKCS8, generateKeyPair, type JWK } from 'jose';
import type { SigningAlgorithm } from './algorithms.js';

/** RFC 7518 §3.3: RSA keys of at least 2048 bits. */
const KEY_OPTIONS: Record<SigningAlgorithm, { crv?: string; modulusLength?: number }> = {
  RS256: { modulusLength: 2048 },
  ES256: {},
  EdDSA: { crv: 'Ed25519' },
};

export interface GeneratedSigningKey {
  kid: string;
  alg: SigningAlgorithm;
  publicJwk: JWK;
  privatePkcs8: string;
}

/** A fresh key pair; the kid is the RFC 7638 thumbprint, so it says nothing but the key. */
export async function generateSigningKey(alg: SigningAlgorithm): Promise<GeneratedSigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { ...KEY_OPTIONS[alg], extractable: true });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk, 'sha256');
  return {
    kid,
    alg,
    publicJwk: { ...jwk, kid, alg, use: 'sig' },
    privatePkcs8: await exportPKCS8(privateKey),
  };
}

export function importPrivateKey(pkcs8: string): KeyObject {
  return createPrivateKey(pkcs8);
}
