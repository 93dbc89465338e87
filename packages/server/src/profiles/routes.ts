import type { FastifyInstance, FastifyRequest } from 'fastify';
import { InvalidRequest, UnsupportedGrantType } from '../errors.js';
import type { FormBody } from '../http/form-body.js';
import { formBodyOnly, noStore, param, rejectDuplicateParams } from '../http/hooks.js';
import type { Keymint } from '../keymint.js';
import { authenticateClient, readClientCredentials } from '../oauth/client-auth.js';
import { issueJwtAccessToken, resolveGrant } from '../oauth/client-credentials.js';
import { createReplayStore, type ReplayStore } from './replay-store.js';
import { envelopeResponseSchema, signedRequestBodySchema, signedResponseSchema, type SignedRequestBody } from './schemas.js';
import { issueForSignedRequest } from './signed-request.js';

async function jsonBodyOnly(request: FastifyRequest): Promise<void> {
  const type = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') throw new InvalidRequest('the request body must be application/json');
}

export interface ProfileRoutesOptions {
  keymint: Keymint;
  /** Tests inject one; otherwise made from the configuration and closed with the server. */
  replay?: ReplayStore;
}

/**
 * The vendor profiles that are not plain RFC 6749 (docs/profiles.md): the envelope token
 * endpoint and signed token requests. Both reuse the token endpoint's client authentication,
 * grant resolution and issuance; only the request and response shapes differ.
 */
export async function profileRoutes(app: FastifyInstance, { keymint, replay: injected }: ProfileRoutesOptions): Promise<void> {
  const replay = injected ?? createReplayStore(keymint.config, keymint.db, keymint.now, (error) =>
    keymint.log.error({ err: error }, 'replay store failed'),
  );
  if (!injected) app.addHook('onClose', () => replay.close());

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
    handler: async (request) => {
      const body = request.body as FormBody;
      // The envelope profile authenticates with the form only; an Authorization header is not read.
      const credentials = readClientCredentials(undefined, {
        client_id: param(body, 'client_id'),
        client_secret: param(body, 'client_secret'),
      });
      const grantType = param(body, 'grant_type');
      if (grantType !== undefined && grantType !== 'client_credentials') {
        throw new UnsupportedGrantType(`grant_type ${grantType.slice(0, 64)} is not supported: omit it or send client_credentials`);
      }
      const { tenant, issuer } = request;
      const client = await authenticateClient(keymint.apps, tenant, credentials);
      const grant = resolveGrant(client, tenant, await keymint.tenants.scopes(tenant.id), issuer, { scope: param(body, 'scope'), audiences: [] });
      const ring = await keymint.keys.ring(tenant.id);
      return { data: issueJwtAccessToken(ring, tenant, issuer, client, grant, keymint.now()) };
    },
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
    handler: async (request) => issueForSignedRequest(keymint, replay, request.tenant, request.issuer, request.body as SignedRequestBody),
  });
}
