import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { UserService } from '../../users/service.js';
import { auditContext } from '../auth.js';
import * as S from '../schemas.js';
import { endUserBaseView, endUserView, revokedSessionsView, userSessionView } from '../views.js';
import { config, security } from './common.js';

export interface EndUserRoutesOptions {
  users: Pick<UserService, 'listPage' | 'getUser' | 'settings' | 'liveSessions' | 'revokeUserSessions' | 'revokeUserSession'>;
}

/** End users of the tenant's apps and their sessions (docs/end-users.md). */
export const endUserRoutes: FastifyPluginAsyncTypebox<EndUserRoutesOptions> = async (app, { users }) => {
  const tags = ['admin: end users'];
  app.get('/tenants/:tenant/users', { config, schema: { summary: 'End users, newest first, with their last sign-in (paged)', tags, security, params: S.TenantParams, querystring: S.UsersQuery, response: { 200: S.EndUserList, ...S.errors } } }, async (request) => {
    const { limit, before, email } = request.query;
    const page = await users.listPage(request.adminTenant.id, { limit: limit === undefined ? 50 : Number(limit), before, email });
    return { users: page.users.map(endUserView), next: page.next };
  });

  app.get('/tenants/:tenant/users/:id/sessions', { config, schema: { summary: 'A user\'s live sessions', tags, security, params: S.UserParams, response: { 200: S.UserSessionList, ...S.errors } } }, async (request) => {
    const tenant = request.adminTenant;
    const user = await users.getUser(tenant.id, request.params.id);
    const idle = users.settings(tenant).sessionIdleTimeout;
    return { user: endUserBaseView(user), sessions: (await users.liveSessions(tenant, user.id)).map((s) => userSessionView(s, idle)) };
  });

  app.delete('/tenants/:tenant/users/:id/sessions', { config, schema: { summary: 'Sign a user out everywhere: revoke every session (access tokens via the revocation feed)', tags, security, params: S.UserParams, response: { 200: S.RevokedSessions, ...S.errors } } }, async (request) => {
    const user = await users.getUser(request.adminTenant.id, request.params.id);
    return revokedSessionsView(user.id, await users.revokeUserSessions(request.adminTenant.id, user.id, auditContext(request)));
  });

  app.delete('/tenants/:tenant/users/:id/sessions/:sid', { config, schema: { summary: 'Revoke one session of a user', tags, security, params: S.UserSessionParams, response: { 204: S.NoContent, ...S.errors } } }, async (request, reply) => {
    await users.revokeUserSession(request.adminTenant.id, request.params.id, request.params.sid, auditContext(request));
    return reply.code(204).send(null);
  });
};
