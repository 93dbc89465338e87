import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Forbidden } from '../../errors.js';
import type { TenantService } from '../../tenants/service.js';
import { auditContext, mayReach } from '../auth.js';
import * as S from '../schemas.js';
import { scopeView, settingsView, tenantView } from '../views.js';
import { config, security } from './common.js';

export interface TenantRoutesOptions {
  tenants: Pick<TenantService, 'list' | 'create' | 'updateSettings' | 'scopes' | 'addScope'>;
  publicUrl: () => string;
}

/** Tenants, their settings and their scope catalog. */
export const tenantRoutes: FastifyPluginAsyncTypebox<TenantRoutesOptions> = async (app, { tenants, publicUrl }) => {
  const issuerOf = (slug: string) => `${publicUrl()}/t/${slug}`;
  let tags = ['admin: tenants'];
  app.get('/tenants', { config, schema: { summary: 'Tenants this admin may reach', tags, security, response: { 200: S.TenantList, ...S.errors } } }, async (request) => {
    const reachable = (await tenants.list()).filter((t) => mayReach(request.admin, t.id));
    return { tenants: reachable.map((t) => tenantView(t, issuerOf(t.slug))) };
  });

  app.post('/tenants', { config, schema: { summary: 'Create a tenant (global owners)', tags, security, body: S.CreateTenantBody, response: { 201: S.TenantView, ...S.errors } } }, async (request, reply) => {
    if (request.admin.tenantId !== null) throw new Forbidden('only admins of every tenant may create tenants');
    const { slug, name, signing_alg: signingAlg } = request.body;
    const created = await tenants.create(slug, name ?? slug, auditContext(request), signingAlg === undefined ? {} : { signingAlg });
    return reply.code(201).send(tenantView(created, issuerOf(created.slug)));
  });

  app.get('/tenants/:tenant/settings', { config, schema: { summary: 'Tenant settings', tags, security, params: S.TenantParams, response: { 200: S.SettingsView, ...S.errors } } }, async (request) => settingsView(request.adminTenant));

  app.patch('/tenants/:tenant/settings', { config, schema: { summary: 'Change tenant settings', tags, security, params: S.TenantParams, body: S.SettingsBody, response: { 200: S.SettingsView, ...S.errors } } }, async (request) => {
    const { default_token_lifetime, signed_request_window, signing_alg } = request.body;
    const updated = await tenants.updateSettings(request.adminTenant.slug, {
      ...(default_token_lifetime === undefined ? {} : { defaultTokenLifetime: default_token_lifetime }),
      ...(signed_request_window === undefined ? {} : { signedRequestMaxSkew: signed_request_window }),
      ...(signing_alg === undefined ? {} : { signingAlg: signing_alg }),
    }, auditContext(request));
    return settingsView(updated);
  });

  tags = ['admin: scopes'];
  app.get('/tenants/:tenant/scopes', { config, schema: { summary: 'Scope catalog', tags, security, params: S.TenantParams, response: { 200: S.ScopeList, ...S.errors } } }, async (request) => ({
    scopes: (await tenants.scopes(request.adminTenant.id)).map(scopeView),
  }));

  app.post('/tenants/:tenant/scopes', { config, schema: { summary: 'Add a scope to the catalog', tags, security, params: S.TenantParams, body: S.AddScopeBody, response: { 201: S.ScopeView, ...S.errors } } }, async (request, reply) => {
    const { name, description, default: isDefault } = request.body;
    const scope = await tenants.addScope(request.adminTenant.id, { name, description: description ?? '', isDefault: isDefault ?? false }, auditContext(request));
    return reply.code(201).send(scopeView(scope));
  });
};
