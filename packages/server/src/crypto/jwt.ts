import { sign, type KeyObject } from 'node:crypto';
import type { SigningAlgorithm } from './algorithms.js';

/**
 * Compact JWS signing for the token hot path. The protected header is encoded once per key
 * (it never changes), so issuing a token is one JSON.stringify, one base64url and one
 * signature. ES256 signatures are emitted as the raw 64-byte R‖S that RFC 7518 §3.4 requires.
 * The signature is computed on libuv's thread pool (node:crypto's callback form): it is most of
 * a token request's CPU, and off the event loop it runs beside the HTTP work instead of after it.
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

  sign(claims: object): Promise<string> {
    const signingInput = `${this.encodedHeader}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    return new Promise((resolve, reject) => {
      const done = (error: Error | null, signature: Buffer) => (error ? reject(error) : resolve(`${signingInput}.${signature.toString('base64url')}`));
      if (this.alg === 'ES256') sign('sha256', Buffer.from(signingInput), { key: this.key, dsaEncoding: 'ieee-p1363' }, done);
      // RSASSA-PKCS1-v1_5, node's default padding for an RSA key (RFC 7518 §3.3).
      else if (this.alg === 'RS256') sign('sha256', Buffer.from(signingInput), this.key, done);
      else sign(null, Buffer.from(signingInput), this.key, done);
    });
  }
}
