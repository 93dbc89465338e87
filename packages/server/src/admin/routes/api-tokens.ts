import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ApiTokenService } from '../../api-tokens/service.js';
import type { TenantService } from '../../tenants/service.js';
import { auditContext } from '../auth.js';
import * as S from '../schemas.js';
import { apiTokenView, limitsInput } from '../views.js';
import { config, expiresIn, security } from './common.js';

export interface ApiTokenRoutesOptions {
  apiTokens: Pick<ApiTokenService, 'list' | 'create' | 'revoke' | 'setLimits'>;
  /** The scope catalog a token's scopes are checked against. */
  tenants: Pick<TenantService, 'scopes'>;
}

/** Long-lived, scoped API tokens (`kmk_`). */
export const apiTokenRoutes: FastifyPluginAsyncTypebox<ApiTokenRoutesOptions> = async (app, { apiTokens, tenants }) => {
  const tags = ['admin: API tokens'];
  app.get('/tenants/:tenant/api-tokens', { config, schema: { summary: 'List API tokens with last use', tags, security, params: S.TenantParams, response: { 200: S.ApiTokenList, ...S.errors } } }, async (request) => ({
    tokens: (await apiTokens.list(request.adminTenant.id)).map(apiTokenView),
  }));

  app.post('/tenants/:tenant/api-tokens', { config, schema: { summary: 'Create an API token (shown once)', tags, security, params: S.TenantParams, body: S.CreateApiTokenBody, response: { 201: S.NewApiTokenView, ...S.errors } } }, async (request, reply) => {
    const { name, scopes, expires_in, limits } = request.body;
    const tenant = request.adminTenant;
    const created = await apiTokens.create(tenant.id, await tenants.scopes(tenant.id), { name, scopes, expiresInSeconds: expiresIn(expires_in), limits: limits && limitsInput(limits) }, auditContext(request));
    return reply.code(201).send({ token: created.token, info: apiTokenView(created.info) });
  });

  app.patch('/tenants/:tenant/api-tokens/:id', { config, schema: { summary: 'Change an API token\'s rate limit, quota or outage behaviour (a changed limit starts a fresh count)', tags, security, params: S.IdParams, body: S.UpdateApiTokenBody, response: { 200: S.ApiTokenView, ...S.errors } } }, async (request) =>
    apiTokenView(await apiTokens.setLimits(request.adminTenant.id, request.params.id, limitsInput(request.body.limits), auditContext(request))));

  app.delete('/tenants/:tenant/api-tokens/:id', { config, schema: { summary: 'Revoke an API token', tags, security, params: S.IdParams, response: { 200: S.ApiTokenView, ...S.errors } } }, async (request) =>
    apiTokenView(await apiTokens.revoke(request.adminTenant.id, request.params.id, auditContext(request))));
};
