import type { FastifyRequest } from 'fastify';
import { InvalidRequest } from '../errors.js';
import { mediaTypeOf } from './media-type.js';

/**
 * `preValidation` rule for the OAuth endpoints (token, introspection, revocation, envelope
 * profile): RFC 6749 §3.2 and §4.4.2, RFC 7662 §2.1, RFC 7009 §2.1 take
 * `application/x-www-form-urlencoded` bodies only. Without it a JSON body would be parsed and
 * read like a form. An empty body becomes an empty form, so "grant_type is missing" is said
 * rather than a schema error.
 */
export async function formBodyOnly(request: FastifyRequest): Promise<void> {
  if (mediaTypeOf(request) !== 'application/x-www-form-urlencoded') {
    throw new InvalidRequest('the request body must be application/x-www-form-urlencoded');
  }
  if (request.body === undefined || request.body === null) request.body = Object.create(null);
}
