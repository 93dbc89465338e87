import type { FastifyRequest } from 'fastify';
import { InvalidRequest } from '../errors.js';
import { mediaTypeOf } from './media-type.js';

/**
 * `preValidation` rule for JSON routes a browser may reach (the end-user `/auth` routes, the
 * signed-request profile): only `application/json` bodies are read. A cross-site HTML form can
 * send urlencoded, multipart or text/plain without a CORS preflight but never application/json,
 * so this is also half of the CSRF defence (OWASP CSRF cheat sheet); the form parser would
 * otherwise hand such a body to the route like JSON.
 */
export async function jsonBodyOnly(request: FastifyRequest): Promise<void> {
  if (mediaTypeOf(request) !== 'application/json') throw new InvalidRequest('the request body must be application/json');
}
