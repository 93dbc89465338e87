import { createPublicKey, verify, type KeyObject } from 'node:crypto';

/**
 * An EC P-256 public key from PEM (SPKI), or null when the text is not one. GitHub publishes its
 * secret-scanning keys this way (docs/leaked-credentials.md).
 */
export function p256PublicKey(pem: string): KeyObject | null {
  try {
    const key = createPublicKey(pem);
    return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1' ? key : null;
  } catch {
    return null;
  }
}

/**
 * Whether `signatureBase64` is an ECDSA P-256 / SHA-256 signature (ASN.1 DER, base64) by `key`
 * over exactly `data`. Never throws: a malformed signature is simply not a valid one.
 */
export function verifyEcdsaSha256(key: KeyObject, data: Buffer, signatureBase64: string): boolean {
  if (!/^[A-Za-z0-9+/]{1,400}={0,2}$/.test(signatureBase64)) return false;
  try {
    return verify('sha256', data, { key, dsaEncoding: 'der' }, Buffer.from(signatureBase64, 'base64'));
  } catch {
    return false;
  }
}
