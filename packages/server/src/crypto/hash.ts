import { hash, timingSafeEqual } from 'node:crypto';

/**
 * SHA-256 of a high-entropy secret, base64url. Client secrets and tokens carry 190 bits of
 * randomness, so a fast unsalted hash is enough (a slow KDF would only slow the hot path);
 * passwords use `hashPassword` instead. One-shot `hash`: a Hash object per call was ~1.8 % of the
 * JWT path's event loop.
 */
export function sha256(value: string): string {
  return hash('sha256', value, 'base64url');
}

/** Constant-time comparison of two strings of any length. */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  // Compare equal-length buffers so that the time does not reveal the length either.
  if (left.length !== right.length) {
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}
