import { createHmac, hkdfSync } from 'node:crypto';
import { safeEqual } from './hash.js';

/** Milliseconds one nonce bucket lasts; a nonce is accepted in its bucket and the next (60–120 s). */
export const DPOP_NONCE_BUCKET_MS = 60_000;

/**
 * RFC 9449 §8 server nonces without shared state: the nonce of a time bucket is the bucket number
 * and an HMAC of it under a key every node derives from the master key (HKDF, RFC 5869, under its
 * own label). Any node issues and checks the same nonces; nothing is stored.
 */
export class DpopNonces {
  private readonly key: Buffer;

  constructor(masterKey: Buffer, private readonly now: () => number) {
    this.key = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'keymint dpop nonce v1', 32));
  }

  current(): string {
    return this.forBucket(Math.floor(this.now() / DPOP_NONCE_BUCKET_MS));
  }

  accepts(nonce: string): boolean {
    const bucket = Math.floor(this.now() / DPOP_NONCE_BUCKET_MS);
    return [bucket, bucket - 1].some((b) => safeEqual(nonce, this.forBucket(b)));
  }

  private forBucket(bucket: number): string {
    return `${bucket.toString(36)}.${createHmac('sha256', this.key).update(`dpop-nonce:${bucket}`).digest('base64url').slice(0, 32)}`;
  }
}
