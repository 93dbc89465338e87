import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorResponses } from '../http/error-body.js';
import type { AccessTokenService } from '../oauth/access-tokens.js';
import { authenticatedCaller, clientEndpointOptions, IntrospectionOrRevocationBody, requiredToken } from '../oauth/client-endpoint.js';
import type { SessionCredentials } from '../users/session-credentials.js';

/** RFC 7662 §2.2. Serialized through this schema: a member missing here is never sent. */
const IntrospectionResponse = Type.Object({
  active: Type.Boolean(),
  scope: Type.Optional(Type.String()),
  client_id: Type.Optional(Type.String()),
  token_type: Type.Optional(Type.String()),
  exp: Type.Optional(Type.Integer()),
  iat: Type.Optional(Type.Integer()),
  sub: Type.Optional(Type.String()),
  aud: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
  iss: Type.Optional(Type.String()),
  jti: Type.Optional(Type.String()),
  sid: Type.Optional(Type.String({ description: 'end-user tokens: the session' })),
}, { title: 'IntrospectionResponse' });

export interface IntrospectionRoutesOptions {
  accessTokens: AccessTokenService;
  sessionCredentials: SessionCredentials;
}

/**
 * RFC 7662 token introspection. The caller is an app of the same tenant authenticated like
 * at the token endpoint. App access tokens and end-user tokens (an unspent `kmr_` refresh token or
 * an access JWT of a live session) are described; any token that is not active here (unknown, expired, revoked,
 * another tenant's, malformed, a disabled app's) is exactly `{"active":false}` (§2.2).
 */
export const introspectionRoutes: FastifyPluginAsyncTypebox<IntrospectionRoutesOptions> = async (app, { accessTokens, sessionCredentials }) => {
  app.post('/oauth/introspect', {
    ...clientEndpointOptions,
    schema: {
      summary: 'Token introspection (RFC 7662)',
      tags: ['oauth'],
      consumes: ['application/x-www-form-urlencoded'],
      body: IntrospectionOrRevocationBody,
      response: { 200: IntrospectionResponse, ...errorResponses },
    },
    handler: async (request) => {
      const { body, tenant, issuer } = request;
      await authenticatedCaller(app, request, body);
      const token = requiredToken(body);
      const active = await accessTokens.inspect(tenant, issuer, token);
      if (!active) return (await sessionCredentials.inspect(tenant, issuer, token)) ?? { active: false };
      return {
        active: true,
        scope: active.scopes.join(' '),
        client_id: active.clientId,
        token_type: 'Bearer',
        exp: active.exp,
        iat: active.iat,
        sub: active.sub,
        aud: active.audience,
        iss: issuer,
        jti: active.jti,
      };
    },
  });
};
