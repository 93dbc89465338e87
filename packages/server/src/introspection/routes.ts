import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import { errorResponses } from '../http/error-body.js';
import type { KeyService } from '../keys/service.js';
import type { AccessTokenService } from '../oauth/access-tokens.js';
import { authenticatedCaller, clientEndpointOptions, IntrospectionOrRevocationBody, requiredToken } from '../oauth/client-endpoint.js';
import type { Tenant } from '../tenants/model.js';
import type { SessionCredentials } from '../users/session-credentials.js';
import { JWT_INTROSPECTION_MEDIA_TYPE, signIntrospectionResponse, wantsJwtResponse } from './jwt-response.js';

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
  cnf: Type.Optional(Type.Object({ jkt: Type.String() }, { description: 'RFC 9449 §6.2: a DPoP-bound token\'s key thumbprint' })),
}, { title: 'IntrospectionResponse' });

export interface IntrospectionRoutesOptions {
  accessTokens: AccessTokenService;
  sessionCredentials: SessionCredentials;
  keys: KeyService;
  now: () => number;
}

/** The RFC 7662 answer, or (RFC 9701) that answer signed into a JWT: a compact JWS. */
const introspectionAnswers = {
  content: {
    'application/json': { schema: IntrospectionResponse },
    [JWT_INTROSPECTION_MEDIA_TYPE]: { schema: Type.String({ description: 'RFC 9701 JWT whose token_introspection claim is the RFC 7662 answer' }) },
  },
};

/**
 * RFC 7662 token introspection. The caller is an app of the same tenant authenticated like
 * at the token endpoint. App access tokens and end-user tokens (an unspent `kmr_` refresh token or
 * an access JWT of a live session) are described; any token that is not active here (unknown, expired, revoked,
 * another tenant's, malformed, a disabled app's) is exactly `{"active":false}` (§2.2).
 */
export const introspectionRoutes: FastifyPluginAsyncTypebox<IntrospectionRoutesOptions> = async (app, { accessTokens, sessionCredentials, keys, now }) => {
  app.post('/oauth/introspect', {
    ...clientEndpointOptions,
    schema: {
      summary: 'Token introspection (RFC 7662)',
      tags: ['oauth'],
      consumes: ['application/x-www-form-urlencoded'],
      body: IntrospectionOrRevocationBody,
      produces: ['application/json', JWT_INTROSPECTION_MEDIA_TYPE],
      response: { 200: introspectionAnswers, ...errorResponses },
    },
    handler: async (request, reply) => {
      const { body, tenant, issuer } = request;
      const caller = await authenticatedCaller(app, request, body);
      const answer = await describe(accessTokens, sessionCredentials, tenant, issuer, requiredToken(body));
      if (!wantsJwtResponse(request.headers.accept)) return answer;
      const jwt = await signIntrospectionResponse(await keys.ring(tenant.id), issuer, caller.clientId, answer, now());
      return reply.type(JWT_INTROSPECTION_MEDIA_TYPE).send(jwt);
    },
  });
};

/**
 * App access tokens, then end-user tokens; anything not active here is exactly `{"active":false}`
 * (§2.2).
 */
async function describe(accessTokens: AccessTokenService, sessionCredentials: SessionCredentials, tenant: Tenant, issuer: string, token: string): Promise<Static<typeof IntrospectionResponse>> {
  const active = await accessTokens.inspect(tenant, issuer, token);
  if (!active) return (await sessionCredentials.inspect(tenant, issuer, token)) ?? { active: false };
  return {
    active: true,
    scope: active.scopes.join(' '),
    client_id: active.clientId,
    // RFC 9449 §6.2: a bound token says so, and which key it is bound to.
    token_type: active.jkt === null ? 'Bearer' : 'DPoP',
    exp: active.exp,
    iat: active.iat,
    sub: active.sub,
    aud: active.audience,
    iss: issuer,
    jti: active.jti,
    ...(active.jkt === null ? {} : { cnf: { jkt: active.jkt } }),
  };
}
