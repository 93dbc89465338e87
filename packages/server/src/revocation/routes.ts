import type { FastifyInstance } from 'fastify';
import { InvalidRequest } from '../errors.js';
import type { Keymint } from '../keymint.js';
import { authenticatedCaller, clientEndpointOptions, isPublicAppRequest, requiredToken } from '../oauth/client-endpoint.js';

/**
 * RFC 7009 revocation. End-user tokens (`kmr_` refresh tokens, end-user access JWTs) end their
 * session, for the tenant's public app identified by its client_id alone (§2.1, a public client has
 * no credentials) and for any confidential app of the tenant; an app revokes its own access tokens
 * (opaque, or JWT by jti). §2.2: the answer is 200 whether or not anything was revoked, so it says
 * nothing about other apps' tokens.
 */
export async function revocationRoutes(app: FastifyInstance, { keymint }: { keymint: Keymint }): Promise<void> {
  app.post('/oauth/revoke', {
    ...clientEndpointOptions,
    schema: { summary: 'Token revocation (RFC 7009)', tags: ['oauth'], consumes: ['application/x-www-form-urlencoded'] },
    handler: async (request, reply) => {
      const caller = isPublicAppRequest(request) ? null : await authenticatedCaller(app, request);
      const token = requiredToken(request);
      const endUserToken = await keymint.sessionCredentials.revoke(request.tenant, request.issuer, token);
      if (!endUserToken && caller) await keymint.accessTokens.revoke(request.tenant, request.issuer, caller, token);
      return reply.code(200).send();
    },
  });

  /**
   * The public revocation feed resource servers poll, like the JWKS: a JWT is revoked when its
   * jti is listed, or its client_id is listed with `iat < issued_before`, or (end-user tokens)
   * its session `sid` is listed.
   */
  app.get('/oauth/revocations', {
    schema: {
      summary: 'Revoked JWTs still in force',
      tags: ['oauth'],
      querystring: { type: 'object', properties: { since: { type: 'string' } } },
      response: {
        200: {
          type: 'object',
          properties: {
            revocations: {
              type: 'array',
              items: {
                type: 'object',
                properties: { jti: { type: 'string' }, exp: { type: 'integer' }, client_id: { type: 'string' }, issued_before: { type: 'integer' }, sid: { type: 'string' } },
              },
            },
            cursor: { type: 'string' },
          },
          required: ['revocations', 'cursor'],
        },
        304: { description: 'Not modified (If-None-Match)', type: 'null' },
      },
    },
    handler: async (request, reply) => {
      const { since } = request.query as { since?: string };
      if (since !== undefined && !/^\d{1,15}$/.test(since)) throw new InvalidRequest('since must be a cursor returned by this feed');
      const { body, etag } = await keymint.revocations.feed(request.tenant.id, since === undefined ? null : Number(since));
      // Revalidate every time: a poller must see a revocation as soon as it polls.
      reply.header('cache-control', 'no-cache');
      reply.header('etag', etag);
      if (request.headers['if-none-match'] === etag) return reply.code(304).send();
      return body;
    },
  });
}
