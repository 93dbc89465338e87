import type { FastifyInstance } from 'fastify';
import { InvalidRequest, UnsupportedGrantType } from '../errors.js';
import type { FormBody } from '../http/form-body.js';
import { tenantOriginsCors, tenantOriginsPreflight } from '../http/cors-tenant-origins.js';
import { param, params } from '../http/form-body.js';
import { formBodyOnly } from '../http/form-only.js';
import { noStore } from '../http/no-store.js';
import { rejectDuplicateParams } from '../http/reject-duplicate-params.js';
import type { Keymint } from '../keymint.js';
import { readClientCredentials } from './client-auth.js';
import { resolveGrant } from './client-credentials.js';
import { refreshTokenGrant } from './refresh-grant.js';

const SUPPORTED_GRANTS = new Set(['client_credentials']);

/** Grants the metadata advertises (RFC 8414 `grant_types_supported`). */
export const GRANT_TYPES = ['client_credentials', 'refresh_token'] as const;

/** Paths of the token endpoint: RFC 6749 style and the IdentityServer path integrators know. */
export const TOKEN_ENDPOINT_PATHS = ['/oauth/token', '/connect/token'] as const;

const tokenResponseSchema = {
  200: {
    type: 'object',
    properties: {
      access_token: { type: 'string' },
      token_type: { type: 'string' },
      expires_in: { type: 'integer' },
      scope: { type: 'string', description: 'client_credentials: the granted scopes' },
      refresh_token: { type: 'string', description: 'refresh_token grant: the next refresh token (the one sent is spent)' },
      identity_token: { type: 'string', description: 'refresh_token grant: profile claims, typ id+jwt' },
      refresh_reuse_grace: { type: 'integer', description: 'refresh_token grant: seconds a spent refresh token is still honoured (a lost answer may be retried this long)' },
      user: { type: 'object', properties: { id: { type: 'string' }, email: { type: 'string' }, email_verified: { type: 'boolean' } }, required: ['id', 'email'] },
    },
    required: ['access_token', 'token_type', 'expires_in'],
  },
};

/**
 * RFC 6749 token endpoint: §4.4 client credentials (with RFC 8707 resource indicators) for apps,
 * §6 refresh_token for end-user sessions (oauth/refresh-grant.ts).
 */
export async function tokenEndpointRoutes(app: FastifyInstance, { keymint }: { keymint: Keymint }): Promise<void> {
  const cors = tenantOriginsCors(keymint.users);
  for (const url of TOKEN_ENDPOINT_PATHS) {
    tenantOriginsPreflight(app, url, cors);
    app.route({
      method: 'POST',
      url,
      config: { errorProfile: 'oauth' },
      schema: {
        summary: 'Issue an access token (client credentials) or refresh an end-user session (refresh_token)',
        tags: ['oauth'],
        consumes: ['application/x-www-form-urlencoded'],
        response: tokenResponseSchema,
      },
      // The origin check comes first: a refused browser request must spend nothing.
      onRequest: [cors, noStore],
      preValidation: [formBodyOnly, rejectDuplicateParams(['resource'])],
      handler: async (request) => {
        const body = request.body as FormBody;
        // End-user refreshes carry no client credentials: decided before the credentials are read.
        if (param(body, 'grant_type') === 'refresh_token') return refreshTokenGrant(app, keymint, request, body);
        const credentials = readClientCredentials(request.headers.authorization, {
          client_id: param(body, 'client_id'),
          client_secret: param(body, 'client_secret'),
        });
        const grantType = param(body, 'grant_type');
        if (grantType === undefined) throw new InvalidRequest('grant_type is required');
        if (!SUPPORTED_GRANTS.has(grantType)) throw new UnsupportedGrantType(`grant_type ${grantType.slice(0, 64)} is not supported`);

        const { tenant, issuer } = request;
        const client = await app.clientAuth.authenticate(request, tenant, credentials);
        const audience = param(body, 'audience');
        const grant = resolveGrant(client, tenant, await keymint.tenants.scopes(tenant.id), issuer, {
          scope: param(body, 'scope'),
          audiences: [...(audience === undefined ? [] : [audience]), ...params(body, 'resource')],
        });
        return keymint.accessTokens.issueAccessToken(client, grant);
      },
    });
  }
}
