import { Value } from '@sinclair/typebox/value';
import type { JWK } from 'jose';
import { DEFAULT_AUTH_METHODS, type App } from '../apps/model.js';
import { validateAudiences, validateAuthMethods, validateClientId, validateLifetime, validateName, validateTokenFormat } from '../apps/validation.js';
import { limitsInput, limitsView } from '../admin/views.js';
import { InvalidRequest, KeymintError } from '../errors.js';
import { applyLimits, NO_LIMITS } from '../limits/model.js';
import { DEFAULT_TENANT_SETTINGS, SEEDED_SCOPES, TENANT_SLUG_PATTERN, type Scope, type Tenant } from '../tenants/model.js';
import { DEFAULT_END_USER_SETTINGS, endUserSettingsView } from '../users/model.js';
import { canonicalOrigin, endUserSettings } from '../users/settings.js';
import { storedPublicJwk } from '../crypto/client-keys.js';
import { validateEventPatterns } from '../webhooks/catalog.js';
import type { WebhookInfo } from '../webhooks/service.js';
import { ConfigDocument, type AppDeclaration, type AppJwks, type AppState, type TenantDeclaration, type TenantState, type WebhookState } from './schema.js';

// Both directions between the services' objects and the file: what a tenant is (export) and what
// a file asks for (apply), each in TenantState form so the plan compares like with like.

/** The one place an app becomes its declarative form; new app fields are one line here. */
export function appDeclaration(app: App, jwks: readonly JWK[]): AppState {
  return {
    client_id: app.clientId,
    name: app.name,
    scopes: app.scopes,
    audiences: app.audiences,
    token_lifetime: app.tokenLifetime,
    token_format: app.tokenFormat,
    auth_methods: app.authMethods,
    status: app.status,
    require_dpop: app.requireDpop,
    limits: limitsView(app.limits),
    jwks: app.authMethods.includes('private_key_jwt') ? { keys: [...jwks] as AppJwks['keys'] } : null,
  };
}

export function scopeDeclaration(scope: Scope): TenantState['scopes'][number] {
  return { name: scope.name, description: scope.description, default: scope.isDefault };
}

/** A webhook as export writes it: id, URL and events, never its secret. */
export function webhookDeclaration(webhook: WebhookInfo): WebhookState {
  return { id: webhook.id, url: webhook.url, events: webhook.events };
}

/** A tenant as export writes it: settings with defaults filled in, its catalog, its apps (with private_key_jwt apps' public keys) and webhooks. */
export function tenantDeclaration(tenant: Tenant, scopes: Scope[], apps: App[], jwksOf: ReadonlyMap<string, readonly JWK[]>, webhooks: WebhookInfo[] = []): TenantState {
  return {
    slug: tenant.slug,
    name: tenant.name,
    settings: {
      default_token_lifetime: tenant.settings.defaultTokenLifetime,
      signed_request_window: tenant.settings.signedRequestMaxSkew,
      signing_alg: tenant.settings.signingAlg,
    },
    end_users: endUserSettingsView(endUserSettings(tenant)),
    scopes: scopes.map(scopeDeclaration),
    apps: apps.map((app) => appDeclaration(app, jwksOf.get(app.clientId) ?? [])),
    webhooks: webhooks.map(webhookDeclaration),
  };
}

/** What `tenants.create(slug, name, …, { signingAlg })` makes: the state a new tenant is planned from. */
export function newTenantState(slug: string, name: string, signingAlg: TenantState['settings']['signing_alg']): TenantState {
  return {
    slug,
    name,
    settings: { default_token_lifetime: DEFAULT_TENANT_SETTINGS.defaultTokenLifetime, signed_request_window: DEFAULT_TENANT_SETTINGS.signedRequestMaxSkew, signing_alg: signingAlg },
    end_users: endUserSettingsView(DEFAULT_END_USER_SETTINGS),
    scopes: SEEDED_SCOPES.map(scopeDeclaration),
    apps: [],
    webhooks: [],
  };
}

/**
 * Reads a parsed file (JSON or YAML): the shape is checked against the schema, then each value is
 * put in the form the services store (names trimmed, lists without repeats, origins canonical) so
 * that applying the result and exporting again gives the same document. Throws InvalidRequest
 * naming the first wrong place (`tenants[0].apps[2].scopes`…), before anything is written.
 */
export function readConfigDocument(input: unknown): TenantState[] {
  if (!Value.Check(ConfigDocument, input)) {
    const first = Value.Errors(ConfigDocument, input).First();
    const where = first?.path ? first.path.replace(/^\//, '').replace(/\/(\d+)(?=\/|$)/g, '[$1]').replace(/\//g, '.') : 'the file';
    throw new InvalidRequest(`${where || 'the file'}: ${first?.message ?? 'not a Keymint configuration'} (expected {"version": 1, "tenants": [...]})`);
  }
  const slugs = new Set<string>();
  return input.tenants.map((tenant, i) => {
    const state = at(`tenants[${i}]`, () => tenantState(tenant));
    if (slugs.has(state.slug)) throw new InvalidRequest(`tenants[${i}]: tenant ${state.slug} appears twice`);
    slugs.add(state.slug);
    return state;
  });
}

function tenantState(tenant: TenantDeclaration): TenantState {
  if (!TENANT_SLUG_PATTERN.test(tenant.slug)) throw new InvalidRequest('slug: 1-63 lowercase letters, digits or dashes, starting and ending with a letter or digit');
  const defaults = newTenantState(tenant.slug, tenant.name ?? tenant.slug, tenant.settings?.signing_alg ?? DEFAULT_TENANT_SETTINGS.signingAlg);
  const scopes = (tenant.scopes ?? []).map((s) => ({ name: s.name, description: s.description ?? '', default: s.default ?? false }));
  const scopeNames = new Set<string>();
  for (const scope of scopes) {
    if (scopeNames.has(scope.name)) throw new InvalidRequest(`scopes: ${scope.name} appears twice`);
    scopeNames.add(scope.name);
  }
  const clientIds = new Set<string>();
  const apps = (tenant.apps ?? []).map((app, i) => at(`apps[${i}]`, () => {
    const state = appState(app);
    if (clientIds.has(state.client_id)) throw new InvalidRequest(`client_id ${state.client_id} appears twice`);
    clientIds.add(state.client_id);
    return state;
  }));
  const webhooks = (tenant.webhooks ?? []).map((hook, i) => at(`webhooks[${i}]`, () => webhookState(hook)));
  for (const [i, hook] of webhooks.entries()) {
    if (hook.id !== undefined && webhooks.findIndex((h) => h.id === hook.id) !== i) throw new InvalidRequest(`webhooks[${i}]: id ${hook.id} appears twice`);
  }
  const endUsers = { ...defaults.end_users, ...tenant.end_users };
  return {
    slug: tenant.slug,
    name: at('name', () => validateName(defaults.name)),
    settings: { ...defaults.settings, ...tenant.settings },
    end_users: { ...endUsers, allowed_origins: at('end_users.allowed_origins', () => [...new Set(endUsers.allowed_origins.map(canonicalOrigin))]) },
    scopes,
    apps,
    webhooks,
  };
}

function appState(app: AppDeclaration): AppState {
  const authMethods = validateAuthMethods(app.auth_methods ?? DEFAULT_AUTH_METHODS);
  return {
    client_id: validateClientId(app.client_id),
    name: validateName(app.name),
    // Against the catalog when the plan is made (plan.ts): scopes may be declared in the same file.
    scopes: [...new Set(app.scopes ?? [])],
    audiences: validateAudiences(app.audiences ?? []),
    token_lifetime: validateLifetime(app.token_lifetime ?? null),
    token_format: validateTokenFormat(app.token_format ?? 'jwt'),
    auth_methods: authMethods,
    status: app.status ?? 'active',
    require_dpop: app.require_dpop ?? false,
    // In the form export prints (`100/60s` → `100/1m`); the app's limits are shared by its tokens.
    limits: limitsView(applyLimits(NO_LIMITS, limitsInput(app.limits ?? {}), 0)),
    jwks: jwksState(authMethods, app.jwks ?? null),
  };
}

/** A private_key_jwt app's keys in their stored form, by kid; null for other apps. The keys themselves are checked when applied. */
function jwksState(authMethods: readonly string[], jwks: AppJwks | null): AppJwks | null {
  if (!authMethods.includes('private_key_jwt')) {
    if (jwks !== null) throw new InvalidRequest('jwks is only for apps whose auth method is private_key_jwt');
    return null;
  }
  if (jwks === null) throw new InvalidRequest('a private_key_jwt app needs jwks: its public keys');
  const keys = jwks.keys.map((key) => storedPublicJwk(key, key.kid) as AppJwks['keys'][number]);
  return { keys: keys.sort((a, b) => (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0)) };
}

/** URL in the form the service stores (the SSRF policy is checked by WebhookService at apply). */
function webhookState(hook: WebhookState | (Omit<WebhookState, 'events'> & { events?: string[] })): WebhookState {
  let url: URL;
  try {
    url = new URL(hook.url);
  } catch {
    throw new InvalidRequest('url must be an absolute https:// URL');
  }
  return { ...(hook.id === undefined ? {} : { id: hook.id }), url: url.href, events: validateEventPatterns(hook.events ?? []) };
}

/** Runs a check and names where in the file it failed. */
function at<T>(where: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof KeymintError) throw new InvalidRequest(`${where}: ${error.message}`);
    throw error;
  }
}
