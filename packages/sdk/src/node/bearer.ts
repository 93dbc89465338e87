import { InsufficientScopeError, InvalidRequestError, InvalidTokenError, MissingTokenError, type VerifierError } from './errors.js';

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

function accessTokenParam(container: unknown): unknown {
  if (container === null || typeof container !== 'object') return undefined;
  return Object.prototype.hasOwnProperty.call(container, 'access_token') ? (container as Record<string, unknown>).access_token : undefined;
}

/**
 * Reads the Bearer token of a request (RFC 6750 §2). The Authorization header is the method
 * accepted; a token also (or only) sent as an `access_token` query or body parameter is refused:
 * §2 forbids more than one method per request, and §2.3 URL tokens end up in access logs.
 *
 * @throws {MissingTokenError} no token at all (401, challenge without an error code, §3.1)
 * @throws {InvalidTokenError} an Authorization header that is not a well-formed Bearer token (401)
 * @throws {InvalidRequestError} the token sent by more than one method, or in the URL or body (400)
 */
export function extractBearerToken(sources: BearerSources): string {
  const inQuery = accessTokenParam(sources.query) !== undefined;
  const inBody = accessTokenParam(sources.body) !== undefined;
  const header = Array.isArray(sources.authorization) ? sources.authorization : sources.authorization === undefined ? [] : [sources.authorization];
  if (header.length > 1) throw new InvalidRequestError('ERR_TOKEN_MULTIPLE_METHODS', 'send one Authorization header');
  const methods = (header.length > 0 ? 1 : 0) + (inQuery ? 1 : 0) + (inBody ? 1 : 0);
  if (methods > 1) throw new InvalidRequestError('ERR_TOKEN_MULTIPLE_METHODS', 'the access token was sent by more than one method (RFC 6750 §2)');
  if (inQuery || inBody) throw new InvalidRequestError('ERR_TOKEN_METHOD', 'send the access token in the Authorization header');
  const value = header[0];
  if (value === undefined || value.trim() === '') throw new MissingTokenError();
  if (!/^Bearer(?: |$)/i.test(value)) throw new MissingTokenError('this request needs a Bearer token in the Authorization header');
  const match = BEARER_HEADER.exec(value);
  if (!match) throw new InvalidTokenError('ERR_TOKEN_MALFORMED', 'the Authorization header is not a well-formed Bearer token');
  return match[1]!;
}

function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, '\\$&')}"`;
}

/**
 * The RFC 6750 §3 `WWW-Authenticate` value for a failure: `Bearer realm="…"`, plus `error`,
 * `error_description` (and `scope` for insufficient_scope) unless the request had no token.
 */
export function bearerChallenge(error: VerifierError, realm: string): string {
  const parts = [`realm=${quote(realm)}`];
  if (!(error instanceof MissingTokenError)) parts.push(`error=${quote(error.error)}`, `error_description=${quote(error.message)}`);
  if (error instanceof InsufficientScopeError) parts.push(`scope=${quote(error.scope)}`);
  return `Bearer ${parts.join(', ')}`;
}

/** Status, headers and JSON body a resource server answers a failed check with. */
export function bearerErrorResponse(error: VerifierError, realm: string): { status: number; headers: Record<string, string>; body: { error: string; error_description: string } } {
  const headers: Record<string, string> = { 'cache-control': 'no-store' };
  if (error.status === 401 || error.status === 403 || error.status === 400) headers['www-authenticate'] = bearerChallenge(error, realm);
  return { status: error.status, headers, body: { error: error.error, error_description: error.message } };
}
