// No node:crypto here: the admin API's schemas (which the console type-checks) name these.
/** JWS algorithms a tenant may sign with (RFC 7518 §3.3, §3.4; RFC 8037): RS256 for verifiers that know no other. */
export type SigningAlgorithm = 'RS256' | 'ES256' | 'EdDSA';
export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = ['RS256', 'ES256', 'EdDSA'];
export const DEFAULT_SIGNING_ALGORITHM: SigningAlgorithm = 'ES256';

export function isSigningAlgorithm(value: string): value is SigningAlgorithm {
  return (SIGNING_ALGORITHMS as readonly string[]).includes(value);
}

/**
 * JWS algorithms a client may sign its private_key_jwt assertions with (RFC 7523 §3, RFC 7518
 * §3.3-3.5, RFC 8037). `none` and the HMAC family are never accepted: a client's key is public here.
 */
export type ClientAssertionAlgorithm = 'ES256' | 'ES384' | 'EdDSA' | 'RS256' | 'PS256';
export const CLIENT_ASSERTION_ALGORITHMS: readonly ClientAssertionAlgorithm[] = ['ES256', 'ES384', 'EdDSA', 'RS256', 'PS256'];
