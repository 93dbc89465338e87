/**
 * Typed failures of the verifier, the middleware and the client. Each carries the RFC 6750 §3.1
 * `error` code a resource server answers with, the HTTP status that goes with it, and a stable
 * `code` (`ERR_…`) that callers can switch on without parsing messages. Messages never contain
 * the token.
 */
/** Why a token was refused as RFC 6750 §3.1 `invalid_token` (401). */
export type InvalidTokenErrorCode =
  | 'ERR_TOKEN_MISSING'
  | 'ERR_TOKEN_EXPIRED'
  | 'ERR_TOKEN_NOT_YET_VALID'
  | 'ERR_TOKEN_MALFORMED'
  | 'ERR_TOKEN_TOO_LARGE'
  | 'ERR_TOKEN_CLAIM_INVALID'
  | 'ERR_TOKEN_ISSUER'
  | 'ERR_TOKEN_TYPE'
  | 'ERR_TOKEN_ALGORITHM'
  | 'ERR_TOKEN_SIGNATURE'
  | 'ERR_TOKEN_KEY_UNKNOWN'
  | 'ERR_TOKEN_EMBEDDED_KEY'
  | 'ERR_TOKEN_UNSUPPORTED'
  | 'ERR_TOKEN_REVOKED'
  /** RFC 9449 §7.1: a DPoP-bound token (`cnf.jkt`) sent as Bearer; it is only accepted with `Authorization: DPoP` and a proof. */
  | 'ERR_TOKEN_BOUND'
  /** `Authorization: DPoP` with a token that is not DPoP-bound: send it as Bearer. */
  | 'ERR_TOKEN_NOT_BOUND';
/** Why a request was refused as RFC 6750 §3.1 `invalid_request` (400): how the token was sent (§2). */
export type InvalidRequestErrorCode = 'ERR_TOKEN_MULTIPLE_METHODS' | 'ERR_TOKEN_METHOD' | 'ERR_AUTHORIZATION_MALFORMED';
/** Why the issuer's keys are unavailable (503). */
export type KeysUnavailableErrorCode = 'ERR_JWKS_UNAVAILABLE' | 'ERR_JWKS_TOO_LARGE';
/** Every `code` a {@link VerifierError} can carry: switch on it exhaustively. */
export type VerifierErrorCode = InvalidTokenErrorCode | InvalidRequestErrorCode | KeysUnavailableErrorCode | 'ERR_INSUFFICIENT_SCOPE' | DpopProofErrorCode | 'ERR_DPOP_NONCE' | KeyLimitErrorCode | 'ERR_LIMITS_UNAVAILABLE';
/** Why a key's use was refused by its limits (429, docs/gateway.md): `ERR_RATE_LIMITED` (the window is spent) or `ERR_USAGE_EXCEEDED` (the quota is). */
export type KeyLimitErrorCode = 'ERR_RATE_LIMITED' | 'ERR_USAGE_EXCEEDED';
/**
 * Why a DPoP proof was refused as RFC 9449 §7.1 `invalid_dpop_proof`:
 * - `ERR_DPOP_MISSING`: no DPoP header (a bound token, or an app that requires DPoP)
 * - `ERR_DPOP_MALFORMED`: not one compact JWS with a JSON header, or more than one header
 * - `ERR_DPOP_TYPE`: `typ` is not `dpop+jwt`
 * - `ERR_DPOP_ALGORITHM`: `alg` is not an allowed asymmetric algorithm (`none`, HS256… never are)
 * - `ERR_DPOP_KEY`: no `jwk`, a private key in it, or not a key for `alg`
 * - `ERR_DPOP_SIGNATURE`: the signature does not verify with the `jwk`
 * - `ERR_DPOP_CLAIMS`: `jti` or `iat` missing or of the wrong type
 * - `ERR_DPOP_HTM` / `ERR_DPOP_HTU`: not the method / URL of this request
 * - `ERR_DPOP_IAT`: `iat` outside the window (`DPOP_IAT_WINDOW_SECONDS`)
 * - `ERR_DPOP_ATH`: `ath` is not the hash of the access token sent with it
 * - `ERR_DPOP_KEY_MISMATCH`: signed by a key other than the token's `cnf.jkt`
 * - `ERR_DPOP_REPLAY`: this `jti` was used before by this key
 */
export type DpopProofErrorCode =
  | 'ERR_DPOP_MISSING'
  | 'ERR_DPOP_MALFORMED'
  | 'ERR_DPOP_TYPE'
  | 'ERR_DPOP_ALGORITHM'
  | 'ERR_DPOP_KEY'
  | 'ERR_DPOP_SIGNATURE'
  | 'ERR_DPOP_CLAIMS'
  | 'ERR_DPOP_HTM'
  | 'ERR_DPOP_HTU'
  | 'ERR_DPOP_IAT'
  | 'ERR_DPOP_ATH'
  | 'ERR_DPOP_KEY_MISMATCH'
  | 'ERR_DPOP_REPLAY';

export abstract class VerifierError<Code extends VerifierErrorCode = VerifierErrorCode> extends Error {
  /** RFC 6750 §3.1 error code (`invalid_token`, `insufficient_scope`, `invalid_request`). */
  abstract readonly error: string;
  /** HTTP status a resource server should answer with. */
  abstract readonly status: number;

  constructor(
    /** Stable machine-readable reason, e.g. `ERR_TOKEN_EXPIRED`. */
    readonly code: Code,
    message: string,
    /** `cause`: the failure behind it, e.g. the {@link DiscoveryError} behind `ERR_JWKS_UNAVAILABLE`. */
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** RFC 6750 §3.1 `invalid_token`: "expired, revoked, malformed, or invalid for other reasons" → 401. */
export class InvalidTokenError extends VerifierError<InvalidTokenErrorCode> {
  readonly error = 'invalid_token';
  readonly status = 401;
}

/**
 * The token was valid but has expired (`ERR_TOKEN_EXPIRED`): still `invalid_token` / 401, typed so
 * that a backend can tell its client to refresh and retry rather than to sign in again.
 */
export class TokenExpiredError extends InvalidTokenError {
  constructor(message = 'the token has expired') {
    super('ERR_TOKEN_EXPIRED', message);
  }
}

/**
 * RFC 6750 §3.1: the request carried no token at all. Still a 401, but the challenge names no
 * error code ("the resource server SHOULD NOT include an error code").
 */
export class MissingTokenError extends InvalidTokenError {
  constructor(message = 'this request needs a Bearer token') {
    super('ERR_TOKEN_MISSING', message);
  }
}

/** RFC 6750 §3.1 `insufficient_scope` → 403 naming the scope the request needs. */
export class InsufficientScopeError extends VerifierError<'ERR_INSUFFICIENT_SCOPE'> {
  readonly error = 'insufficient_scope';
  readonly status = 403;
  constructor(
    /** The scope (or space-separated scopes) the request needs. */
    readonly scope: string,
  ) {
    super('ERR_INSUFFICIENT_SCOPE', `this request needs the ${scope} scope`);
  }
}

/** RFC 6750 §3.1 `invalid_request`, e.g. a token sent by more than one method (§2) → 400. */
export class InvalidRequestError extends VerifierError<InvalidRequestErrorCode> {
  readonly error = 'invalid_request';
  readonly status = 400;
}

/**
 * RFC 9449 §7.1 `invalid_dpop_proof` (401 at a resource server with a `WWW-Authenticate: DPoP`
 * challenge; the token endpoint answers it with 400, §5).
 */
export class DpopProofError extends VerifierError<DpopProofErrorCode> {
  readonly error = 'invalid_dpop_proof';
  readonly status = 401;
}

/**
 * RFC 9449 §8/§9 `use_dpop_nonce`: the server demands a nonce in the proof. Retry once with a new
 * proof whose `nonce` is `.nonce` (the server also sends it as the `DPoP-Nonce` header).
 */
export class DpopNonceError extends VerifierError<'ERR_DPOP_NONCE'> {
  readonly error = 'use_dpop_nonce';
  readonly status = 401;
  constructor(
    /** The nonce to put in the next proof. */
    readonly nonce: string,
  ) {
    super('ERR_DPOP_NONCE', 'the DPoP proof must carry the nonce the server gave (DPoP-Nonce header)');
  }
}

/**
 * The verifier could not get the issuer's keys (metadata or JWKS unreachable). Not the caller's
 * fault: a resource server answers 503 and must not treat the token as valid (no fail-open).
 */
export class KeysUnavailableError extends VerifierError<KeysUnavailableErrorCode> {
  readonly error = 'temporarily_unavailable';
  readonly status = 503;
}

/**
 * A key past its rate limit or usage quota (issue 20): 429 with `error` `rate_limited` or
 * `usage_exceeded`, `Retry-After` when a wait helps, and the IETF `RateLimit` field in `headers`.
 */
export class KeyLimitError extends VerifierError<KeyLimitErrorCode> {
  readonly status = 429;
  readonly error: 'rate_limited' | 'usage_exceeded';
  constructor(
    code: KeyLimitErrorCode,
    message: string,
    /** Seconds until the limit lets this key through again; null: never by waiting (a quota with no refill). */
    readonly retryAfter: number | null,
    /** Response fields beside `Retry-After` (`ratelimit`). */
    readonly headers: Record<string, string>,
  ) {
    super(code, message);
    this.error = code === 'ERR_RATE_LIMITED' ? 'rate_limited' : 'usage_exceeded';
  }
}

/** Keymint's verify API could not count a use (`ERR_LIMITS_UNAVAILABLE`): 503, the request refused (fail closed). */
export class KeyLimitsUnavailableError extends VerifierError<'ERR_LIMITS_UNAVAILABLE'> {
  readonly error = 'temporarily_unavailable';
  readonly status = 503;
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_LIMITS_UNAVAILABLE', message, options);
  }
}

/**
 * The issuer answered a key set larger than the verifier accepts (`ERR_JWKS_TOO_LARGE`: over
 * `MAX_JWKS_BYTES` bytes or `MAX_JWKS_KEYS` keys). Like every key-loading failure it is a 503,
 * never acceptance; keys already held stay in use.
 */
export class JwksTooLargeError extends KeysUnavailableError {
  constructor(message: string) {
    super('ERR_JWKS_TOO_LARGE', message);
  }
}

/**
 * The `error` of a failed token request: an RFC 6749 §5.2 code from the token endpoint,
 * `network_error` when no answer came, `invalid_metadata` when the issuer's metadata names no
 * token endpoint. Open-ended (`string & {}`) because an authorization server may answer codes
 * registered after this SDK (RFC 6749 §11.4).
 */
export type TokenRequestErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'temporarily_unavailable'
  | 'network_error'
  | 'invalid_metadata'
  | (string & {});

/** The token endpoint refused or failed a client's token request (RFC 6749 §5.2 body when there was one). */
export class TokenRequestError extends Error {
  override name = 'TokenRequestError';
  constructor(
    /** HTTP status, or 0 when the request never got an answer. */
    readonly status: number,
    /** RFC 6749 §5.2 `error`, e.g. `invalid_client`; `network_error` when no answer came. */
    readonly error: TokenRequestErrorCode,
    message: string,
    /** `cause`: what failed underneath, e.g. a {@link DiscoveryError} or the fetch failure. */
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * Why an issuer's RFC 8414 metadata could not be used. Never a caller mistake: the issuer is
 * unreachable or answered something unusable.
 * - `ERR_METADATA_UNREACHABLE`: no answer (network failure, timeout)
 * - `ERR_METADATA_STATUS`: an answer other than HTTP 200 (`.status` says which)
 * - `ERR_METADATA_TOO_LARGE`: over `MAX_METADATA_BYTES`
 * - `ERR_METADATA_MALFORMED`: not a JSON object
 * - `ERR_METADATA_ISSUER_MISMATCH`: its `issuer` is not the configured issuer (RFC 8414 §3.3)
 */
export type DiscoveryErrorCode =
  | 'ERR_METADATA_UNREACHABLE'
  | 'ERR_METADATA_STATUS'
  | 'ERR_METADATA_TOO_LARGE'
  | 'ERR_METADATA_MALFORMED'
  | 'ERR_METADATA_ISSUER_MISMATCH';

/**
 * An exchange with the issuer that gave nothing usable: a stable `code` to switch on and the HTTP
 * status of the answer, 0 when none came. The failure underneath, if any, is the `cause`.
 */
export abstract class IssuerAnswerError<Code extends string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
    /** HTTP status of the answer, or 0 when there was none. */
    readonly status = 0,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** {@link discover} could not fetch or accept the issuer's metadata (see {@link DiscoveryErrorCode}). */
export class DiscoveryError extends IssuerAnswerError<DiscoveryErrorCode> {}

/**
 * Why a poll of the issuer's revocation feed (`GET {issuer}/oauth/revocations`) failed. Reported
 * to the verifier's `onError`; the verifier keeps the revocations it holds and polls again.
 * - `ERR_REVOCATION_FEED_UNREACHABLE`: no answer (network failure, timeout)
 * - `ERR_REVOCATION_FEED_STATUS`: an answer other than 200, 304 or 404 (`.status` says which)
 * - `ERR_REVOCATION_FEED_MALFORMED`: the body is not `{revocations, cursor}`
 */
export type RevocationFeedErrorCode = 'ERR_REVOCATION_FEED_UNREACHABLE' | 'ERR_REVOCATION_FEED_STATUS' | 'ERR_REVOCATION_FEED_MALFORMED';

/** A failed poll of the revocation feed (see {@link RevocationFeedErrorCode}). */
export class RevocationFeedError extends IssuerAnswerError<RevocationFeedErrorCode> {}

/**
 * Why options given to the SDK were refused, at construction: a programming mistake to fix in
 * the calling code, never worth a retry.
 * - `ERR_OPTION_MISSING`: a required option is missing or empty (`.option` names it)
 * - `ERR_OPTION_INVALID`: an option has an unusable value, e.g. an issuer that is not an absolute URL
 */
export type OptionErrorCode = 'ERR_OPTION_MISSING' | 'ERR_OPTION_INVALID';

/** Options the SDK cannot work with. A `TypeError`, as JavaScript reports other misuse. */
export class OptionError extends TypeError {
  override name = 'OptionError';
  constructor(
    readonly code: OptionErrorCode,
    /** The option at fault, e.g. `issuer`. */
    readonly option: string,
    message: string,
  ) {
    super(message);
  }
}

/** Throws `ERR_OPTION_MISSING` for the first of `names` that `options` lacks or leaves empty. */
export function requireOptions<T extends object>(options: T, names: readonly (keyof T & string)[], what: string): void {
  for (const name of names) {
    const value = options[name];
    if (value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0)) {
      throw new OptionError('ERR_OPTION_MISSING', name, `${what} needs the ${name} option`);
    }
  }
}

/** Why a webhook request was refused by {@link verifyWebhook}. */
export type WebhookVerificationErrorCode =
  | 'ERR_WEBHOOK_HEADERS_MISSING'
  | 'ERR_WEBHOOK_TIMESTAMP_INVALID'
  | 'ERR_WEBHOOK_TIMESTAMP_TOO_OLD'
  | 'ERR_WEBHOOK_TIMESTAMP_TOO_NEW'
  | 'ERR_WEBHOOK_SIGNATURE'
  | 'ERR_WEBHOOK_PAYLOAD';

/**
 * A webhook request that does not prove it came from Keymint (Standard Webhooks): answer it
 * with 400 (or 401) and do not act on it. Messages never contain the secret or the signature.
 */
export class WebhookVerificationError extends Error {
  override name = 'WebhookVerificationError';
  constructor(
    /** Stable machine-readable reason, e.g. `ERR_WEBHOOK_SIGNATURE`. */
    readonly code: WebhookVerificationErrorCode,
    message: string,
  ) {
    super(message);
  }
}
