import { createHash } from 'node:crypto';
import { decodeJwt, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { FetchLike } from './discovery.js';
import { assertStrictCompactJws } from './compact.js';
import { InsufficientScopeError, InvalidTokenError, OptionError, TokenExpiredError, VerifierError, type KeysUnavailableError, type RevocationFeedError } from './errors.js';
import { refusingEmbeddedKeys, RemoteKeySource } from './key-source.js';
import { RevocationFeed } from './revocations.js';

/** Algorithms Keymint signs access tokens with (DESIGN "Signing key"); nothing else is ever accepted. */
/** The algorithms a Keymint tenant signs with (its `signing_alg` setting). */
export type AccessTokenAlgorithm = 'ES256' | 'EdDSA' | 'RS256';

/** RFC 9068 §2.2 claims of a Keymint app access token, plus Keymint's `tid` (the tenant's slug). */
export interface AccessTokenClaims extends JWTPayload {
  iss: string;
  sub: string;
  aud: string | string[];
  client_id: string;
  exp: number;
  iat: number;
  jti: string;
  /** RFC 9068 §2.2.3: space-separated granted scopes. */
  scope?: string;
  /** The tenant's slug. */
  tid?: string;
  /** RFC 9449 §6.1: a DPoP-bound token's key thumbprint (RFC 7638, SHA-256, base64url). */
  cnf?: { jkt?: string };
}

export interface VerifierOptions {
  /** The tenant's issuer, e.g. `https://auth.example.com/t/acme`; compared byte for byte with `iss`. */
  issuer: string;
  /** The audience (or audiences) this API accepts; a token must name one (RFC 9068 §4). Keymint's default is `{issuer}/api`. */
  audience: string | string[];
  /**
   * Accepted `alg` values; default `['ES256', 'EdDSA', 'RS256']`, every algorithm a tenant may sign
   * with. `none` and HMAC algorithms are never accepted, and a key is only used with the algorithm
   * of its type (jose), so an RSA key cannot verify an ES256 token or the reverse.
   */
  algorithms?: AccessTokenAlgorithm[];
  /** Seconds of clock skew allowed on `exp`, `nbf` and `iat`; default {@link CLOCK_LEEWAY_SECONDS}, at most 60. */
  clockToleranceSeconds?: number;
  /**
   * Keys supplied in process instead of discovered over HTTP (a jose key getter, e.g. from
   * `createLocalJWKSet`). Without it the JWKS is found through the issuer's metadata `jwks_uri`.
   */
  getKey?: JWTVerifyGetKey;
  /** Milliseconds between two JWKS refetches caused by an unknown `kid`; default 5000. */
  jwksCooldownMs?: number;
  /** Seconds the JWKS is kept when its response carries no Cache-Control max-age; default 300. */
  jwksDefaultMaxAgeSeconds?: number;
  /** How many successful verifications to remember (keyed by a SHA-256 of the token, until its `exp`); default 10000, 0 disables. */
  cacheSize?: number;
  /** Milliseconds between polls of `{issuer}/oauth/revocations`; default 5000; `false` disables polling. */
  revocationPollMs?: number | false;
  /** An extra revocation check (e.g. an in-process revocation store); true means revoked. */
  isRevoked?: (claims: AccessTokenClaims) => boolean | Promise<boolean>;
  /**
   * Called with background failures: revocation polling, and JWKS refetches that failed while the
   * keys already held stay in use (see {@link RemoteKeySource} for the back-off); default: ignored.
   * Each is typed: switch on `.code`.
   */
  onError?: (error: KeysUnavailableError | RevocationFeedError) => void;
  /** HTTP client for discovery, JWKS and revocation polling; default the global fetch. */
  fetch?: FetchLike;
  /** Clock in epoch milliseconds; default `Date.now` (tests inject one). */
  now?: () => number;
}

export interface Verifier<C = AccessTokenClaims> {
  /**
   * Verifies an RFC 9068 JWT access token and returns its claims, or throws an
   * {@link InvalidTokenError} whose `.code` says why (RFC 6750 §3.1 `invalid_token`).
   * @throws {TokenExpiredError} the token has expired (`ERR_TOKEN_EXPIRED`): the client should refresh
   * @throws {InvalidTokenError} any other reason the token is refused (`.code`: {@link InvalidTokenErrorCode})
   * @throws {KeysUnavailableError} the issuer's keys could not be loaded: answer 503, never accept
   */
  verify(token: string): Promise<C>;
  /** Stops background polling (timers are unref'd anyway). */
  close(): void;
  /** Diagnostics: JWKS fetches so far (0 with in-process keys). */
  readonly stats: { readonly jwksFetches: number; readonly cacheEntries: number };
}

/**
 * Seconds of clock skew tolerated on a JWT's `exp`, `nbf` and `iat` (RFC 7519 §4.1.4 "some small
 * leeway"). One value for every Keymint check: this verifier's default, the server's resource API
 * and its introspection endpoint (RFC 7662), so a token is never active at one and expired at another.
 */
export const CLOCK_LEEWAY_SECONDS = 5;

/** RFC 8725 §3.11 / SECURITY-CHECKLIST: oversized tokens are refused before any parsing or crypto. */
export const MAX_TOKEN_LENGTH = 8 * 1024;

/** RFC 9068 §2.2: claims every access token carries. */
const REQUIRED_CLAIMS: readonly string[] = ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'];

/**
 * Creates a verifier for one issuer's JWT access tokens (RFC 9068 §4): signature by a key of the
 * issuer's JWKS with an allowed algorithm, `typ` `at+jwt`, `iss`, `aud`, time claims within a
 * small stated leeway, every required claim present, no unknown `crit`, no embedded keys, and not
 * revoked. Successful results are cached until the token's `exp`.
 *
 * @example
 * const verifier = createVerifier({ issuer: 'https://auth.example.com/t/acme', audience: 'https://auth.example.com/t/acme/api' });
 * const claims = await verifier.verify(token);
 * @throws {OptionError} `ERR_OPTION_MISSING`: `issuer` or `audience` is missing (a programming mistake, at construction)
 */
export function createVerifier(options: VerifierOptions): Verifier {
  return buildVerifier<AccessTokenClaims>(options, options.audience, ACCESS_TOKEN_PROFILE);
}

/**
 * What distinguishes one kind of Keymint JWT from another for a verifier: its explicit `typ`
 * (RFC 8725 §3.11, so one kind can never pass for another), the claims it must carry, and the
 * checks jose does not make.
 */
export interface TokenProfile<C> {
  typ: string;
  requiredClaims: readonly string[];
  /** Said when `typ` does not match, e.g. "not an access token (typ must be at+jwt)". */
  typMismatch: string;
  check(payload: JWTPayload, nowSeconds: number, tolerance: number): C;
}

const ACCESS_TOKEN_PROFILE: TokenProfile<AccessTokenClaims> = {
  // RFC 9068 §4: "MUST verify that the typ header value is at+jwt or application/at+jwt".
  typ: 'at+jwt',
  requiredClaims: REQUIRED_CLAIMS,
  typMismatch: 'the token is not an access token (typ must be at+jwt)',
  check: checkClaims,
};

/**
 * The verification machinery shared by every Keymint token kind: size limit, key discovery with
 * refetch cooldown, no embedded keys, pinned algorithms, `iss`/`aud`/time checks with a small
 * leeway, the revocation feed, and a cache of successes until `exp`.
 * @internal
 */
export function buildVerifier<C extends JWTPayload & { exp: number }>(options: Omit<VerifierOptions, 'audience' | 'isRevoked'> & { isRevoked?: (claims: C) => boolean | Promise<boolean> }, audience: string | string[], profile: TokenProfile<C>): Verifier<C> {
  const now = options.now ?? Date.now;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const tolerance = Math.min(Math.max(options.clockToleranceSeconds ?? CLOCK_LEEWAY_SECONDS, 0), 60);
  if (!options.issuer) throw new OptionError('ERR_OPTION_MISSING', 'issuer', 'a Keymint verifier needs an issuer');
  if (Array.isArray(audience) ? audience.length === 0 : !audience) throw new OptionError('ERR_OPTION_MISSING', 'audience', 'a Keymint verifier needs an audience');
  const remote = options.getKey
    ? null
    : new RemoteKeySource({
        issuer: options.issuer,
        fetch: fetchImpl,
        cooldownMs: options.jwksCooldownMs ?? 5_000,
        defaultMaxAgeSeconds: options.jwksDefaultMaxAgeSeconds ?? 300,
        now,
        ...(options.onError ? { onError: options.onError } : {}),
      });
  const getKey = refusingEmbeddedKeys(options.getKey ?? remote!.getKey);
  const feed = options.revocationPollMs === false
    ? null
    : new RevocationFeed({ issuer: options.issuer, fetch: fetchImpl, pollMs: options.revocationPollMs ?? 5_000, now, onError: options.onError ?? (() => {}) });
  const cacheSize = Math.max(0, options.cacheSize ?? 10_000);
  const cache = new Map<string, { claims: C; expiresAt: number }>();
  const algorithms = options.algorithms ?? ['ES256', 'EdDSA', 'RS256'];

  async function assertNotRevoked(claims: C): Promise<void> {
    if (feed?.isRevoked(claims) || (options.isRevoked && (await options.isRevoked(claims)))) {
      throw new InvalidTokenError('ERR_TOKEN_REVOKED', 'the token has been revoked');
    }
  }

  async function verify(token: string): Promise<C> {
    if (typeof token !== 'string' || token.length === 0) throw new InvalidTokenError('ERR_TOKEN_MALFORMED', 'the token is empty');
    if (token.length > MAX_TOKEN_LENGTH) throw new InvalidTokenError('ERR_TOKEN_TOO_LARGE', `the token is longer than ${MAX_TOKEN_LENGTH} characters`);

    const key = cacheSize > 0 ? createHash('sha256').update(token).digest('base64url') : '';
    const hit = cacheSize > 0 ? cache.get(key) : undefined;
    if (hit) {
      if (now() < hit.expiresAt) {
        await assertNotRevoked(hit.claims);
        return hit.claims;
      }
      cache.delete(key);
    }

    assertStrictCompactJws(token);
    assertIssuer(token, options.issuer);
    if (feed) await feed.ready;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, getKey, {
        issuer: options.issuer,
        audience,
        algorithms,
        typ: profile.typ,
        clockTolerance: tolerance,
        requiredClaims: [...profile.requiredClaims],
        currentDate: new Date(now()),
      }));
    } catch (error) {
      throw toVerifierError(error, profile.typMismatch, options.issuer);
    }
    const claims = profile.check(payload, now() / 1000, tolerance);
    await assertNotRevoked(claims);
    if (cacheSize > 0) {
      if (cache.size >= cacheSize) cache.delete(cache.keys().next().value!);
      cache.set(key, { claims, expiresAt: claims.exp * 1000 });
    }
    return claims;
  }

  return {
    verify,
    close: () => feed?.close(),
    get stats() {
      return { jwksFetches: remote?.fetchCount ?? 0, cacheEntries: cache.size };
    },
  };
}

/**
 * RFC 9068 §4 / RFC 8414 §2: a token naming another issuer is refused as that, before any key
 * lookup: its keys are not ours to look for (no JWKS refetch for it), and "not signed by one of the
 * issuer's keys" would hide the real mistake. The `iss` is readable by the token's holder anyway;
 * it is never echoed (it is untrusted text headed for a response header).
 */
function assertIssuer(token: string, issuer: string): void {
  let iss: unknown;
  try {
    iss = decodeJwt(token).iss;
  } catch {
    return; // Not a claims set: jwtVerify reports it as malformed.
  }
  if (typeof iss === 'string' && iss !== issuer) throw issuerMismatch(issuer);
}

function issuerMismatch(issuer: string): InvalidTokenError {
  return new InvalidTokenError('ERR_TOKEN_ISSUER', `the token was issued by another issuer, not ${issuer}`);
}

/** What jose checks generically, made specific to RFC 9068: string identifiers, no `iat` from the future. */
function checkClaims(payload: JWTPayload, nowSeconds: number, tolerance: number): AccessTokenClaims {
  for (const name of ['sub', 'client_id', 'jti'] as const) {
    if (typeof payload[name] !== 'string' || payload[name] === '') throw new InvalidTokenError('ERR_TOKEN_CLAIM_INVALID', `the token's ${name} claim must be a non-empty string`);
  }
  if (payload.scope !== undefined && typeof payload.scope !== 'string') throw new InvalidTokenError('ERR_TOKEN_CLAIM_INVALID', "the token's scope claim must be a string");
  if (payload.tid !== undefined && typeof payload.tid !== 'string') throw new InvalidTokenError('ERR_TOKEN_CLAIM_INVALID', "the token's tid claim must be a string");
  const cnf = payload.cnf as { jkt?: unknown } | undefined;
  if (cnf !== undefined && (cnf === null || typeof cnf !== 'object' || (cnf.jkt !== undefined && (typeof cnf.jkt !== 'string' || cnf.jkt === '')))) {
    throw new InvalidTokenError('ERR_TOKEN_CLAIM_INVALID', "the token's cnf claim must be an object whose jkt is a non-empty string");
  }
  if ((payload.iat as number) > nowSeconds + tolerance) throw new InvalidTokenError('ERR_TOKEN_NOT_YET_VALID', 'the token was issued in the future');
  return payload as AccessTokenClaims;
}

/** jose failures → stable `ERR_TOKEN_*` codes under RFC 6750 `invalid_token`. */
function toVerifierError(error: unknown, typMismatch: string, issuer: string): VerifierError {
  if (error instanceof VerifierError) return error;
  if (error instanceof joseErrors.JWTExpired) return new TokenExpiredError();
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'iss' && error.reason === 'check_failed') return issuerMismatch(issuer);
    if (error.claim === 'typ') return new InvalidTokenError('ERR_TOKEN_TYPE', typMismatch);
    if (error.claim === 'nbf' && error.reason === 'check_failed') return new InvalidTokenError('ERR_TOKEN_NOT_YET_VALID', 'the token is not valid yet');
    return new InvalidTokenError('ERR_TOKEN_CLAIM_INVALID', `the token's ${error.claim} claim is ${error.reason === 'missing' ? 'missing' : 'not accepted'}`);
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return new InvalidTokenError('ERR_TOKEN_ALGORITHM', 'the token is signed with an algorithm that is not accepted');
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return new InvalidTokenError('ERR_TOKEN_SIGNATURE', 'the token signature is invalid');
  if (error instanceof joseErrors.JWKSNoMatchingKey || error instanceof joseErrors.JWKSMultipleMatchingKeys) {
    return new InvalidTokenError('ERR_TOKEN_KEY_UNKNOWN', "the token is not signed by one of the issuer's keys");
  }
  if (error instanceof joseErrors.JOSENotSupported) return new InvalidTokenError('ERR_TOKEN_UNSUPPORTED', 'the token uses an unsupported feature');
  return new InvalidTokenError('ERR_TOKEN_MALFORMED', 'the token is malformed');
}

/**
 * RFC 6750 §3.1: throws {@link InsufficientScopeError} (403 `insufficient_scope`) naming the
 * scopes the token lacks. Scopes are the space-separated `scope` claim (RFC 9068 §2.2.3).
 * @throws {InsufficientScopeError} a required scope is missing (`.scope` names them)
 */
export function assertScopes(claims: { scope?: unknown }, required: readonly string[]): void {
  if (required.length === 0) return;
  const granted = typeof claims.scope === 'string' ? claims.scope.split(' ') : [];
  const missing = required.filter((scope) => !granted.includes(scope));
  if (missing.length > 0) throw new InsufficientScopeError(missing.join(' '));
}
