import { createHmac, hkdfSync } from 'node:crypto';
import { generateToken, hasValidFormat, TOKEN_PREFIXES, tokenFromRandomPart } from './token-format.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const PREFIX = TOKEN_PREFIXES.refreshToken;
/**
 * The first characters of a `kmr_` token's 32 are its session's handle (docs/end-users.md
 * "Refresh-token rotation"): ~65.5 bits, random per session, the same in every token of the
 * session. The other 21 (~125 bits) are the secret, stored only as a hash on the session row.
 */
export const REFRESH_HANDLE_LENGTH = 11;
const SECRET_LENGTH = 32 - REFRESH_HANDLE_LENGTH;

/** A session's first refresh token: 32 random characters, the first `REFRESH_HANDLE_LENGTH` its handle. */
export function newRefreshToken(): string {
  return generateToken(PREFIX);
}

/** The session handle a well-formed `kmr_` token names; null for anything else (the checksum is checked). */
export function refreshHandle(token: string): string | null {
  if (!hasValidFormat(token, PREFIX)) return null;
  return token.slice(PREFIX.length, PREFIX.length + REFRESH_HANDLE_LENGTH);
}

/**
 * The key that makes refresh-token successors, derived from the master key with HKDF (RFC 5869)
 * under its own label, so it is useless for anything else.
 */
export function refreshSuccessorKey(masterKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'keymint refresh-token successor v1', 32));
}

/**
 * The refresh token that replaces `token` when it is spent: the same session handle and a secret
 * that is a keyed PRF of the spent token, so a retried or concurrent presentation inside the grace
 * window can be answered with the very same successor although Keymint stores only a hash of the
 * live token. Without the key the secret is as unpredictable as a random one (HMAC-SHA256, base62
 * by rejection sampling, no modulo bias).
 */
export function refreshSuccessor(key: Buffer, token: string): string {
  const handle = refreshHandle(token);
  if (handle === null) throw new Error('not a refresh token');
  const limit = 256 - (256 % BASE62.length);
  let secret = '';
  for (let block = 0; secret.length < SECRET_LENGTH; block++) {
    const bytes = createHmac('sha256', key).update(`${block}:${token}`).digest();
    for (const byte of bytes) {
      if (byte < limit) secret += BASE62[byte % BASE62.length];
      if (secret.length === SECRET_LENGTH) break;
    }
  }
  return tokenFromRandomPart(PREFIX, handle + secret);
}
