// No node:crypto here: the admin API's schemas (which the console type-checks) name these.
/** JWS algorithms a tenant may sign with (RFC 7518 §3.3, §3.4; RFC 8037): RS256 for verifiers that know no other. */
export type SigningAlgorithm = 'RS256' | 'ES256' | 'EdDSA';
export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = ['RS256', 'ES256', 'EdDSA'];
export const DEFAULT_SIGNING_ALGORITHM: SigningAlgorithm = 'ES256';

export function isSigningAlgorithm(value: string): value is SigningAlgorithm {
  return (SIGNING_ALGORITHMS as readonly string[]).includes(value);
}
