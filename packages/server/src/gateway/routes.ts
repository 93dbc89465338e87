import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '../http/error-body.js';
import { jsonBodyOnly } from '../http/json-only.js';
import { noStore } from '../http/no-store.js';
import { readClientCredentials } from '../oauth/client-auth.js';
import { VerifyAnswer, VerifyBody } from './schemas.js';
import type { KeyVerifier } from './verify.js';

export interface GatewayRoutesOptions {
  verifier: KeyVerifier;
}

/**
 * `POST {issuer}/v1/keys/verify` (docs/gateway.md): an API gateway asks whether a key may make a
 * call, authenticated like introspection (any app of the tenant, HTTP Basic with its client
 * credentials, under the same failure budget), and gets one answer with the key's limits.
 */
export const gatewayRoutes: FastifyPluginAsyncTypebox<GatewayRoutesOptions> = async (app, { verifier }) => {
  app.post('/v1/keys/verify', {
    // invalid_client (401 with WWW-Authenticate: Basic) as at the token endpoint.
    config: { errorProfile: 'oauth' },
    onRequest: noStore,
    preValidation: jsonBodyOnly,
    schema: {
      summary: 'Verify a key for an API gateway and count one use against its limits',
      tags: ['gateway'],
      security: [{ clientBasic: [] }],
      body: VerifyBody,
      response: { 200: VerifyAnswer, ...errorResponses },
    },
  }, async (request) => {
    await app.clientAuth.authenticate(request, request.tenant, readClientCredentials(request.headers.authorization, {}));
    return verifier.verify({ tenant: request.tenant, issuer: request.issuer }, request.body);
  });
};
