import { randomBytes, randomUUID } from 'node:crypto';

const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** Random string of lowercase letters and digits (uniform: bytes ≥ 252 are dropped). */
export function randomLowerAlnum(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 252) out += LOWER_ALNUM[byte % 36];
      if (out.length === length) break;
    }
  }
  return out;
}

/** Opaque row identifier: a prefix saying what it names, then 20 random characters. */
export function newId(kind: string): string {
  return `${kind}_${randomLowerAlnum(20)}`;
}

export function newJti(): string {
  return randomUUID();
}

export function randomKey(bytes: number): Buffer {
  return randomBytes(bytes);
}
