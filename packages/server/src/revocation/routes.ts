import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { InvalidRequest } from '../errors.js';
import { anyOriginCors, anyOriginPreflight } from '../http/cors-any-origin.js';
import { errorResponses } from '../http/error-body.js';
import { noBody } from '../http/no-body.js';
import type { AccessTokenService } from '../oauth/access-tokens.js';
import { authenticatedCaller, clientEndpointOptions, IntrospectionOrRevocationBody, isPublicAppRequest, requiredToken } from '../oauth/client-endpoint.js';
import type { SessionCredentials } from '../users/session-credentials.js';
import type { RevocationService } from './service.js';

/** The feed's entries: one of jti, client_id with issued_before, or sid, each with what bounds it. */
const RevocationFeed = Type.Object({
  revocations: Type.Array(Type.Object({
    jti: Type.Optional(Type.String()),
    exp: Type.Optional(Type.Integer()),
    client_id: Type.Optional(Type.String()),
    issued_before: Type.Optional(Type.Integer()),
    sid: Type.Optional(Type.String()),
  })),
  cursor: Type.String(),
}, { title: 'RevocationFeed' });

export interface RevocationRoutesOptions {
  accessTokens: AccessTokenService;
  sessionCredentials: SessionCredentials;
  revocations: RevocationService;
}

/**
 * RFC 7009 revocation. End-user tokens (`kmr_` refresh tokens, end-user access JWTs) end their
 * session, for the tenant's public app identified by its client_id alone (§2.1, a public client has
 * no credentials) and for any confidential app of the tenant; an app revokes its own access tokens
 * (opaque, or JWT by jti). §2.2: the answer is 200 whether or not anything was revoked, so it says
 * nothing about other apps' tokens.
 */
export const revocationRoutes: FastifyPluginAsyncTypebox<RevocationRoutesOptions> = async (app, { accessTokens, sessionCredentials, revocations }) => {
  app.post('/oauth/revoke', {
    ...clientEndpointOptions,
    schema: {
      summary: 'Token revocation (RFC 7009)',
      tags: ['oauth'],
      consumes: ['application/x-www-form-urlencoded'],
      body: IntrospectionOrRevocationBody,
      response: { 200: noBody('Revoked, or nothing to revoke (§2.2)'), ...errorResponses },
    },
    handler: async (request, reply) => {
      const { body, tenant, issuer } = request;
      const caller = isPublicAppRequest(request, body) ? null : await authenticatedCaller(app, request, body);
      const token = requiredToken(body);
      const endUserToken = await sessionCredentials.revoke(tenant, issuer, token);
      if (!endUserToken && caller) await accessTokens.revoke(tenant, issuer, caller, token);
      return reply.code(200).send();
    },
  });

  /**
   * The public revocation feed resource servers poll, like the JWKS: a JWT is revoked when its
   * jti is listed, or its client_id is listed with `iat < issued_before`, or (end-user tokens)
   * its session `sid` is listed.
   */
  app.get('/oauth/revocations', {
    onRequest: anyOriginCors,
    schema: {
      summary: 'Revoked JWTs still in force',
      tags: ['oauth'],
      querystring: Type.Object({ since: Type.Optional(Type.String()) }),
      response: { 200: RevocationFeed, 304: noBody('Not modified (If-None-Match)'), ...errorResponses },
    },
    handler: async (request, reply) => {
      const { since } = request.query;
      if (since !== undefined && !/^\d{1,15}$/.test(since)) throw new InvalidRequest('since must be a cursor returned by this feed');
      const { body, etag } = await revocations.feed(request.tenant.id, since === undefined ? null : Number(since));
      // Revalidate every time: a poller must see a revocation as soon as it polls.
      reply.header('cache-control', 'no-cache');
      reply.header('etag', etag);
      if (request.headers['if-none-match'] === etag) return reply.code(304).send();
      return body;
    },
  });
  anyOriginPreflight(app, '/oauth/revocations');
};
