/**
 * One error class per wire error. Services throw these; the HTTP error handler renders them
 * in the shape of the route's profile (RFC 6749 §5.2, RFC 6750 §3, envelope, admin API).
 * Messages are written for the caller and never contain a secret or token.
 */
export abstract class KeymintError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  /** Extra response headers this failure calls for (Retry-After, WWW-Authenticate...). */
  headers: Record<string, string> = {};

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** RFC 6749 §5.2: missing or malformed parameter, repeated parameter, two auth methods. */
export class InvalidRequest extends KeymintError {
  readonly status = 400;
  readonly code = 'invalid_request';
}

/** RFC 6749 §5.2: client authentication failed (unknown client, wrong secret, disabled app). */
export class InvalidClient extends KeymintError {
  readonly status = 401;
  readonly code = 'invalid_client';
  /** True when the client used HTTP Basic, so the response must carry WWW-Authenticate. */
  usedAuthorizationHeader = false;
}

export class InvalidGrant extends KeymintError {
  readonly status = 400;
  readonly code = 'invalid_grant';
}

export class UnauthorizedClient extends KeymintError {
  readonly status = 400;
  readonly code = 'unauthorized_client';
}

export class UnsupportedGrantType extends KeymintError {
  readonly status = 400;
  readonly code = 'unsupported_grant_type';
}

export class InvalidScope extends KeymintError {
  readonly status = 400;
  readonly code = 'invalid_scope';
}

/** RFC 8707 §2: the requested audience/resource is not one this client may ask for. */
export class InvalidTarget extends KeymintError {
  readonly status = 400;
  readonly code = 'invalid_target';
}

/** RFC 6750 §3.1 */
export class InvalidToken extends KeymintError {
  readonly status = 401;
  readonly code = 'invalid_token';
}

/** RFC 9449 §7.1: a DPoP-bound token sent as Bearer; the challenge is a DPoP one. */
export class DpopBoundToken extends InvalidToken {}

/** RFC 6750 §3.1: the request carried no token at all; the challenge then names no error. */
export class MissingToken extends InvalidToken {}

/** A token that was valid and has expired: still `invalid_token`; the verify API says EXPIRED. */
export class ExpiredToken extends InvalidToken {}

/** A JWT that is revoked (RFC 7009, or its app disabled): still `invalid_token`; the verify API says REVOKED. */
export class RevokedToken extends InvalidToken {}

/** RFC 6750 §3.1: the token is valid but lacks `scope`. */
export class InsufficientScope extends KeymintError {
  readonly status = 403;
  readonly code = 'insufficient_scope';
  constructor(readonly scope: string) {
    super(`this request needs the ${scope} scope`);
  }
}

/**
 * RFC 9449 §5 / §7.1 `invalid_dpop_proof`: the DPoP proof is missing (a bound token, an app that
 * requires DPoP) or fails a check. 400 at the token endpoint (§5), 401 at a resource (§7.1).
 */
export class InvalidDpopProof extends KeymintError {
  readonly code = 'invalid_dpop_proof';
  constructor(message: string, readonly status: 400 | 401 = 400) {
    super(message);
  }
}

/**
 * RFC 9449 `use_dpop_nonce`: retry with a proof carrying the nonce of the `DPoP-Nonce` header.
 * 400 at the token endpoint (§8), 401 with a DPoP challenge at a resource (§9).
 */
export class UseDpopNonce extends KeymintError {
  readonly code = 'use_dpop_nonce';
  constructor(nonce: string, readonly status: 400 | 401 = 400) {
    super('the DPoP proof must carry the server nonce of the DPoP-Nonce header');
    this.headers['dpop-nonce'] = nonce;
  }
}

export class Forbidden extends KeymintError {
  readonly status = 403;
  readonly code = 'forbidden';
}

/** The tenant requires a proven email before a password signs in (docs/end-users.md "Verified emails"). */
export class EmailNotVerified extends KeymintError {
  readonly status = 403;
  readonly code = 'email_not_verified';
}

/** The tenant does not take sign-ups (`keymint users settings --signup closed`). */
export class SignupClosed extends KeymintError {
  readonly status = 403;
  readonly code = 'signup_closed';
}

export class PayloadTooLarge extends KeymintError {
  readonly status = 413;
  readonly code = 'invalid_request';
}

export class UnsupportedMediaType extends KeymintError {
  readonly status = 415;
  readonly code = 'invalid_request';
}

export class NotFound extends KeymintError {
  readonly status = 404;
  readonly code = 'not_found';
}

/** RFC 9110 §15.5.6: the path exists, not with this method; `Allow` lists the methods it has. */
export class MethodNotAllowed extends KeymintError {
  readonly status = 405;
  readonly code = 'invalid_request';
  constructor(message: string, allowed: string[]) {
    super(message);
    this.headers['allow'] = allowed.join(', ');
  }
}

export class Conflict extends KeymintError {
  readonly status = 409;
  readonly code = 'conflict';
}

export class TooManyRequests extends KeymintError {
  readonly status = 429;
  readonly code = 'too_many_requests';
  constructor(message: string, retryAfterSeconds: number) {
    super(message);
    this.headers['retry-after'] = String(Math.max(1, Math.ceil(retryAfterSeconds)));
  }
}

/** A credential's rate limit is spent for this window (limits/, docs/gateway.md): 429 with RateLimit headers. */
export class RateLimited extends KeymintError {
  readonly status = 429;
  readonly code = 'rate_limited';
  constructor(message: string, headers: Record<string, string>) {
    super(message);
    this.headers = headers;
  }
}

/** A credential's usage quota is spent until its next refill, or for good (limits/, docs/gateway.md). */
export class UsageExceeded extends KeymintError {
  readonly status = 429;
  readonly code = 'usage_exceeded';
  constructor(message: string, headers: Record<string, string>) {
    super(message);
    this.headers = headers;
  }
}

export class ServerError extends KeymintError {
  readonly status = 500;
  readonly code = 'server_error';
}

export class TemporarilyUnavailable extends KeymintError {
  readonly status = 503;
  readonly code = 'temporarily_unavailable';
  constructor(message: string, retryAfterSeconds = 5) {
    super(message);
    this.headers['retry-after'] = String(retryAfterSeconds);
  }
}

/** A signed request (a GitHub secret-scanning report) whose signature or key is not accepted. */
export class InvalidSignature extends KeymintError {
  readonly status = 401;
  readonly code = 'invalid_signature';
}
