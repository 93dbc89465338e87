import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import {
  DpopBoundToken, ExpiredToken, InsufficientScope, InvalidClient, InvalidDpopProof, InvalidRequest, InvalidToken, KeymintError, MethodNotAllowed, MissingToken, NotFound, PayloadTooLarge, RevokedToken, ServerError, UnsupportedMediaType, UseDpopNonce,
} from '../errors.js';
import { TemporarilyUnavailable } from '../errors.js';
import {
  DPOP_ALGORITHMS, InsufficientScopeError, InvalidRequestError, KeysUnavailableError, MissingTokenError, VerifierError,
} from '@keymint/sdk/node';
import { isDatabaseUnavailable } from '../store/outage.js';
import { validationMessage } from './validation-message.js';

/**
 * How a route renders failures:
 * - `oauth`: RFC 6749 §5.2 `{error, error_description}`; Basic realm challenge on invalid_client.
 * - `bearer`: the same body plus the RFC 6750 §3 `WWW-Authenticate: Bearer` challenge.
 * - `envelope`: `{error: {code, code_reason, message}}` (envelope vendor profile).
 * - `api`: `{error, error_description}` for the admin API and everything else.
 */
export type ErrorProfile = 'oauth' | 'bearer' | 'envelope' | 'api';

declare module 'fastify' {
  interface FastifyContextConfig {
    errorProfile?: ErrorProfile;
  }
}

/**
 * Numeric codes of the envelope profile (DESIGN "Envelope profile"). Every 400 (invalid_scope,
 * unsupported_grant_type... included) is 400013/invalid_request, the message saying which.
 */
const ENVELOPE_CODES: Record<number, { code: string; reason: string }> = {
  400: { code: '400013', reason: 'invalid_request' },
  401: { code: '401021', reason: 'invalid_client' },
  500: { code: '500999', reason: 'API_ERROR' },
};

/**
 * Failures the envelope vendor defines no code for keep their HTTP status (a client's retry
 * logic reads it): `{status}000` with the Keymint code as reason (429 too_many_requests, 404
 * not_found, 413 invalid_request, 503 temporarily_unavailable). Any other 5xx is 500999.
 */
export function envelopeCode(error: KeymintError): { code: string; reason: string } {
  const known = ENVELOPE_CODES[error.status];
  if (known) return known;
  if (error.status < 500 || error.status === 503) return { code: `${error.status}000`, reason: error.code };
  return ENVELOPE_CODES[500]!;
}

/** The SDK verifier's failures (resource routes, end-user tokens) as wire errors (RFC 6750 §3.1). */
function fromVerifierError(error: VerifierError): KeymintError {
  if (error instanceof MissingTokenError) return new MissingToken(error.message);
  if (error instanceof InsufficientScopeError) return new InsufficientScope(error.scope);
  if (error instanceof InvalidRequestError) return new InvalidRequest(error.message);
  if (error instanceof KeysUnavailableError) return new TemporarilyUnavailable('signing keys are unavailable');
  if (error.code === 'ERR_TOKEN_EXPIRED') return new ExpiredToken(error.message);
  if (error.code === 'ERR_TOKEN_REVOKED') return new RevokedToken(error.message);
  return new InvalidToken(error.message);
}

/**
 * Turns anything thrown into a KeymintError: the error handler calls it for every failure, and
 * code that calls the SDK verifier calls it to throw the wire error at once. Unknown failures
 * become a bare server_error that keeps the original as `cause` (logged, never rendered).
 * `profile` only matters for a 415 (RFC 6749 §5.2 wants 400 invalid_request there).
 */
export function toKeymintError(error: unknown, profile: ErrorProfile = 'api'): KeymintError {
  if (error instanceof KeymintError) return error;
  if (error instanceof VerifierError) return fromVerifierError(error);
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.validation) return new InvalidRequest(validationMessage(fastifyError.validation, fastifyError.validationContext ?? 'request'));
  const status = fastifyError.statusCode;
  if (status === 413) return new PayloadTooLarge('request body too large');
  if (status === 415) {
    // RFC 6749 §5.2 names a malformed request invalid_request with 400; elsewhere 415 says more.
    return profile === 'oauth' || profile === 'envelope' ? new InvalidRequest('unsupported content type') : new UnsupportedMediaType('unsupported content type');
  }
  if (status === 404) return new NotFound('not found');
  if (status !== undefined && status >= 400 && status < 500) return new InvalidRequest('malformed request');
  // A database outage is something to retry, not a bug: 503 + Retry-After (docs/operations.md).
  if (isDatabaseUnavailable(error)) return new TemporarilyUnavailable('storage temporarily unavailable: retry shortly', 2);
  return Object.assign(new ServerError('internal error'), { cause: error });
}

export function realmOf(request: FastifyRequest): string {
  return request.realm ?? 'keymint';
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The issuer of the tenant this request is for, used as the auth challenge realm. */
    realm?: string;
  }
}

/**
 * An auth-param quoted-string. Header values carry visible ASCII only (RFC 6750 §3 limits
 * error_description to it): anything else, such as a caller's unknown field name in a
 * validation message, becomes `?` rather than an invalid header.
 */
function quote(value: string): string {
  return `"${value.replace(/[^\x20-\x7e]/g, '?').replace(/[\\"]/g, '\\$&')}"`;
}

export function sendError(error: KeymintError, profile: ErrorProfile, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  reply.code(error.status);
  // An error is never worth caching, and on token routes it must not be (RFC 6749 §5.1): set it
  // here too, since a failure in an early hook (the tenant lookup) comes before the route's noStore.
  reply.header('cache-control', 'no-store');
  if (profile === 'oauth' || profile === 'envelope') reply.header('pragma', 'no-cache');
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  if (profile === 'envelope') {
    const envelope = envelopeCode(error);
    if (envelope === ENVELOPE_CODES[500]) reply.code(500);
    const message = envelope.code === '500999' ? 'An unexpected error occurred' : error.message;
    return reply.send({ error: { code: envelope.code, code_reason: envelope.reason, message } });
  }
  if (profile === 'oauth' && error instanceof InvalidClient && error.usedAuthorizationHeader) {
    reply.header('www-authenticate', `Basic realm=${quote(realmOf(request))}`);
  }
  if (profile === 'bearer' && (error.status === 401 || error.status === 403 || error.status === 400)) {
    reply.header('www-authenticate', resourceChallenges(error, realmOf(request), request.headers.authorization));
    // RFC 6750 §3.1: no error code for a request without credentials, in the body as in the challenge.
    if (error instanceof MissingToken) return reply.send({ error_description: error.message });
  }
  return reply.send({ error: error.code, error_description: error.message });
}

/**
 * RFC 6750 §3 and RFC 9449 §7.1, one challenge per header line: a DPoP challenge (with `algs`) for
 * a DPoP failure or a request that used the DPoP scheme, a Bearer one otherwise, and both when the
 * request carried no credentials (either scheme would do). No error code without credentials.
 */
function resourceChallenges(error: KeymintError, realm: string, authorization: string | undefined): string | string[] {
  const parts = [`realm=${quote(realm)}`];
  if (!(error instanceof MissingToken)) {
    parts.push(`error=${quote(error.code)}`, `error_description=${quote(error.message)}`);
  }
  if (error instanceof InsufficientScope) parts.push(`scope=${quote(error.scope)}`);
  const dpop = `DPoP ${[...parts, `algs=${quote(DPOP_ALGORITHMS.join(' '))}`].join(', ')}`;
  if (error instanceof MissingToken) return [`Bearer ${parts.join(', ')}`, dpop];
  const usedDpop = typeof authorization === 'string' && /^DPoP /i.test(authorization);
  if (usedDpop || error instanceof InvalidDpopProof || error instanceof UseDpopNonce || error instanceof DpopBoundToken) return dpop;
  return `Bearer ${parts.join(', ')}`;
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * The answer for a request no route takes, worded to lead to the right one: a path that exists
 * with other methods is a 405 with `Allow` (RFC 9110 §15.5.6: `GET /t/x/oauth/token`), and a
 * path that exists only under a tenant says so (`POST /oauth/token`).
 */
export function notFound(request: FastifyRequest): KeymintError {
  const path = request.url.split('?')[0]!;
  const routes = request.server;
  const allowed = METHODS.filter((method) => routes.findRoute({ method, url: path }) !== null);
  if (allowed.length > 0) return new MethodNotAllowed(`${path} does not take ${request.method}: use ${allowed.join(' or ')}`, allowed);
  const tenantPath = `/t/{tenant}${path}`;
  if (routes.findRoute({ method: request.method as 'GET', url: tenantPath }) !== null) {
    return new NotFound(`no route for ${request.method} ${path}: endpoints are per tenant, at ${tenantPath} (each tenant's /t/{tenant}/.well-known/oauth-authorization-server lists them)`);
  }
  return new NotFound(`no route for ${request.method} ${path}`);
}
