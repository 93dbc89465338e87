import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppService } from '../../apps/service.js';
import type { ApiTokenService } from '../../api-tokens/service.js';
import * as S from '../schemas.js';
import { keyUsageView } from '../views.js';
import { keyNames, usageSubject, type IssuanceCounter } from '../usage.js';
import { config, security } from './common.js';

export interface UsageRoutesOptions {
  usage: Pick<IssuanceCounter, 'series' | 'keyUsage'>;
  /** App names for the chart's legend. */
  apps: Pick<AppService, 'list'>;
  /** API token names for the per-key usage. */
  apiTokens: Pick<ApiTokenService, 'list'>;
}

/** Tokens issued per app per hour, for the console's usage chart. */
export const usageRoutes: FastifyPluginAsyncTypebox<UsageRoutesOptions> = async (app, { usage, apps, apiTokens }) => {
  app.get('/tenants/:tenant/usage', { config, schema: { summary: 'Tokens issued per app per hour', tags: ['admin: audit and usage'], security, params: S.TenantParams, querystring: S.UsageQuery, response: { 200: S.UsageView, ...S.errors } } }, async (request) => {
    const hours = Number(request.query.hours ?? 24);
    const series = await usage.series(request.adminTenant.id, hours);
    const names = new Map((await apps.list(request.adminTenant.id)).map((a) => [a.clientId, a.name]));
    return { from: new Date(series.from).toISOString(), hours, apps: series.apps.map((a) => ({ client_id: a.clientId, name: names.get(a.clientId) ?? a.clientId, counts: a.counts })) };
  });

  app.get('/tenants/:tenant/key-usage', { config, schema: { summary: 'Outcomes of every use of each key (API token or app) per hour: valid, rate_limited, usage_exceeded, invalid, insufficient_scope', tags: ['admin: audit and usage'], security, params: S.TenantParams, querystring: S.KeyUsageQuery, response: { 200: S.KeyUsageList, ...S.errors } } }, async (request) => {
    const hours = Number(request.query.hours ?? 24);
    const tenantId = request.adminTenant.id;
    const { from, keys } = await usage.keyUsage(tenantId, hours, usageSubject(request.query));
    const names = await keyNames(tenantId, apps, apiTokens);
    return { from: new Date(from).toISOString(), hours, usage: keys.map((u) => keyUsageView(u, names)) };
  });
};
