import { randomBytes, randomUUID } from 'node:crypto';

const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

/**
 * Uniform random string over `alphabet` (at most 256 characters): bytes at or above the
 * largest multiple of the alphabet's size are dropped, so `% size` has no bias.
 */
export function randomString(alphabet: string, length: number): string {
  const limit = 256 - (256 % alphabet.length);
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < limit) out += alphabet[byte % alphabet.length];
      if (out.length === length) break;
    }
  }
  return out;
}

/** Random string of lowercase letters and digits. */
export function randomLowerAlnum(length: number): string {
  return randomString(LOWER_ALNUM, length);
}

/** Opaque row identifier: a prefix saying what it names, then 20 random characters. */
export function newId(kind: string): string {
  return `${kind}_${randomLowerAlnum(20)}`;
}

export function newJti(): string {
  return randomUUID();
}

/** A random UUID naming one running process (the traces' `service.instance.id`). */
export function newInstanceId(): string {
  return randomUUID();
}

export function randomKey(bytes: number): Buffer {
  return randomBytes(bytes);
}
