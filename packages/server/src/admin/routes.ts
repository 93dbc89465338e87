import type { FastifyInstance } from 'fastify';
import { Forbidden, InvalidRequest, NotFound } from '../errors.js';
import { readCookie } from '../http/cookies.js';
import { noStore } from '../http/no-store.js';
import type { Keymint } from '../keymint.js';
import { parseDuration } from '../util/duration.js';
import { endUserSettingsRoutes } from './end-user-settings.js';
import { auditContext, installAdminAuth, mayReach, sessionCookieName, setSessionCookie } from './auth.js';
import type { AdminPrincipal } from './model.js';
import type { NewSession } from './service.js';
import * as S from './schemas.js';
import {
  adminTokenView, apiTokenView, appView, auditView, endUserBaseView, endUserView, keyView, newSecretView, scopeView, secretView, settingsView, tenantView, userSessionView,
} from './views.js';

const security: { [name: string]: string[] }[] = [{ adminToken: [] }, { adminSession: [] }];

function seconds(value: number | string | undefined): number | null {
  if (value === undefined) return null;
  const parsed = parseDuration(value);
  if (parsed === null || parsed === 0) throw new InvalidRequest('expires_in must be a positive duration such as 3600, 12h or 90d');
  return parsed;
}

function time(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new InvalidRequest(`${name} must be an ISO 8601 time`);
  return ms;
}

/**
 * The admin API under `/admin/v1` (docs/admin.md): everything the CLI can do, for the console
 * and for scripts with a `kmo_` token. Routes only parse, call a service with the admin's
 * audit context, and shape the answer.
 */
export async function adminRoutes(app: FastifyInstance, { keymint, publicUrl }: { keymint: Keymint; publicUrl: () => string }): Promise<void> {
  installAdminAuth(app, keymint, publicUrl);
  app.addHook('onRequest', noStore);
  const config = { errorProfile: 'api' as const };
  const open = { ...config, adminPublic: true };
  const issuerOf = (slug: string) => `${publicUrl()}/t/${slug}`;
  const accountView = (admin: AdminPrincipal, tenantSlug: string | null) => ({ email: admin.email, role: admin.role, tenant: tenantSlug, via: admin.via });
  const sessionResponse = async (session: NewSession) => {
    const principal: AdminPrincipal = { email: session.account.email, role: session.account.role, tenantId: session.account.tenantId, via: 'session' };
    return { account: accountView(principal, await slugOf(principal.tenantId)), csrf_token: session.csrfToken, expires_at: new Date(session.expiresAt).toISOString() };
  };
  const slugOf = async (tenantId: string | null) => (tenantId === null ? null : (await keymint.tenants.list()).find((t) => t.id === tenantId)?.slug ?? null);

  // --- Session (console) -------------------------------------------------------------------
  let tags = ['admin: session'];
  app.post('/session', { config: open, schema: { summary: 'Sign in (sets the console session cookie)', tags, body: S.SignInBody, response: { 200: S.SessionView, ...S.errors } } }, async (request, reply) => {
    const body = request.body as S.SignInBody;
    const session = await keymint.admins.signIn(body.email, body.password, request.ip);
    setSessionCookie(reply, publicUrl(), session);
    return sessionResponse(session);
  });

  app.get('/session', { config, schema: { summary: 'Who is signed in; the CSRF token of a console session', tags, security, response: { 200: S.SessionView, ...S.errors } } }, async (request) => {
    const sessionId = request.admin.via === 'session' ? readCookie(request, sessionCookieName(publicUrl())) : undefined;
    return { account: accountView(request.admin, await slugOf(request.admin.tenantId)), csrf_token: sessionId ? keymint.admins.csrfTokenOf(sessionId) : null, expires_at: null };
  });

  app.delete('/session', { config: { ...config, adminAnyRole: true }, schema: { summary: 'Sign out', tags, security, response: { 204: S.NoContent, ...S.errors } } }, async (request, reply) => {
    const sessionId = readCookie(request, sessionCookieName(publicUrl()));
    if (sessionId) await keymint.admins.signOut(sessionId, auditContext(request));
    setSessionCookie(reply, publicUrl(), null);
    return reply.code(204).send();
  });

  app.post('/setup/inspect', { config: open, schema: { summary: 'Check a one-time setup link', tags, body: S.InspectSetupBody, response: { 200: S.SetupInfo, ...S.errors } } }, async (request) => {
    const info = await keymint.admins.inspectSetup((request.body as { token: string }).token);
    return { email: info.email, expires_at: new Date(info.expiresAt).toISOString() };
  });

  app.post('/setup', { config: open, schema: { summary: 'Use a one-time setup link: choose a password (and, on first start, the owner email)', tags, body: S.SetupBody, response: { 200: S.SessionView, ...S.errors } } }, async (request, reply) => {
    const body = request.body as S.SetupBody;
    const session = await keymint.admins.completeSetup({ token: body.token, email: body.email, password: body.password }, request.ip);
    setSessionCookie(reply, publicUrl(), session);
    return sessionResponse(session);
  });

  // --- Tenants -----------------------------------------------------------------------------
  tags = ['admin: tenants'];
  app.get('/tenants', { config, schema: { summary: 'Tenants this admin may reach', tags, security, response: { 200: S.TenantList, ...S.errors } } }, async (request) => {
    const tenants = (await keymint.tenants.list()).filter((t) => mayReach(request.admin, t.id));
    return { tenants: tenants.map((t) => tenantView(t, issuerOf(t.slug))) };
  });

  app.post('/tenants', { config, schema: { summary: 'Create a tenant (global owners)', tags, security, body: S.CreateTenantBody, response: { 201: S.TenantView, ...S.errors } } }, async (request, reply) => {
    if (request.admin.tenantId !== null) throw new Forbidden('only admins of every tenant may create tenants');
    const body = request.body as S.CreateTenantBody;
    const created = await keymint.tenants.create(body.slug, body.name ?? body.slug, auditContext(request));
    return reply.code(201).send(tenantView(created, issuerOf(created.slug)));
  });

  app.get('/tenants/:tenant/settings', { config, schema: { summary: 'Tenant settings', tags, security, params: S.TenantParams, response: { 200: S.SettingsView, ...S.errors } } }, async (request) => settingsView(request.adminTenant));

  app.patch('/tenants/:tenant/settings', { config, schema: { summary: 'Change tenant settings', tags, security, params: S.TenantParams, body: S.SettingsBody, response: { 200: S.SettingsView, ...S.errors } } }, async (request) => {
    const body = request.body as S.SettingsBody;
    const updated = await keymint.tenants.updateSettings(request.adminTenant.slug, {
      ...(body.default_token_lifetime === undefined ? {} : { defaultTokenLifetime: body.default_token_lifetime }),
      ...(body.signed_request_window === undefined ? {} : { signedRequestMaxSkew: body.signed_request_window }),
    }, auditContext(request));
    return settingsView(updated);
  });

  // --- Scope catalog -----------------------------------------------------------------------
  tags = ['admin: scopes'];
  app.get('/tenants/:tenant/scopes', { config, schema: { summary: 'Scope catalog', tags, security, params: S.TenantParams, response: { 200: S.ScopeList, ...S.errors } } }, async (request) => ({
    scopes: (await keymint.tenants.scopes(request.adminTenant.id)).map(scopeView),
  }));

  app.post('/tenants/:tenant/scopes', { config, schema: { summary: 'Add a scope to the catalog', tags, security, params: S.TenantParams, body: S.AddScopeBody, response: { 201: S.ScopeView, ...S.errors } } }, async (request, reply) => {
    const body = request.body as S.AddScopeBody;
    const scope = await keymint.tenants.addScope(request.adminTenant.id, { name: body.name, description: body.description ?? '', isDefault: body.default ?? false }, auditContext(request));
    return reply.code(201).send(scopeView(scope));
  });

  // --- Apps and secrets --------------------------------------------------------------------
  tags = ['admin: apps'];
  app.get('/tenants/:tenant/apps', { config, schema: { summary: 'List apps', tags, security, params: S.TenantParams, response: { 200: S.AppList, ...S.errors } } }, async (request) => ({
    apps: (await keymint.apps.list(request.adminTenant.id)).map(appView),
  }));

  app.post('/tenants/:tenant/apps', { config, schema: { summary: 'Create an app (no scope unless chosen); its first secret is shown once', tags, security, params: S.TenantParams, body: S.CreateAppBody, response: { 201: S.CreatedApp, ...S.errors } } }, async (request, reply) => {
    const body = request.body as S.CreateAppBody;
    const tenant = request.adminTenant;
    const { app: created, secret } = await keymint.apps.create(tenant.id, await keymint.tenants.scopes(tenant.id), {
      name: body.name, scopes: body.scopes ?? [], audiences: body.audiences, tokenLifetime: body.token_lifetime ?? null, tokenFormat: body.token_format, authMethods: body.auth_methods,
    }, auditContext(request));
    return reply.code(201).send({ app: appView(created), secret: newSecretView(secret) });
  });

  app.get('/tenants/:tenant/apps/:client_id', { config, schema: { summary: 'Get an app', tags, security, params: S.AppParams, response: { 200: S.AppView, ...S.errors } } }, async (request) =>
    appView(await keymint.apps.get(request.adminTenant.id, (request.params as S.AppParams).client_id)));

  app.patch('/tenants/:tenant/apps/:client_id', { config, schema: { summary: 'Edit scopes, audiences, token lifetime or auth methods', tags, security, params: S.AppParams, body: S.UpdateAppBody, response: { 200: S.UpdatedApp, ...S.errors } } }, async (request) => {
    const body = request.body as S.UpdateAppBody;
    const tenant = request.adminTenant;
    const clientId = (request.params as S.AppParams).client_id;
    const { app: updated, newSecretRequired } = await keymint.apps.update(tenant.id, await keymint.tenants.scopes(tenant.id), clientId, {
      tokenLifetime: body.token_lifetime, audiences: body.audiences, scopes: body.scopes, authMethods: body.auth_methods,
    }, auditContext(request));
    return { app: appView(updated), new_secret_required: newSecretRequired };
  });

  app.post('/tenants/:tenant/apps/:client_id/disable', { config, schema: { summary: 'Disable an app (its tokens stop working)', tags, security, params: S.AppParams, response: { 200: S.AppView, ...S.errors } } }, async (request) =>
    appView(await keymint.apps.disable(request.adminTenant.id, (request.params as S.AppParams).client_id, auditContext(request))));

  app.get('/tenants/:tenant/apps/:client_id/secrets', { config, schema: { summary: 'List secrets (never the secret itself) with last use', tags, security, params: S.AppParams, response: { 200: S.SecretList, ...S.errors } } }, async (request) => ({
    secrets: (await keymint.apps.listSecrets(request.adminTenant.id, (request.params as S.AppParams).client_id)).map(secretView),
  }));

  app.post('/tenants/:tenant/apps/:client_id/secrets', { config, schema: { summary: 'Add a secret (up to 5 active), optionally expiring; shown once', tags, security, params: S.AppParams, body: S.AddSecretBody, response: { 201: S.NewSecretView, ...S.errors } } }, async (request, reply) => {
    const body = (request.body ?? {}) as S.AddSecretBody;
    const secret = await keymint.apps.addSecret(request.adminTenant.id, (request.params as S.AppParams).client_id, seconds(body.expires_in), auditContext(request));
    return reply.code(201).send(newSecretView(secret));
  });

  app.post('/tenants/:tenant/apps/:client_id/secrets/regenerate', { config, schema: { summary: 'Regenerate: a new secret, every other one revoked, in one step', tags, security, params: S.AppParams, body: S.AddSecretBody, response: { 201: S.Regenerated, ...S.errors } } }, async (request, reply) => {
    const body = (request.body ?? {}) as S.AddSecretBody;
    const { secret, revoked } = await keymint.apps.regenerateSecret(request.adminTenant.id, (request.params as S.AppParams).client_id, seconds(body.expires_in), auditContext(request));
    return reply.code(201).send({ secret: newSecretView(secret), revoked });
  });

  app.delete('/tenants/:tenant/apps/:client_id/secrets/:secret_id', { config, schema: { summary: 'Revoke a secret', tags, security, params: S.SecretParams, response: { 200: S.SecretView, ...S.errors } } }, async (request) => {
    const params = request.params as S.SecretParams;
    return secretView(await keymint.apps.revokeSecret(request.adminTenant.id, params.client_id, params.secret_id, auditContext(request)));
  });

  // --- API tokens (kmk_) -------------------------------------------------------------------
  tags = ['admin: API tokens'];
  app.get('/tenants/:tenant/api-tokens', { config, schema: { summary: 'List API tokens with last use', tags, security, params: S.TenantParams, response: { 200: S.ApiTokenList, ...S.errors } } }, async (request) => ({
    tokens: (await keymint.apiTokens.list(request.adminTenant.id)).map(apiTokenView),
  }));

  app.post('/tenants/:tenant/api-tokens', { config, schema: { summary: 'Create an API token (shown once)', tags, security, params: S.TenantParams, body: S.CreateApiTokenBody, response: { 201: S.NewApiTokenView, ...S.errors } } }, async (request, reply) => {
    const body = request.body as S.CreateApiTokenBody;
    const tenant = request.adminTenant;
    const created = await keymint.apiTokens.create(tenant.id, await keymint.tenants.scopes(tenant.id), { name: body.name, scopes: body.scopes, expiresInSeconds: seconds(body.expires_in) }, auditContext(request));
    return reply.code(201).send({ token: created.token, info: apiTokenView(created.info) });
  });

  app.delete('/tenants/:tenant/api-tokens/:id', { config, schema: { summary: 'Revoke an API token', tags, security, params: S.IdParams, response: { 200: S.ApiTokenView, ...S.errors } } }, async (request) =>
    apiTokenView(await keymint.apiTokens.revoke(request.adminTenant.id, (request.params as S.IdParams).id, auditContext(request))));

  // --- Signing keys ------------------------------------------------------------------------
  tags = ['admin: signing keys'];
  app.get('/tenants/:tenant/keys', { config, schema: { summary: 'Signing keys: next, current, retired', tags, security, params: S.TenantParams, response: { 200: S.KeyList, ...S.errors } } }, async (request) => ({
    keys: (await keymint.keys.list(request.adminTenant.id)).map(keyView),
  }));

  app.post('/tenants/:tenant/keys/rotate', { config, schema: { summary: 'Rotate: the published next key signs (or is scheduled to, once verifiers know it)', tags, security, params: S.TenantParams, response: { 200: S.RotationView, ...S.errors } } }, async (request) => {
    const result = await keymint.keys.rotate(request.adminTenant.id, auditContext(request));
    return { promoted: result.promoted, next: { kid: result.next.kid, activates_at: new Date(result.next.activatesAt).toISOString() }, keys: (await keymint.keys.list(request.adminTenant.id)).map(keyView) };
  });

  // --- Audit log and usage -----------------------------------------------------------------
  tags = ['admin: audit and usage'];
  app.get('/tenants/:tenant/audit', { config, schema: { summary: 'Audit log, newest first', tags, security, params: S.TenantParams, querystring: S.AuditQuery, response: { 200: S.AuditList, ...S.errors } } }, async (request) => {
    const query = request.query as S.AuditQuery;
    const entries = await keymint.audit.query({
      tenantId: request.adminTenant.id, actor: query.actor, actorId: query.actor_id, action: query.action, target: query.app,
      since: time(query.since, 'since'), until: time(query.until, 'until'),
      before: query.before === undefined ? undefined : Number(query.before), limit: query.limit === undefined ? 100 : Number(query.limit),
    });
    return { entries: entries.map((entry) => auditView(entry, request.adminTenant.slug)) };
  });

  app.get('/tenants/:tenant/usage', { config, schema: { summary: 'Tokens issued per app per hour', tags, security, params: S.TenantParams, querystring: S.UsageQuery, response: { 200: S.UsageView, ...S.errors } } }, async (request) => {
    const hours = Number((request.query as { hours?: string }).hours ?? 24);
    const usage = await keymint.usage.series(request.adminTenant.id, hours);
    const names = new Map((await keymint.apps.list(request.adminTenant.id)).map((a) => [a.clientId, a.name]));
    return { from: new Date(usage.from).toISOString(), hours, apps: usage.apps.map((a) => ({ client_id: a.clientId, name: names.get(a.clientId) ?? a.clientId, counts: a.counts })) };
  });

  // --- End users and their sessions (docs/end-users.md) ------------------------------------
  tags = ['admin: end users'];
  app.get('/tenants/:tenant/users', { config, schema: { summary: 'End users, newest first, with their last sign-in (paged)', tags, security, params: S.TenantParams, querystring: S.UsersQuery, response: { 200: S.EndUserList, ...S.errors } } }, async (request) => {
    const query = request.query as S.UsersQuery;
    const page = await keymint.users.listPage(request.adminTenant.id, { limit: query.limit === undefined ? 50 : Number(query.limit), before: query.before, email: query.email });
    return { users: page.users.map(endUserView), next: page.next };
  });

  app.get('/tenants/:tenant/users/:id/sessions', { config, schema: { summary: 'A user\'s live sessions', tags, security, params: S.UserParams, response: { 200: S.UserSessionList, ...S.errors } } }, async (request) => {
    const tenant = request.adminTenant;
    const user = await keymint.users.getUser(tenant.id, (request.params as S.UserParams).id);
    const idle = keymint.users.settings(tenant).sessionIdleTimeout;
    return { user: endUserBaseView(user), sessions: (await keymint.users.liveSessions(tenant, user.id)).map((s) => userSessionView(s, idle)) };
  });

  app.delete('/tenants/:tenant/users/:id/sessions', { config, schema: { summary: 'Sign a user out everywhere: revoke every session (access tokens via the revocation feed)', tags, security, params: S.UserParams, response: { 200: S.RevokedSessions, ...S.errors } } }, async (request) => {
    const user = await keymint.users.getUser(request.adminTenant.id, (request.params as S.UserParams).id);
    return { revoked: await keymint.users.revokeUserSessions(request.adminTenant.id, user.id, auditContext(request)) };
  });

  app.delete('/tenants/:tenant/users/:id/sessions/:sid', { config, schema: { summary: 'Revoke one session of a user', tags, security, params: S.UserSessionParams, response: { 204: S.NoContent, ...S.errors } } }, async (request, reply) => {
    const params = request.params as S.UserSessionParams;
    await keymint.users.revokeUserSession(request.adminTenant.id, params.id, params.sid, auditContext(request));
    return reply.code(204).send();
  });
  endUserSettingsRoutes(app, keymint);

  // --- Admin API tokens (kmo_) -------------------------------------------------------------
  tags = ['admin: admin tokens'];
  app.get('/admin-tokens', { config, schema: { summary: 'Admin API tokens this admin may see', tags, security, response: { 200: S.AdminTokenList, ...S.errors } } }, async (request) => {
    const slugs = new Map((await keymint.tenants.list()).map((t) => [t.id, t.slug]));
    return { tokens: (await keymint.admins.listTokens(request.admin)).map((t) => adminTokenView(t, t.tenantId === null ? null : slugs.get(t.tenantId) ?? null)) };
  });

  app.post('/admin-tokens', { config, schema: { summary: 'Create an admin API token (kmo_…, shown once)', tags, security, body: S.CreateAdminTokenBody, response: { 201: S.NewAdminTokenView, ...S.errors } } }, async (request, reply) => {
    const created = await keymint.admins.createToken(request.admin, request.body as S.CreateAdminTokenBody, auditContext(request));
    return reply.code(201).send({ token: created.token, info: adminTokenView(created.info, await slugOf(created.info.tenantId)) });
  });

  app.delete('/admin-tokens/:id', { config, schema: { summary: 'Revoke an admin API token', tags, security, params: S.AdminTokenParams, response: { 200: S.AdminTokenView, ...S.errors } } }, async (request) => {
    const revoked = await keymint.admins.revokeToken(request.admin, (request.params as { id: string }).id, auditContext(request));
    return adminTokenView(revoked, await slugOf(revoked.tenantId));
  });

  app.setNotFoundHandler(() => {
    throw new NotFound('no such admin route');
  });
}
