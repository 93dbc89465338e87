import type { FastifyRequest } from 'fastify';

/** The request's media type without parameters, lower case (RFC 9110 §8.3.1), or undefined. */
export function mediaTypeOf(request: FastifyRequest): string | undefined {
  return request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
}
