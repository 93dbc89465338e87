import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '../http/error-body.js';
import { formBody } from '../http/form-body.js';
import { formBodyOnly } from '../http/form-only.js';
import { jsonBodyOnly } from '../http/json-only.js';
import { noStore } from '../http/no-store.js';
import { rejectDuplicateParams } from '../http/reject-duplicate-params.js';
import { issueForEnvelopeRequest } from './envelope.js';
import { envelopeResponseSchema, SignedRequestBody, signedResponseSchema } from './schemas.js';
import { issueForSignedRequest, type SignedRequestIssuance } from './signed-request.js';
import type { DpopService } from '../oauth/dpop.js';

/**
 * What both profiles issue with; the replay store (KEYMINT_REPLAY_STORE) is the process's, closed
 * with it. `dpop` binds tokens to a request's DPoP proof as at /oauth/token (RFC 9449).
 */
export type ProfileRoutesOptions = SignedRequestIssuance & { dpop: DpopService };

/**
 * The vendor profiles that are not plain RFC 6749 (docs/profiles.md): the envelope token
 * endpoint and signed token requests. Both reuse the token endpoint's client authentication,
 * grant resolution and issuance; only the request and response shapes differ.
 */
export const profileRoutes: FastifyPluginAsyncTypebox<ProfileRoutesOptions> = async (app, issuance) => {
  app.route({
    method: 'POST',
    url: '/v1/auth/token',
    config: { errorProfile: 'envelope' },
    schema: {
      summary: 'Issue an access token (envelope profile)',
      description: 'Form client_id, client_secret, optional grant_type (client_credentials) and scope. Errors: {"error":{"code","code_reason","message"}}.',
      tags: ['profiles'],
      consumes: ['application/x-www-form-urlencoded'],
      body: formBody({
        client_id: 'the app\'s client id (this profile reads no Authorization header)',
        client_secret: 'the app\'s client secret',
        grant_type: 'optional; client_credentials only',
        scope: 'space-separated scopes; without it, the app\'s default scopes',
      }),
      response: envelopeResponseSchema,
    },
    onRequest: noStore,
    preValidation: [formBodyOnly, rejectDuplicateParams()],
    handler: async (request) => issueForEnvelopeRequest(issuance, request.tenant, request.issuer, request.body,
      (credentials) => app.clientAuth.authenticate(request, request.tenant, credentials),
      (client) => issuance.dpop.bindTokenRequest(request, client.requireDpop)),
  });

  app.route({
    method: 'POST',
    url: '/v3/tokens',
    config: { errorProfile: 'oauth' },
    schema: {
      summary: 'Issue an access token for an HMAC-signed request (signed-request profile)',
      tags: ['profiles'],
      consumes: ['application/json'],
      body: SignedRequestBody,
      response: { ...signedResponseSchema, ...errorResponses },
    },
    onRequest: noStore,
    preValidation: jsonBodyOnly,
    handler: async (request) => issueForSignedRequest(issuance, request.tenant, request.issuer, request.body,
      (clientId, attempt) => app.clientAuth.guard(request, request.tenant, clientId, attempt),
      (client) => issuance.dpop.bindTokenRequest(request, client.requireDpop)),
  });
};
