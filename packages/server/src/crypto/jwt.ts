import { sign, type KeyObject } from 'node:crypto';
import type { SigningAlgorithm } from './signing-keys.js';

/**
 * Compact JWS signing for the token hot path. The protected header is encoded once per key
 * (it never changes), so issuing a token is one JSON.stringify, one base64url and one
 * signature. ES256 signatures are emitted as the raw 64-byte R‖S that RFC 7518 §3.4 requires.
 */
export class JwtSigner {
  private readonly encodedHeader: string;

  constructor(
    readonly kid: string,
    readonly alg: SigningAlgorithm,
    private readonly key: KeyObject,
    typ: string,
  ) {
    this.encodedHeader = Buffer.from(JSON.stringify({ alg, typ, kid })).toString('base64url');
  }

  sign(claims: object): string {
    const signingInput = `${this.encodedHeader}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    const signature = this.alg === 'ES256'
      ? sign('sha256', Buffer.from(signingInput), { key: this.key, dsaEncoding: 'ieee-p1363' })
      : sign(null, Buffer.from(signingInput), this.key);
    return `${signingInput}.${signature.toString('base64url')}`;
  }
}
