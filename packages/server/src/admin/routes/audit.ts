import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AuditLog } from '../../audit/service.js';
import { auditView } from '../../audit/view.js';
import { InvalidRequest } from '../../errors.js';
import * as S from '../schemas.js';
import { config, security } from './common.js';

export interface AuditRoutesOptions {
  audit: Pick<AuditLog, 'query'>;
}

function time(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new InvalidRequest(`${name} must be an ISO 8601 time`);
  return ms;
}

/** The tenant's audit log, newest first (docs/admin.md "Audit log"). */
export const auditRoutes: FastifyPluginAsyncTypebox<AuditRoutesOptions> = async (app, { audit }) => {
  app.get('/tenants/:tenant/audit', { config, schema: { summary: 'Audit log, newest first', tags: ['admin: audit and usage'], security, params: S.TenantParams, querystring: S.AuditQuery, response: { 200: S.AuditList, ...S.errors } } }, async (request) => {
    const query = request.query;
    const entries = await audit.query({
      tenantId: request.adminTenant.id, actor: query.actor, actorId: query.actor_id, action: query.action, target: query.app,
      since: time(query.since, 'since'), until: time(query.until, 'until'),
      before: query.before === undefined ? undefined : Number(query.before), limit: query.limit === undefined ? 100 : Number(query.limit),
    });
    return { entries: entries.map((entry) => auditView(entry, request.adminTenant.slug)) };
  });
};
