import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Config } from '../config.js';
import { anyOriginCors, anyOriginPreflight } from '../http/cors-any-origin.js';
import { errorResponses } from '../http/error-body.js';
import { noBody } from '../http/no-body.js';
import type { KeyService } from './service.js';

/**
 * RFC 7517 §5, each key open (§4: a JWK may carry members a verifier ignores). Handlers send the
 * ring's JSON text, written once per key change (the ETag hashes those very bytes), and Fastify
 * sends JSON text as it is: the schema documents the set, the text is what the route returns.
 */
const JsonWebKeySet = Type.Unsafe<string>(Type.Object({
  keys: Type.Array(Type.Object({
    kty: Type.String(),
    kid: Type.String(),
    use: Type.Optional(Type.String()),
    alg: Type.Optional(Type.String()),
  }, { additionalProperties: true })),
}, { title: 'JsonWebKeySet' }));

export interface JwksRoutesOptions {
  keys: KeyService;
  config: Pick<Config, 'jwksMaxAgeSeconds'>;
}

/** The tenant's public keys. Verifiers cache it for max-age; rotation relies on that bound. */
export const jwksRoutes: FastifyPluginAsyncTypebox<JwksRoutesOptions> = async (app, { keys, config }) => {
  app.get('/.well-known/jwks.json', {
    schema: { summary: 'JSON Web Key Set', tags: ['discovery'], response: { 200: JsonWebKeySet, 304: noBody('Not modified (If-None-Match)'), ...errorResponses } },
    onRequest: anyOriginCors,
  }, async (request, reply) => {
    const ring = await keys.ring(request.tenant.id);
    reply.header('cache-control', `public, max-age=${config.jwksMaxAgeSeconds}`);
    reply.header('etag', ring.etag);
    if (request.headers['if-none-match'] === ring.etag) return reply.code(304).send();
    reply.type('application/json');
    return ring.jwksJson;
  });
  anyOriginPreflight(app, '/.well-known/jwks.json');
};
