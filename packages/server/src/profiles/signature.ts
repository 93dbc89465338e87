import { safeEqual } from '../crypto/hash.js';
import { hmacSha256Hex } from '../crypto/hmac.js';

/**
 * What a signed token request signs (DESIGN "Signed-request profile"):
 * `{signature_value}.{length of signature_value}.{timestamp}`. The length is counted in
 * characters; Keymint accepts only visible ASCII values, so characters and bytes agree.
 */
export function signingInput(signatureValue: string, timestamp: string): string {
  return `${signatureValue}.${signatureValue.length}.${timestamp}`;
}

/** The lowercase hex HMAC-SHA256 a client sends as `signature`, keyed with its client secret. */
export function signRequest(clientSecret: string, signatureValue: string, timestamp: string): string {
  return hmacSha256Hex(clientSecret, signingInput(signatureValue, timestamp));
}

/** Constant-time check of a presented signature; a wrong length costs the same compare. */
export function signatureMatches(clientSecret: string, signatureValue: string, timestamp: string, presented: string): boolean {
  return safeEqual(signRequest(clientSecret, signatureValue, timestamp), presented);
}
