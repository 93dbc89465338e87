import { createLocalJWKSet, type JWTVerifyGetKey } from 'jose';
import {
  CLOCK_LEEWAY_SECONDS, createVerifier, extractAccessToken,
  type AccessTokenClaims, type Verifier,
} from '@keymint/sdk/node';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DpopBoundToken, Forbidden, InsufficientScope, InvalidDpopProof, InvalidToken } from '../errors.js';
import type { KeyService, TenantKeyRing } from '../keys/service.js';
import { defaultAudience } from '../oauth/client-credentials.js';
import { publicRequestUrl, type DpopService } from '../oauth/dpop.js';
import type { Tenant } from '../tenants/model.js';
import type { Limits } from '../limits/model.js';
import { rateLimitHeaders, refusal, type KeyLimiter } from '../limits/limiter.js';
import { toKeymintError } from '../http/errors.js';

/** Who a resource request acts as, whatever kind of Bearer token it carried. */
export interface Principal {
  /** Slug of the tenant the token belongs to; must be the tenant of the URL. */
  tenantSlug: string;
  /** The OAuth client behind the token; null for credentials not tied to an app (API tokens). */
  clientId: string | null;
  /** Granted scopes. */
  scopes: string[];
  /** What kind of credential it was: `jwt`, `api_token` (kmk_), `opaque` (kma_)… */
  kind: string;
  /** The token's subject: `sub` of a JWT, the API token's id… */
  subject: string;
  /** RFC 9449: the DPoP key the token is bound to (`cnf.jkt`, or stored for `kma_`); absent for Bearer tokens. `kmk_` tokens are never bound. */
  jkt?: string;
  /** The credential's own limits (API tokens); an app's limits are found by `clientId`. */
  limits?: Limits;
  /** Epoch ms the token expires; null: never; absent: not known to this resolver. */
  expiresAt?: number | null;
}

/** How a resource request presented its token, for the DPoP check (RFC 9449 §7.1). */
export interface Presentation {
  scheme: 'Bearer' | 'DPoP';
  proof: string | string[] | undefined;
  method: string;
  /** The public URL of the request (a proof's `htu`). */
  url: string;
}

/** The request a token is being resolved for. */
export interface BearerContext {
  tenant: Tenant;
  /** The tenant's issuer `{PUBLIC_URL}/t/{slug}`. */
  issuer: string;
}

/**
 * Turns one kind of Bearer token into a principal, or throws a KeymintError (InvalidToken for a
 * token that is unknown, expired or revoked). Resolvers are registered per token prefix.
 */
export type BearerResolver = (token: string, context: BearerContext) => Promise<Principal>;

/** `kmk_`, `kma_`…: lowercase letters then an underscore (DESIGN "Token formats"). */
const PREFIX = /^[a-z]{2,8}_/;

/** Whether a verified JWT has been revoked (e.g. by its jti, or all of its client's tokens). */
export type RevocationCheck = (claims: AccessTokenClaims, context: BearerContext) => boolean | Promise<boolean>;

export interface BearerAuthenticatorOptions {
  keys: KeyService;
  now: () => number;
  /**
   * The process's revocation store. Required: an authenticator that could be built without it
   * would accept revoked JWTs. It runs on every request, cached verification results included.
   */
  isRevoked: RevocationCheck;
  /** Resolvers of the other token kinds, by prefix (`kmk_`, `kma_`…). */
  resolvers: Readonly<Record<string, BearerResolver>>;
  /** Checks the DPoP proof of a bound token (RFC 9449 §7.1). */
  dpop: DpopService;
}

/**
 * Resolves the Bearer token of a resource request. JWTs (three dot-separated parts) go through
 * the SDK's verifier (the same code integrators run), with the tenant's keys from memory instead
 * of an HTTP call to ourselves; every other kind is dispatched by its prefix to a registered
 * resolver. Anything else is `invalid_token`.
 */
export class BearerAuthenticator {
  private readonly resolvers = new Map<string, BearerResolver>();
  private readonly verifiers = new Map<string, Verifier>();

  /** Everything it depends on comes in here: nothing is attached later (docs/architecture.md). */
  constructor(private readonly options: BearerAuthenticatorOptions) {
    if (typeof options.isRevoked !== 'function') throw new TypeError('BearerAuthenticator needs a revocation check');
    for (const [prefix, resolver] of Object.entries(options.resolvers)) {
      if (!PREFIX.test(prefix) || PREFIX.exec(prefix)![0] !== prefix) throw new TypeError(`token prefix must look like "kmk_", got ${prefix}`);
      this.resolvers.set(prefix, resolver);
    }
  }

  async authenticate(token: string, context: BearerContext): Promise<Principal> {
    let principal: Principal;
    if (isJwtShaped(token)) {
      principal = await this.verifyJwt(token, context);
    } else {
      const prefix = PREFIX.exec(token)?.[0];
      const resolver = prefix === undefined ? undefined : this.resolvers.get(prefix);
      if (!resolver) throw new InvalidToken('the token is not recognised');
      principal = await resolver(token, context);
    }
    // Resolvers answer another tenant's token like an unknown one; this backstop keeps a resolver
    // that forgets from letting it act here (DESIGN "Nothing crosses tenants"), and says no more.
    if (principal.tenantSlug !== context.tenant.slug) throw new InvalidToken('the token is not recognised');
    return principal;
  }

  /**
   * RFC 9449 §7.1 on top of {@link authenticate}: a bound token only as `Authorization: DPoP`
   * with a proof for this method and URL by its key (`ath` = its hash, `jti` once); an unbound
   * token only as Bearer.
   */
  async authenticatePresentation(token: string, context: BearerContext, presentation: Presentation): Promise<Principal> {
    const principal = await this.authenticate(token, context);
    if (principal.jkt === undefined) {
      if (presentation.scheme === 'DPoP') throw new InvalidDpopProof('this token is not DPoP-bound: send it with the Bearer scheme', 401);
      return principal;
    }
    if (presentation.scheme === 'Bearer') throw new DpopBoundToken('this token is DPoP-bound: send it with the DPoP scheme and a DPoP proof');
    await this.options.dpop.checkPresentation({ proof: presentation.proof, method: presentation.method, url: presentation.url, accessToken: token, jkt: principal.jkt });
    return principal;
  }

  close(): void {
    for (const verifier of this.verifiers.values()) verifier.close();
    this.verifiers.clear();
  }

  private async verifyJwt(token: string, context: BearerContext): Promise<Principal> {
    let verifier = this.verifiers.get(context.issuer);
    if (!verifier) {
      verifier = createVerifier({
        issuer: context.issuer,
        audience: defaultAudience(context.issuer),
        getKey: inProcessKeys(this.options.keys, context.tenant.id),
        // The revocation store is in this process: no HTTP feed to poll.
        revocationPollMs: false,
        // The same leeway as introspection (oauth/access-tokens.ts), so the two never disagree.
        clockToleranceSeconds: CLOCK_LEEWAY_SECONDS,
        isRevoked: (claims) => this.options.isRevoked(claims, context),
        now: this.options.now,
      });
      this.verifiers.set(context.issuer, verifier);
    }
    let claims: AccessTokenClaims;
    try {
      claims = await verifier.verify(token);
    } catch (error) {
      throw toKeymintError(error);
    }
    return {
      tenantSlug: claims.tid ?? '',
      clientId: claims.client_id,
      scopes: claims.scope ? claims.scope.split(' ') : [],
      kind: 'jwt',
      subject: claims.sub,
      ...(claims.cnf?.jkt === undefined ? {} : { jkt: claims.cnf.jkt }),
      expiresAt: claims.exp * 1000,
    };
  }
}

function isJwtShaped(token: string): boolean {
  const first = token.indexOf('.');
  const second = first < 0 ? -1 : token.indexOf('.', first + 1);
  return second > 0 && token.indexOf('.', second + 1) < 0;
}

/**
 * A jose key getter over the tenant's key ring, which KeyService keeps in memory and drops when a
 * key changes (change feed): rotation is seen without any HTTP round trip.
 */
function inProcessKeys(keys: KeyService, tenantId: string): JWTVerifyGetKey {
  const sets = new WeakMap<TenantKeyRing, JWTVerifyGetKey>();
  return async (header, token) => {
    const ring = await keys.ring(tenantId);
    let set = sets.get(ring);
    if (!set) {
      set = createLocalJWKSet(JSON.parse(ring.jwksJson));
      sets.set(ring, set);
    }
    return set(header, token);
  };
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `requireScope` on resource routes. */
    principal: Principal | null;
  }
}

/**
 * A `preValidation` hook for resource routes (RFC 6750): the Bearer token (header only; a token
 * sent two ways is 400), the principal it resolves to, `X-Tenant-Id` (if sent) equal to the
 * token's tenant (else 403), `scope` among the granted scopes (else 403 insufficient_scope), and
 * one use counted against the key's limits (else 429 rate_limited / usage_exceeded, with
 * Retry-After and the RateLimit fields, which a counted use carries too).
 * It runs before body validation, so an unauthenticated caller learns nothing of the schemas.
 */
export function requireScope(authenticator: BearerAuthenticator, limiter: KeyLimiter, scope: string) {
  return async function authorize(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    let presented: { scheme: 'Bearer' | 'DPoP'; token: string };
    try {
      presented = extractAccessToken({ authorization: request.headers.authorization, query: request.query, body: request.body }, true);
    } catch (error) {
      throw toKeymintError(error);
    }
    let principal: Principal;
    try {
      principal = await authenticator.authenticatePresentation(presented.token, { tenant: request.tenant, issuer: request.issuer }, {
        scheme: presented.scheme, proof: request.headers.dpop, method: request.method, url: publicRequestUrl(request),
      });
    } catch (error) {
      if (error instanceof InvalidToken) limiter.refused(request.tenant.id, null, 'invalid');
      throw error;
    }
    const claimedTenant = request.headers['x-tenant-id'];
    if (claimedTenant !== undefined && claimedTenant !== principal.tenantSlug) {
      throw new Forbidden('X-Tenant-Id does not match the tenant of the token');
    }
    if (!principal.scopes.includes(scope)) {
      limiter.refused(request.tenant.id, principal, 'insufficient_scope');
      throw new InsufficientScope(scope);
    }
    // Counted before the answer, once per request (issue 20): the key's rate limit and quota.
    const decision = await limiter.use(request.tenant.id, principal);
    const refused = refusal(decision);
    if (refused) throw refused;
    reply.headers(rateLimitHeaders(decision));
    request.principal = principal;
  };
}
