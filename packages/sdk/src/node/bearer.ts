import { DpopNonceError, DpopProofError, InsufficientScopeError, InvalidRequestError, InvalidTokenError, MissingTokenError, type VerifierError, KeyLimitError } from './errors.js';

/** Where a request may carry its token. */
export interface BearerSources {
  /** The Authorization header. */
  authorization?: string | string[] | undefined;
  /** The parsed query string. */
  query?: unknown;
  /** The parsed body (form or JSON). */
  body?: unknown;
}

/** RFC 6750 §2.1 `b64token`. */
const BEARER_HEADER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
/** RFC 9449 §7.1: `DPoP` and the same token68 syntax. */
const DPOP_HEADER = /^DPoP +([A-Za-z0-9\-._~+/]+=*) *$/i;

function accessTokenParam(container: unknown): unknown {
  if (container === null || typeof container !== 'object') return undefined;
  return Object.prototype.hasOwnProperty.call(container, 'access_token') ? (container as Record<string, unknown>).access_token : undefined;
}

/**
 * Reads the Bearer token of a request (RFC 6750 §2). The Authorization header is the method
 * accepted; a token also (or only) sent as an `access_token` query or body parameter is refused:
 * §2 forbids more than one method per request, and §2.3 URL tokens end up in access logs.
 *
 * @throws {MissingTokenError} no token at all, or another scheme (401, no error code in challenge or body, §3.1)
 * @throws {InvalidRequestError} `Bearer` with empty or malformed credentials ("malformed request", §3.1 → 400),
 *   or the token sent by more than one method, or in the URL or body (400)
 */
export function extractBearerToken(sources: BearerSources): string {
  return extractAccessToken(sources, false).token;
}

/** The access token of a request and the scheme it came with. */
export interface PresentedToken {
  scheme: 'Bearer' | 'DPoP';
  token: string;
}

/**
 * Reads the access token of a request sent as `Authorization: Bearer` (RFC 6750 §2.1) or, when
 * `acceptDpop`, as `Authorization: DPoP` (RFC 9449 §7.1), with the same rules as
 * {@link extractBearerToken} (one method, header only).
 * @throws {MissingTokenError} no token, or a scheme not accepted (401, no error code)
 * @throws {InvalidRequestError} malformed credentials, or the token sent more than one way (400)
 */
export function extractAccessToken(sources: BearerSources, acceptDpop: boolean): PresentedToken {
  const inQuery = accessTokenParam(sources.query) !== undefined;
  const inBody = accessTokenParam(sources.body) !== undefined;
  const header = Array.isArray(sources.authorization) ? sources.authorization : sources.authorization === undefined ? [] : [sources.authorization];
  if (header.length > 1) throw new InvalidRequestError('ERR_TOKEN_MULTIPLE_METHODS', 'send one Authorization header');
  const methods = (header.length > 0 ? 1 : 0) + (inQuery ? 1 : 0) + (inBody ? 1 : 0);
  if (methods > 1) throw new InvalidRequestError('ERR_TOKEN_MULTIPLE_METHODS', 'the access token was sent by more than one method (RFC 6750 §2)');
  if (inQuery || inBody) throw new InvalidRequestError('ERR_TOKEN_METHOD', 'send the access token in the Authorization header');
  const value = header[0];
  if (value === undefined || value.trim() === '') throw new MissingTokenError();
  if (acceptDpop && /^DPoP(?: |$)/i.test(value)) {
    const dpop = DPOP_HEADER.exec(value);
    if (!dpop) throw new InvalidRequestError('ERR_AUTHORIZATION_MALFORMED', 'the Authorization header is not "DPoP" followed by one token (RFC 9449 §7.1)');
    return { scheme: 'DPoP', token: dpop[1]! };
  }
  if (!/^Bearer(?: |$)/i.test(value)) throw new MissingTokenError(`this request needs a Bearer${acceptDpop ? ' or DPoP' : ''} token in the Authorization header`);
  const match = BEARER_HEADER.exec(value);
  // §3.1: a Bearer header whose credentials are empty or not a b64token is a malformed request,
  // not a token that failed verification: 400 invalid_request.
  if (!match) throw new InvalidRequestError('ERR_AUTHORIZATION_MALFORMED', 'the Authorization header is not "Bearer" followed by one token (RFC 6750 §2.1)');
  return { scheme: 'Bearer', token: match[1]! };
}

function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, '\\$&')}"`;
}

/**
 * The RFC 6750 §3 `WWW-Authenticate` value for a failure: `Bearer realm="…"`, plus `error`,
 * `error_description` (and `scope` for insufficient_scope) unless the request had no token, and
 * `resource_metadata` (RFC 9728 §5.1) when the API publishes its metadata at that URL.
 * Never throws.
 */
export function bearerChallenge(error: VerifierError, realm: string, resourceMetadata?: string, dpop?: DpopChallengeOptions): string {
  const parts = [`realm=${quote(realm)}`];
  if (!(error instanceof MissingTokenError)) parts.push(`error=${quote(error.error)}`, `error_description=${quote(error.message)}`);
  if (error instanceof InsufficientScopeError) parts.push(`scope=${quote(error.scope)}`);
  if (resourceMetadata !== undefined) parts.push(`resource_metadata=${quote(resourceMetadata)}`);
  if (!dpop) return `Bearer ${parts.join(', ')}`;
  const algs = `algs=${quote(dpop.algorithms.join(' '))}`;
  // RFC 9449 §7.1: a failure of a DPoP request (or of a bound token sent as Bearer) is a DPoP challenge.
  if (dpop.scheme === 'DPoP' || isDpopFailure(error)) return `DPoP ${[...parts, algs].join(', ')}`;
  // No credentials: both schemes are offered (RFC 9110 §11.6.1 allows several challenges).
  if (error instanceof MissingTokenError) return `Bearer ${parts.join(', ')}, DPoP ${[...parts, algs].join(', ')}`;
  return `Bearer ${parts.join(', ')}`;
}

/** How a resource server that accepts DPoP challenges (RFC 9449 §7.1). */
export interface DpopChallengeOptions {
  /** `algs`: the proof algorithms accepted. */
  algorithms: readonly string[];
  /** The scheme the failed request used, when it sent one. */
  scheme?: 'Bearer' | 'DPoP';
}

/** A failure that only DPoP can fix: a bad proof, a nonce to use, or a bound token sent as Bearer. */
function isDpopFailure(error: VerifierError): boolean {
  return error instanceof DpopProofError || error instanceof DpopNonceError || (error instanceof InvalidTokenError && error.code === 'ERR_TOKEN_BOUND');
}

/**
 * RFC 9728 §3.1: where a protected resource publishes its metadata: `/.well-known/oauth-protected-resource`
 * inserted between the host and the path of its resource identifier
 * (`https://api.example.com/v1` → `https://api.example.com/.well-known/oauth-protected-resource/v1`).
 * @throws {TypeError} `resource` is not an absolute URL
 */
export function resourceMetadataUrl(resource: string): string {
  const url = new URL(resource);
  const path = url.pathname === '/' ? '' : url.pathname;
  return `${url.origin}/.well-known/oauth-protected-resource${path}${url.search}`;
}

/** The JSON body of a failed check: `error` is absent when the request carried no token (RFC 6750 §3.1). */
export interface BearerErrorBody {
  error?: string;
  error_description: string;
}

/**
 * Status, headers and JSON body a resource server answers a failed check with. A request without
 * credentials gets no error code in the body either, so body and challenge never disagree (§3.1:
 * "the resource server SHOULD NOT include an error code or other error information").
 * Never throws.
 */
export function bearerErrorResponse(error: VerifierError, realm: string, resourceMetadata?: string, dpop?: DpopChallengeOptions): { status: number; headers: Record<string, string>; body: BearerErrorBody } {
  const headers: Record<string, string> = { 'cache-control': 'no-store' };
  if (error.status === 401 || error.status === 403 || error.status === 400) headers['www-authenticate'] = bearerChallenge(error, realm, resourceMetadata, dpop);
  if (error instanceof DpopNonceError) headers['dpop-nonce'] = error.nonce;
  if (error instanceof KeyLimitError) {
    Object.assign(headers, error.headers);
    if (error.retryAfter !== null) headers['retry-after'] = String(error.retryAfter);
  }
  const body: BearerErrorBody = error instanceof MissingTokenError ? { error_description: error.message } : { error: error.error, error_description: error.message };
  return { status: error.status, headers, body };
}
