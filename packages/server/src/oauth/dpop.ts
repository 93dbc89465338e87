import type { FastifyRequest } from 'fastify';
import { createDpopVerifier, DpopNonceError, DpopProofError, type DpopAlgorithm, type DpopVerifier } from '@keymint/sdk/node';
import { InvalidDpopProof, UseDpopNonce } from '../errors.js';
import type { DpopNonces } from '../crypto/dpop-nonce.js';
import type { ReplayStore } from '../profiles/replay-store.js';

export interface DpopServiceOptions {
  /** The process's shared replay store: a proof's `jti` is claimed under `dpop:{jkt}`, once across workers and nodes. */
  replay: ReplayStore;
  now: () => number;
  /** Server nonces (KEYMINT_DPOP_NONCE=on) demanded at the token endpoint (RFC 9449 §8) and at resources (§9); null: none. */
  nonces: DpopNonces | null;
}

/** What a resource request presents with a bound token. */
export interface DpopPresentation {
  proof: string | string[] | undefined;
  method: string;
  url: string;
  accessToken: string;
  jkt: string;
}

/**
 * RFC 9449 DPoP for Keymint's own endpoints, on the SDK's proof verifier (the code customers'
 * APIs run): the token endpoint binds tokens to a proof's key, the resource API holds a bound
 * token to a fresh proof by that key. Proof `jti`s go to the shared replay store.
 */
export class DpopService {
  private readonly tokenEndpoint: DpopVerifier;
  private readonly resource: DpopVerifier;

  constructor({ replay, now, nonces }: DpopServiceOptions) {
    const claimJti = (scope: string, jti: string, expiresAtMs: number) => replay.claim(scope, jti, expiresAtMs);
    const nonce = nonces ? { nonce: nonces } : {};
    this.tokenEndpoint = createDpopVerifier({ claimJti, now, ...nonce });
    // §9: the resource demands the same nonces (any node issues and accepts them), so a proof made
    // in advance by a thief who briefly held the key is useless once its minute has passed.
    this.resource = createDpopVerifier({ claimJti, now, ...nonce });
  }

  /** `dpop_signing_alg_values_supported` (RFC 9449 §5.1, RFC 9728 §2) and the `algs` of challenges. */
  get algorithms(): readonly DpopAlgorithm[] {
    return this.tokenEndpoint.algorithms;
  }

  /**
   * RFC 9449 §5: the thumbprint to bind the issued token to, or null when the request has no
   * `DPoP` header. `required`: the app refuses unbound requests.
   * @throws {InvalidDpopProof} 400: the proof fails a check, or is missing while required
   * @throws {UseDpopNonce} 400 with `DPoP-Nonce`: nonces are on and the proof lacks the current one
   */
  async bindTokenRequest(request: FastifyRequest, required: boolean): Promise<string | null> {
    const proof = request.headers.dpop;
    if (proof === undefined) {
      if (required) throw new InvalidDpopProof('this app requires DPoP: send a DPoP proof (RFC 9449) with the token request');
      return null;
    }
    try {
      return (await this.tokenEndpoint.verify({ proof, method: request.method, url: publicRequestUrl(request) })).jkt;
    } catch (error) {
      throw wireError(error, 400);
    }
  }

  /**
   * RFC 9449 §7.1: a bound token's proof: this method and URL, fresh, `ath` of the token, by the key of `jkt`.
   * @throws {InvalidDpopProof} 401
   * @throws {UseDpopNonce} 401 with `DPoP-Nonce` (§9): nonces are on and the proof lacks the current one
   */
  async checkPresentation(presentation: DpopPresentation): Promise<void> {
    try {
      await this.resource.verify(presentation);
    } catch (error) {
      throw wireError(error, 401);
    }
  }
}

function wireError(error: unknown, status: 400 | 401): unknown {
  if (error instanceof DpopNonceError) return new UseDpopNonce(error.nonce, status);
  if (error instanceof DpopProofError) return new InvalidDpopProof(error.message, status);
  return error;
}

/**
 * The URL a client addressed (a proof's `htu`): the tenant's issuer (from PUBLIC_URL, so proxies
 * and path prefixes are accounted for) followed by the path after `/t/{tenant}`.
 */
export function publicRequestUrl(request: FastifyRequest): string {
  const path = request.url.split('?')[0]!;
  const tenantPrefix = `/t/${request.tenant.slug}`;
  return `${request.issuer}${path.startsWith(tenantPrefix) ? path.slice(tenantPrefix.length) : path}`;
}
