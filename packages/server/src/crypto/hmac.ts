import { createHmac } from 'node:crypto';

/** HMAC-SHA256 (RFC 2104) of a UTF-8 message under a UTF-8 key, as lowercase hex. */
export function hmacSha256Hex(key: string, message: string): string {
  return createHmac('sha256', key).update(message, 'utf8').digest('hex');
}
