import type { FastifyInstance } from 'fastify';
import type { FormBody } from '../http/form-body.js';
import { formBodyOnly } from '../http/form-only.js';
import { jsonBodyOnly } from '../http/json-only.js';
import { noStore } from '../http/no-store.js';
import { rejectDuplicateParams } from '../http/reject-duplicate-params.js';
import type { Keymint } from '../keymint.js';
import { issueForEnvelopeRequest } from './envelope.js';
import { createReplayStore } from './replay-store.js';
import { envelopeResponseSchema, signedRequestBodySchema, signedResponseSchema, type SignedRequestBody } from './schemas.js';
import { issueForSignedRequest } from './signed-request.js';

/**
 * The vendor profiles that are not plain RFC 6749 (docs/profiles.md): the envelope token
 * endpoint and signed token requests. Both reuse the token endpoint's client authentication,
 * grant resolution and issuance; only the request and response shapes differ.
 */
export async function profileRoutes(app: FastifyInstance, { keymint }: { keymint: Keymint }): Promise<void> {
  // Chosen by configuration (KEYMINT_REPLAY_STORE); closed with the server.
  const replay = createReplayStore(keymint.config, keymint.db, keymint.now, (error) => keymint.log.error({ err: error }, 'replay store failed'), keymint.redis);
  app.addHook('onClose', () => replay.close());

  app.route({
    method: 'POST',
    url: '/v1/auth/token',
    config: { errorProfile: 'envelope' },
    schema: {
      summary: 'Issue an access token (envelope profile)',
      description: 'Form client_id, client_secret, optional grant_type (client_credentials) and scope. Errors: {"error":{"code","code_reason","message"}}.',
      tags: ['profiles'],
      consumes: ['application/x-www-form-urlencoded'],
      response: envelopeResponseSchema,
    },
    onRequest: noStore,
    preValidation: [formBodyOnly, rejectDuplicateParams()],
    handler: async (request) => issueForEnvelopeRequest(keymint, request.tenant, request.issuer, request.body as FormBody,
      (credentials) => app.clientAuth.authenticate(request, request.tenant, credentials)),
  });

  app.route({
    method: 'POST',
    url: '/v3/tokens',
    config: { errorProfile: 'oauth' },
    schema: {
      summary: 'Issue an access token for an HMAC-signed request (signed-request profile)',
      tags: ['profiles'],
      consumes: ['application/json'],
      body: signedRequestBodySchema,
      response: signedResponseSchema,
    },
    onRequest: noStore,
    preValidation: jsonBodyOnly,
    handler: async (request) => issueForSignedRequest(keymint, replay, request.tenant, request.issuer, request.body as SignedRequestBody,
      (clientId, attempt) => app.clientAuth.guard(request, request.tenant, clientId, attempt)),
  });
}
