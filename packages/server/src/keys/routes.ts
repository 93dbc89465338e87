import type { FastifyInstance } from 'fastify';
import { anyOriginCors, anyOriginPreflight } from '../http/cors-any-origin.js';
import type { Keymint } from '../keymint.js';

/** The tenant's public keys. Verifiers cache it for max-age; rotation relies on that bound. */
export async function jwksRoutes(app: FastifyInstance, { keymint }: { keymint: Keymint }): Promise<void> {
  app.get('/.well-known/jwks.json', { schema: { summary: 'JSON Web Key Set', tags: ['discovery'] }, onRequest: anyOriginCors }, async (request, reply) => {
    const ring = await keymint.keys.ring(request.tenant.id);
    reply.header('cache-control', `public, max-age=${keymint.config.jwksMaxAgeSeconds}`);
    reply.header('etag', ring.etag);
    if (request.headers['if-none-match'] === ring.etag) return reply.code(304).send();
    reply.type('application/json');
    return ring.jwksJson;
  });
  anyOriginPreflight(app, '/.well-known/jwks.json');
}
