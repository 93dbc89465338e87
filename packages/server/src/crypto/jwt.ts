import type { KeyObject } from 'node:crypto';
import type { SigningAlgorithm } from './algorithms.js';
import { signingThreads } from './signing-thread.js';

/**
 * Compact JWS signing for the token hot path. The protected header is encoded once per key
 * (it never changes), so issuing a token is one JSON.stringify, one base64url and one
 * signature, computed on the process's signing threads (crypto/signing-thread.ts) beside the
 * HTTP work. ES256 signatures are the raw 64-byte R‖S that RFC 7518 §3.4 requires.
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

  async sign(claims: object): Promise<string> {
    const signingInput = `${this.encodedHeader}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    return `${signingInput}.${await signingThreads.sign(this.alg, this.key, signingInput)}`;
  }
}
