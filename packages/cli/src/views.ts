import type { ApiTokenInfo, App, SecretInfo, SigningKeyInfo, Tenant } from '@keymint/server';

/** JSON shapes of the CLI (DESIGN "CLI"): snake_case, times as ISO 8601. */
export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

export function tenantView(tenant: Tenant, issuer: string) {
  return { tenant: tenant.slug, issuer, app_id: tenant.appId };
}

export function appView(app: App, tenant: Tenant, issuer: string) {
  return {
    client_id: app.clientId,
    name: app.name,
    scopes: app.scopes,
    audiences: app.audiences,
    token_lifetime: app.tokenLifetime ?? tenant.settings.defaultTokenLifetime,
    token_format: app.tokenFormat,
    auth_methods: app.authMethods,
    status: app.status,
    created_at: iso(app.createdAt),
    tenant: tenant.slug,
    issuer,
  };
}

export function secretView(secret: SecretInfo) {
  return {
    secret_id: secret.id,
    hint: `${secret.hint}…`,
    status: secret.status,
    created_at: iso(secret.createdAt),
    expires_at: iso(secret.expiresAt),
    last_used_at: iso(secret.lastUsedAt),
    revoked_at: iso(secret.revokedAt),
  };
}

export function apiTokenView(token: ApiTokenInfo) {
  return {
    id: token.id,
    name: token.name,
    hint: `${token.hint}…`,
    scopes: token.scopes,
    status: token.status,
    created_at: iso(token.createdAt),
    expires_at: iso(token.expiresAt),
    last_used_at: iso(token.lastUsedAt),
    revoked_at: iso(token.revokedAt),
  };
}

export function keyView(key: SigningKeyInfo) {
  return {
    kid: key.kid,
    alg: key.alg as string,
    state: key.state as string,
    created_at: iso(key.createdAt),
    // For a `next` key this is when it is scheduled to start signing (null: not scheduled).
    activated_at: iso(key.activatedAt),
    retired_at: iso(key.retiredAt),
    remove_after: iso(key.removeAfter),
  };
}
