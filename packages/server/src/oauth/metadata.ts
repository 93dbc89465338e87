import type { FastifyInstance } from 'fastify';
import type { Keymint } from '../keymint.js';
import type { Tenant } from '../tenants/model.js';
import { GRANT_TYPES } from './token-endpoint.js';

/** RFC 8414 authorization server metadata for one tenant. */
export async function metadataDocument(keymint: Keymint, tenant: Tenant, issuer: string, publicUrl: string): Promise<Record<string, unknown>> {
  const scopes = await keymint.tenants.scopes(tenant.id);
  return {
    issuer,
    token_endpoint: `${issuer}/oauth/token`,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    introspection_endpoint: `${issuer}/oauth/introspect`,
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    revocation_endpoint: `${issuer}/oauth/revoke`,
    // `none`: the tenant's public app revokes end-user tokens by its client_id alone (RFC 7009 §2.1).
    revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    scopes_supported: scopes.map((s) => s.name),
    // Keymint has no authorization endpoint (apps use client credentials; end users sign in at
    // /auth/… and refresh at the token endpoint), so no response types.
    response_types_supported: [],
    grant_types_supported: [...GRANT_TYPES],
    // `none`: end-user refreshes (the tenant's public app, identified by its app_id at most).
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['ES256'],
    service_documentation: `${publicUrl}/docs`,
  };
}

const METADATA_CACHE = 'public, max-age=60';

/** Per-tenant discovery documents under the issuer. */
export async function metadataRoutes(app: FastifyInstance, { keymint, publicUrl }: { keymint: Keymint; publicUrl: () => string }): Promise<void> {
  for (const url of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
    app.get(url, { schema: { summary: 'Authorization server metadata (RFC 8414)', tags: ['discovery'] } }, async (request, reply) => {
      reply.header('cache-control', METADATA_CACHE);
      return metadataDocument(keymint, request.tenant, request.issuer, publicUrl());
    });
  }
}

/** RFC 8414 §3: the well-known segment inserted before the issuer's path. */
export async function rootMetadataRoutes(app: FastifyInstance, { keymint, publicUrl }: { keymint: Keymint; publicUrl: () => string }): Promise<void> {
  app.get('/.well-known/oauth-authorization-server/t/:tenant', { schema: { hide: true } }, async (request, reply) => {
    const tenant = await keymint.tenants.get((request.params as { tenant: string }).tenant);
    reply.header('cache-control', METADATA_CACHE);
    return metadataDocument(keymint, tenant, `${publicUrl()}/t/${tenant.slug}`, publicUrl());
  });
}
