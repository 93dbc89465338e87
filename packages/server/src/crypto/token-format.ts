import { crc32 } from 'node:zlib';
import { randomString } from './random.js';

/**
 * Prefixed secrets (GitHub-style): PREFIX + 32 base62 characters of randomness + 6 base62
 * characters of the CRC-32 of everything before them. The prefix lets people and secret
 * scanners recognise a leak; the checksum lets the server refuse a mistyped or made-up
 * value without touching the database.
 */
export const TOKEN_PREFIXES = {
  clientSecret: 'kms_',
  apiToken: 'kmk_',
  opaqueAccessToken: 'kma_',
  refreshToken: 'kmr_',
  /** Admin API token (docs/admin.md): Bearer for /admin/v1, acts as the admin role it carries. */
  adminToken: 'kmo_',
} as const;

export type TokenPrefix = (typeof TOKEN_PREFIXES)[keyof typeof TOKEN_PREFIXES];

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const RANDOM_LENGTH = 32;
const CHECKSUM_LENGTH = 6;
const BODY_PATTERN = /^[0-9A-Za-z]+$/;

function randomBase62(length: number): string {
  return randomString(BASE62, length);
}

/** Base62, most significant digit first, left-padded with `0` to `width`. */
export function base62(value: number, width: number): string {
  let out = '';
  let rest = value;
  do {
    out = BASE62[rest % 62] + out;
    rest = Math.floor(rest / 62);
  } while (rest > 0);
  return out.padStart(width, '0');
}

function checksum(text: string): string {
  return base62(crc32(text) >>> 0, CHECKSUM_LENGTH);
}

export function generateToken(prefix: TokenPrefix): string {
  return tokenFromRandomPart(prefix, randomBase62(RANDOM_LENGTH));
}

/** Prefix + the given 32 base62 characters + checksum (for tokens whose randomness is derived). */
export function tokenFromRandomPart(prefix: TokenPrefix, randomPart: string): string {
  if (randomPart.length !== RANDOM_LENGTH || !BODY_PATTERN.test(randomPart)) throw new Error('the random part must be 32 base62 characters');
  const body = prefix + randomPart;
  return body + checksum(body);
}

/** True when `token` has the shape and checksum of a token made with `prefix`. */
export function hasValidFormat(token: string, prefix: TokenPrefix): boolean {
  if (token.length !== prefix.length + RANDOM_LENGTH + CHECKSUM_LENGTH) return false;
  if (!token.startsWith(prefix)) return false;
  const rest = token.slice(prefix.length);
  if (!BODY_PATTERN.test(rest)) return false;
  const body = token.slice(0, -CHECKSUM_LENGTH);
  return checksum(body) === token.slice(-CHECKSUM_LENGTH);
}

/** The part of a token that is safe to show again: prefix and first four random characters. */
export function tokenHint(token: string): string {
  return token.slice(0, 8);
}
