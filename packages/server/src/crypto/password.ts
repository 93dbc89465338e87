import { randomBytes, randomInt, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Password hashing for people (admin accounts, end users) with scrypt (RFC 7914), a memory-hard
 * KDF built into Node. Unlike client secrets, passwords are low-entropy, so the hash must be
 * slow (OWASP ASVS 5.0 V11.4: scrypt with N ≥ 2^15). A fresh 16-byte salt per password, so a
 * dump cannot be attacked with one precomputed table. Stored as `scrypt$N$r$p$salt$hash`
 * (base64url), so the cost can rise later while old hashes keep verifying.
 */
const PARAMS = { N: 32_768, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
/** Refuse stored parameters that would make one verification cost unbounded memory or time. */
const MAX_N = 1 << 17;

function derive(password: string, salt: Buffer, options: ScryptOptions, keyLength: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // scrypt needs 128 * N * r bytes; Node's default maxmem (32 MiB) is too small from N = 2^15.
    const maxmem = 256 * (options.N ?? 0) * (options.r ?? 8) + 1024 * 1024;
    // NFKC (NIST SP 800-63B §5.1.1.2): the same password typed on two keyboards hashes the same.
    scrypt(password.normalize('NFKC'), salt, keyLength, { ...options, maxmem }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const key = await derive(password, salt, PARAMS, KEY_LENGTH);
  return `scrypt$${PARAMS.N}$${PARAMS.r}$${PARAMS.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/**
 * Constant-time check of a password against a stored hash; false for anything malformed. With
 * no hash (no such account, or no password set yet) it still spends one verification's time,
 * so the answer does not tell whether an account exists.
 */
export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  if (stored === null) {
    await burnPasswordCheck(password);
    return false;
  }
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (!Number.isInteger(N) || N < 2 || N > MAX_N || (N & (N - 1)) !== 0 || !Number.isInteger(r) || r < 1 || r > 16 || !Number.isInteger(p) || p < 1 || p > 16) return false;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const expected = Buffer.from(parts[5]!, 'base64url');
  if (salt.length < 8 || expected.length < 16) return false;
  const actual = await derive(password, salt, { N, r, p }, expected.length);
  return timingSafeEqual(actual, expected);
}

let dummyHash: Promise<string> | null = null;

/** Spends the time of one verification when there is no account to check against. */
export async function burnPasswordCheck(password: string): Promise<void> {
  dummyHash ??= hashPassword('keymint-no-such-account');
  await verifyPassword(password, await dummyHash);
}

/** A one-time sign-in code of `digits` decimal digits, uniformly random. */
export function randomDigits(digits: number): string {
  let out = '';
  for (let i = 0; i < digits; i++) out += String(randomInt(10));
  return out;
}
