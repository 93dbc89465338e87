/**
 * Typed failures of the verifier, the middleware and the client. Each carries the RFC 6750 §3.1
 * `error` code a resource server answers with, the HTTP status that goes with it, and a stable
 * `code` (`ERR_…`) that callers can switch on without parsing messages. Messages never contain
 * the token.
 */
export abstract class VerifierError extends Error {
  /** RFC 6750 §3.1 error code (`invalid_token`, `insufficient_scope`, `invalid_request`). */
  abstract readonly error: string;
  /** HTTP status a resource server should answer with. */
  abstract readonly status: number;

  constructor(
    /** Stable machine-readable reason, e.g. `ERR_TOKEN_EXPIRED`. */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** RFC 6750 §3.1 `invalid_token`: "expired, revoked, malformed, or invalid for other reasons" → 401. */
export class InvalidTokenError extends VerifierError {
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
export class InsufficientScopeError extends VerifierError {
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
export class InvalidRequestError extends VerifierError {
  readonly error = 'invalid_request';
  readonly status = 400;
}

/**
 * The verifier could not get the issuer's keys (metadata or JWKS unreachable). Not the caller's
 * fault: a resource server answers 503 and must not treat the token as valid (no fail-open).
 */
export class KeysUnavailableError extends VerifierError {
  readonly error = 'temporarily_unavailable';
  readonly status = 503;
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

/** The token endpoint refused or failed a client's token request (RFC 6749 §5.2 body when there was one). */
export class TokenRequestError extends Error {
  override name = 'TokenRequestError';
  constructor(
    /** HTTP status, or 0 when the request never got an answer. */
    readonly status: number,
    /** RFC 6749 §5.2 `error`, e.g. `invalid_client`; `network_error` when no answer came. */
    readonly error: string,
    message: string,
  ) {
    super(message);
  }
}
