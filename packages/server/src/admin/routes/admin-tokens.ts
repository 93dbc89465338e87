import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { TenantService } from '../../tenants/service.js';
import { auditContext } from '../auth.js';
import * as S from '../schemas.js';
import type { AdminService } from '../service.js';
import { adminTokenView } from '../views.js';
import { config, security, slugOf } from './common.js';

export interface AdminTokenRoutesOptions {
  admins: Pick<AdminService, 'listTokens' | 'createToken' | 'revokeToken'>;
  /** A token's tenant is shown by slug. */
  tenants: Pick<TenantService, 'list'>;
}

/** Admin API tokens (`kmo_`) for scripts (docs/admin.md "Admin API tokens"). */
export const adminTokenRoutes: FastifyPluginAsyncTypebox<AdminTokenRoutesOptions> = async (app, { admins, tenants }) => {
  const tags = ['admin: admin tokens'];
  app.get('/admin-tokens', { config, schema: { summary: 'Admin API tokens this admin may see', tags, security, response: { 200: S.AdminTokenList, ...S.errors } } }, async (request) => {
    const slugs = new Map((await tenants.list()).map((t) => [t.id, t.slug]));
    return { tokens: (await admins.listTokens(request.admin)).map((t) => adminTokenView(t, t.tenantId === null ? null : slugs.get(t.tenantId) ?? null)) };
  });

  app.post('/admin-tokens', { config, schema: { summary: 'Create an admin API token (kmo_…, shown once)', tags, security, body: S.CreateAdminTokenBody, response: { 201: S.NewAdminTokenView, ...S.errors } } }, async (request, reply) => {
    const created = await admins.createToken(request.admin, request.body, auditContext(request));
    return reply.code(201).send({ token: created.token, info: adminTokenView(created.info, await slugOf(tenants, created.info.tenantId)) });
  });

  app.delete('/admin-tokens/:id', { config, schema: { summary: 'Revoke an admin API token', tags, security, params: S.AdminTokenParams, response: { 200: S.AdminTokenView, ...S.errors } } }, async (request) => {
    const revoked = await admins.revokeToken(request.admin, request.params.id, auditContext(request));
    return adminTokenView(revoked, await slugOf(tenants, revoked.tenantId));
  });
};
