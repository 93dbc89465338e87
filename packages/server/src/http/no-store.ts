import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * `onRequest` rule for every route whose response carries a token, a secret or an account's
 * data: RFC 6749 §5.1 (token responses), RFC 7662 §2.2 / RFC 7009 and RFC 6750 make them
 * uncacheable, and `Pragma` covers HTTP/1.0 caches. Set before any handler runs, so a response
 * written early (a hook's own reply) is covered too. Errors get it from sendError (errors.ts).
 */
export async function noStore(_request: FastifyRequest, reply: FastifyReply): Promise<void> {
  reply.header('cache-control', 'no-store');
  reply.header('pragma', 'no-cache');
}
