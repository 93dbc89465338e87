import { Type } from '@sinclair/typebox';
import { errorResponses } from './error-body.js';

/**
 * Response schema of an answer without a body (RFC 7009 §2.2's 200, a 304, a 204). Typed as
 * `undefined` so a handler answers `reply.send()`: a `null` payload would be serialized as the
 * four bytes `null`.
 */
export function noBody(description: string) {
  return Type.Unsafe<undefined>({ type: 'null', description });
}

/** A CORS preflight: 204 when the origin may call, else the route's error. */
export const preflightResponses = { 204: noBody('CORS preflight answered'), ...errorResponses };
