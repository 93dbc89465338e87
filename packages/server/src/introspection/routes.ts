import type { FastifyInstance } from 'fastify';
import type { Keymint } from '../keymint.js';
import { authenticatedCaller, clientEndpointOptions, requiredToken } from '../oauth/client-endpoint.js';

const introspectionResponse = {
  200: {
    type: 'object',
    properties: {
      active: { type: 'boolean' },
      scope: { type: 'string' },
      client_id: { type: 'string' },
      token_type: { type: 'string' },
      exp: { type: 'integer' },
      iat: { type: 'integer' },
      sub: { type: 'string' },
      aud: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
      iss: { type: 'string' },
      jti: { type: 'string' },
      sid: { type: 'string', description: 'end-user tokens: the session' },
    },
    required: ['active'],
  },
};

/**
 * RFC 7662 token introspection. The caller is an app of the same tenant authenticated like
 * at the token endpoint. App access tokens and end-user tokens (an unspent `kmr_` refresh token or
 * an access JWT of a live session) are described; any token that is not active here (unknown, expired, revoked,
 * another tenant's, malformed, a disabled app's) is exactly `{"active":false}` (§2.2).
 */
export async function introspectionRoutes(app: FastifyInstance, { keymint }: { keymint: Keymint }): Promise<void> {
  app.post('/oauth/introspect', {
    ...clientEndpointOptions,
    schema: { summary: 'Token introspection (RFC 7662)', tags: ['oauth'], consumes: ['application/x-www-form-urlencoded'], response: introspectionResponse },
    handler: async (request) => {
      await authenticatedCaller(app, request);
      const token = requiredToken(request);
      const active = await keymint.accessTokens.inspect(request.tenant, request.issuer, token);
      if (!active) return (await keymint.sessionCredentials.inspect(request.tenant, request.issuer, token)) ?? { active: false };
      return {
        active: true,
        scope: active.scopes.join(' '),
        client_id: active.clientId,
        token_type: 'Bearer',
        exp: active.exp,
        iat: active.iat,
        sub: active.sub,
        aud: active.audience,
        iss: request.issuer,
        jti: active.jti,
      };
    },
  });
}
