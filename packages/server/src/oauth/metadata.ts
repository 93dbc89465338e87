import { DPOP_ALGORITHMS } from '@keymint/sdk/node';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import { anyOriginCors, anyOriginPreflight } from '../http/cors-any-origin.js';
import { errorResponses } from '../http/error-body.js';
import type { KeyService } from '../keys/service.js';
import type { Scope } from '../tenants/model.js';
import type { TenantService } from '../tenants/service.js';
import { CLIENT_ASSERTION_ALGORITHMS } from '../crypto/algorithms.js';
import { GRANT_TYPES } from './token-endpoint.js';

const Strings = Type.Array(Type.String());

/**
 * RFC 8414 §2 authorization server metadata. Open (§2: "Additional metadata parameters MAY be
 * used"): a member added to the document later is served even before it is listed here.
 */
export const AuthorizationServerMetadata = Type.Object({
  issuer: Type.String(),
  token_endpoint: Type.String(),
  jwks_uri: Type.String(),
  introspection_endpoint: Type.String(),
  introspection_endpoint_auth_methods_supported: Strings,
  revocation_endpoint: Type.String(),
  revocation_endpoint_auth_methods_supported: Strings,
  scopes_supported: Strings,
  response_types_supported: Strings,
  grant_types_supported: Strings,
  token_endpoint_auth_methods_supported: Strings,
  token_endpoint_auth_signing_alg_values_supported: Strings,
  introspection_endpoint_auth_signing_alg_values_supported: Strings,
  revocation_endpoint_auth_signing_alg_values_supported: Strings,
  subject_types_supported: Strings,
  id_token_signing_alg_values_supported: Strings,
  introspection_signing_alg_values_supported: Strings,
  dpop_signing_alg_values_supported: Strings,
  service_documentation: Type.String(),
}, { additionalProperties: true, title: 'AuthorizationServerMetadata' });
export type AuthorizationServerMetadata = Static<typeof AuthorizationServerMetadata>;

/**
 * RFC 8414 authorization server metadata for one tenant, whose scope catalog is `scopes` and whose
 * keys sign with `signingAlg` (the tenant's setting, once its key of that algorithm signs).
 */
export function metadataDocument(scopes: readonly Scope[], signingAlg: string, issuer: string, publicUrl: string): AuthorizationServerMetadata {
  return {
    issuer,
    token_endpoint: `${issuer}/oauth/token`,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    introspection_endpoint: `${issuer}/oauth/introspect`,
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    // RFC 8414 §2: the JWS algorithms private_key_jwt assertions may use (RFC 7523; never none or HS*).
    introspection_endpoint_auth_signing_alg_values_supported: [...CLIENT_ASSERTION_ALGORITHMS],
    revocation_endpoint: `${issuer}/oauth/revoke`,
    // `none`: the tenant's public app revokes end-user tokens by its client_id alone (RFC 7009 §2.1).
    revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    revocation_endpoint_auth_signing_alg_values_supported: [...CLIENT_ASSERTION_ALGORITHMS],
    scopes_supported: scopes.map((s) => s.name),
    // Keymint has no authorization endpoint (apps use client credentials; end users sign in at
    // /auth/… and refresh at the token endpoint), so no response types.
    response_types_supported: [],
    grant_types_supported: [...GRANT_TYPES],
    // `none`: end-user refreshes (the tenant's public app, identified by its app_id at most).
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    token_endpoint_auth_signing_alg_values_supported: [...CLIENT_ASSERTION_ALGORITHMS],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [signingAlg],
    // RFC 9701 §8: JWT introspection responses are signed with the tenant key.
    introspection_signing_alg_values_supported: [signingAlg],
    // RFC 9449 §5.1: the token endpoint binds tokens to proofs signed with these.
    dpop_signing_alg_values_supported: [...DPOP_ALGORITHMS],
    service_documentation: `${publicUrl}/docs`,
  };
}

const METADATA_CACHE = 'public, max-age=60';

export interface MetadataRoutesOptions {
  tenants: TenantService;
  keys: KeyService;
  publicUrl: () => string;
}

const metadataResponses = { 200: AuthorizationServerMetadata, ...errorResponses };

/** Per-tenant discovery documents under the issuer. */
export const metadataRoutes: FastifyPluginAsyncTypebox<MetadataRoutesOptions> = async (app, { tenants, keys, publicUrl }) => {
  for (const url of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
    app.get(url, {
      schema: { summary: 'Authorization server metadata (RFC 8414)', tags: ['discovery'], response: metadataResponses },
      onRequest: anyOriginCors,
    }, async (request, reply) => {
      reply.header('cache-control', METADATA_CACHE);
      return metadataDocument(await tenants.scopes(request.tenant.id), (await keys.ring(request.tenant.id)).signingAlg, request.issuer, publicUrl());
    });
    anyOriginPreflight(app, url);
  }
};

/** RFC 8414 §3: the well-known segment inserted before the issuer's path. */
export const rootMetadataRoutes: FastifyPluginAsyncTypebox<MetadataRoutesOptions> = async (app, { tenants, keys, publicUrl }) => {
  const url = '/.well-known/oauth-authorization-server/t/:tenant';
  app.get(url, {
    schema: { hide: true, params: Type.Object({ tenant: Type.String() }), response: metadataResponses },
    onRequest: anyOriginCors,
  }, async (request, reply) => {
    const tenant = await tenants.get(request.params.tenant);
    reply.header('cache-control', METADATA_CACHE);
    return metadataDocument(await tenants.scopes(tenant.id), (await keys.ring(tenant.id)).signingAlg, `${publicUrl()}/t/${tenant.slug}`, publicUrl());
  });
  anyOriginPreflight(app, url);
};
