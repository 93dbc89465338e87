import { createHmac, hkdfSync } from 'node:crypto';
import { hasValidFormat, TOKEN_PREFIXES, tokenFromRandomPart } from './token-format.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const RANDOM_LENGTH = 32;

/**
 * The key that makes refresh-token successors (docs/end-users.md "Refresh-token rotation"), derived
 * from the master key with HKDF (RFC 5869) under its own label, so it is useless for anything else.
 */
export function refreshSuccessorKey(masterKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'keymint refresh-token successor v1', 32));
}

/**
 * The refresh token that replaces `token` when it is spent: a keyed PRF of the spent token, so a
 * retried or concurrent presentation inside the grace window can be answered with the very same
 * successor without Keymint ever storing a refresh token (only SHA-256 hashes are stored). Without
 * the key, the successor is as unpredictable as a random token (HMAC-SHA256, 32 base62 characters
 * by rejection sampling, no modulo bias).
 */
export function refreshSuccessor(key: Buffer, token: string): string {
  if (!hasValidFormat(token, TOKEN_PREFIXES.refreshToken)) throw new Error('not a refresh token');
  const limit = 256 - (256 % BASE62.length);
  let out = '';
  for (let block = 0; out.length < RANDOM_LENGTH; block++) {
    const bytes = createHmac('sha256', key).update(`${block}:${token}`).digest();
    for (const byte of bytes) {
      if (byte < limit) out += BASE62[byte % BASE62.length];
      if (out.length === RANDOM_LENGTH) break;
    }
  }
  return tokenFromRandomPart(TOKEN_PREFIXES.refreshToken, out);
}
