import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { preflightResponses } from './no-body.js';

/**
 * CORS rule for public, credential-free documents (JWKS, RFC 8414 metadata, the revocation feed):
 * any origin may read them, because browser-side discovery and JWT readers need them and they
 * hold nothing a page could not fetch through a proxy anyway. `*` and never credentials (Fetch
 * standard §3.2.5: `*` is refused with credentials, and these documents need none). The header
 * is sent on every answer, Origin or not, so a shared cache can serve one copy to every origin
 * without `Vary: Origin`.
 */
export async function anyOriginCors(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  reply.header('access-control-allow-origin', '*');
  // Pollers revalidate with If-None-Match: the ETag must be readable by the page.
  reply.header('access-control-expose-headers', 'ETag');
  if (request.method === 'OPTIONS') {
    reply.header('access-control-allow-methods', 'GET, HEAD');
    // If-None-Match is not CORS-safelisted: without this a revalidating fetch fails its preflight.
    reply.header('access-control-allow-headers', 'if-none-match');
    reply.header('access-control-max-age', '86400');
  }
}

/** Adds the OPTIONS preflight answer for a public document at `url` (the GET route carries `anyOriginCors` itself). */
export function anyOriginPreflight(app: FastifyInstance, url: string): void {
  app.options(url, { schema: { hide: true, response: preflightResponses }, onRequest: anyOriginCors }, async (_request, reply) => reply.code(204).send());
}
