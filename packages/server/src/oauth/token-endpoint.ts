import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Attributes } from '@opentelemetry/api';
import { Type } from '@sinclair/typebox';
import { InvalidRequest, UnsupportedGrantType } from '../errors.js';
import { tenantOriginsCors, tenantOriginsPreflight } from '../http/cors-tenant-origins.js';
import { errorResponses } from '../http/error-body.js';
import { formBody, param, params } from '../http/form-body.js';
import { formBodyOnly } from '../http/form-only.js';
import { noStore } from '../http/no-store.js';
import { rejectDuplicateParams } from '../http/reject-duplicate-params.js';
import { traced } from '../telemetry/tracing.js';
import type { TenantService } from '../tenants/service.js';
import type { UserService } from '../users/service.js';
import type { AccessTokenService } from './access-tokens.js';
import type { DpopService } from './dpop.js';
import { readClientCredentials } from './client-auth.js';
import { TOKEN_ENDPOINT_PATHS } from './endpoint-paths.js';
import { CLIENT_CREDENTIAL_PARAMETERS } from './client-endpoint.js';
import { resolveGrant } from './client-credentials.js';
import { refreshTokenGrant } from './refresh-grant.js';

const SUPPORTED_GRANTS = new Set(['client_credentials']);

/** Grants the metadata advertises (RFC 8414 `grant_types_supported`). */
export const GRANT_TYPES = ['client_credentials', 'refresh_token'] as const;

// In a leaf module so client authentication (private_key_jwt audiences) can name them without a cycle.
export { TOKEN_ENDPOINT_PATHS };

/**
 * RFC 6749 §5.1 successful response. Serialized through this schema: a member missing here is
 * never sent, so each grant's members are listed.
 */
const TokenResponse = Type.Object({
  access_token: Type.String(),
  token_type: Type.String(),
  expires_in: Type.Integer(),
  scope: Type.Optional(Type.String({ description: 'client_credentials: the granted scopes' })),
  refresh_token: Type.Optional(Type.String({ description: 'refresh_token grant: the next refresh token (the one sent is spent)' })),
  identity_token: Type.Optional(Type.String({ description: 'refresh_token grant: profile claims, typ id+jwt' })),
  refresh_reuse_grace: Type.Optional(Type.Integer({ description: 'refresh_token grant: seconds a spent refresh token is still honoured (a lost answer may be retried this long)' })),
  user: Type.Optional(Type.Object({ id: Type.String(), email: Type.String(), email_verified: Type.Optional(Type.Boolean()) })),
}, { title: 'TokenResponse' });

const AccessTokenRequestBody = formBody({
  grant_type: 'client_credentials (RFC 6749 §4.4.2) or refresh_token (§6)',
  scope: 'client_credentials: space-separated scopes; without it, the app\'s default scopes',
  audience: 'client_credentials: the audience of the token (the tenant\'s API by default)',
  resource: 'client_credentials: RFC 8707 resource indicator, the same as audience',
  refresh_token: 'refresh_token grant: the end-user session\'s refresh token',
  ...CLIENT_CREDENTIAL_PARAMETERS,
}, ['resource']);

export interface TokenEndpointOptions {
  tenants: TenantService;
  accessTokens: AccessTokenService;
  /** End-user sessions (refresh_token grant) and the tenant's allowed browser origins. */
  users: UserService;
  /** RFC 9449: a request's DPoP proof binds the token to its key. */
  dpop: DpopService;
}

/**
 * RFC 6749 token endpoint: §4.4 client credentials (with RFC 8707 resource indicators) for apps,
 * §6 refresh_token for end-user sessions (oauth/refresh-grant.ts).
 */
export const tokenEndpointRoutes: FastifyPluginAsyncTypebox<TokenEndpointOptions> = async (app, { tenants, accessTokens, users, dpop }) => {
  const cors = tenantOriginsCors();
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
        body: AccessTokenRequestBody,
        response: { 200: TokenResponse, ...errorResponses },
      },
      // The origin check comes first: a refused browser request must spend nothing.
      onRequest: [cors, noStore],
      preValidation: [formBodyOnly, rejectDuplicateParams(['resource'])],
      handler: traced('oauth.token', tokenSpanAttributes, async (request) => {
        const { body } = request;
        // End-user refreshes carry no client credentials: decided before the credentials are read.
        if (param(body, 'grant_type') === 'refresh_token') return refreshTokenGrant(app, users, dpop, request, body);
        const credentials = readClientCredentials(request.headers.authorization, {
          client_id: param(body, 'client_id'),
          client_secret: param(body, 'client_secret'),
          client_assertion_type: param(body, 'client_assertion_type'),
          client_assertion: param(body, 'client_assertion'),
        });
        const grantType = param(body, 'grant_type');
        if (grantType === undefined) throw new InvalidRequest('grant_type is required');
        if (!SUPPORTED_GRANTS.has(grantType)) throw new UnsupportedGrantType(`grant_type ${grantType.slice(0, 64)} is not supported`);

        const { tenant, issuer } = request;
        const client = await app.clientAuth.authenticate(request, tenant, credentials);
        const audience = param(body, 'audience');
        const grant = resolveGrant(client, tenant, await tenants.scopes(tenant.id), issuer, {
          scope: param(body, 'scope'),
          audiences: [...(audience === undefined ? [] : [audience]), ...params(body, 'resource')],
        });
        // RFC 9449 §5: last, so a request refused for its client or grant spends no proof.
        const jkt = await dpop.bindTokenRequest(request, client.requireDpop);
        return accessTokens.issueAccessToken(client, jkt === null ? grant : { ...grant, jkt });
      }),
    });
  }
};

/** What a token request's span may say: the tenant, and the grant type only when it is one of ours. */
function tokenSpanAttributes(request: { body: unknown; tenant: { slug: string } }): Attributes {
  const grantType = (request.body as Record<string, unknown>)['grant_type'];
  return { 'keymint.tenant': request.tenant.slug, 'oauth.grant_type': (GRANT_TYPES as readonly unknown[]).includes(grantType) ? (grantType as string) : 'other' };
}
