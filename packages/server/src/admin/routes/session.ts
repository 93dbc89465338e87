import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { readCookie } from '../../http/cookies.js';
import type { TenantService } from '../../tenants/service.js';
import { auditContext, sessionCookieName, setSessionCookie } from '../auth.js';
import type { AdminPrincipal } from '../model.js';
import * as S from '../schemas.js';
import type { AdminService, NewSession } from '../service.js';
import { config, security, slugOf } from './common.js';

export interface SessionRoutesOptions {
  admins: Pick<AdminService, 'signIn' | 'signOut' | 'csrfTokenOf' | 'inspectSetup' | 'completeSetup'>;
  tenants: Pick<TenantService, 'list'>;
  publicUrl: () => string;
}

/** Console sign-in, sign-out and one-time setup links (docs/admin.md "Console"). */
export const sessionRoutes: FastifyPluginAsyncTypebox<SessionRoutesOptions> = async (app, { admins, tenants, publicUrl }) => {
  const open = { ...config, adminPublic: true };
  const tags = ['admin: session'];
  const accountView = async (admin: AdminPrincipal) => ({ email: admin.email, role: admin.role, tenant: await slugOf(tenants, admin.tenantId), via: admin.via });
  const sessionView = async (session: NewSession) => ({
    account: await accountView({ email: session.account.email, role: session.account.role, tenantId: session.account.tenantId, via: 'session' }),
    csrf_token: session.csrfToken,
    expires_at: new Date(session.expiresAt).toISOString(),
  });

  app.post('/session', { config: open, schema: { summary: 'Sign in (sets the console session cookie)', tags, body: S.SignInBody, response: { 200: S.SessionView, ...S.errors } } }, async (request, reply) => {
    const session = await admins.signIn(request.body.email, request.body.password, request.ip);
    setSessionCookie(reply, publicUrl(), session);
    return sessionView(session);
  });

  app.get('/session', { config, schema: { summary: 'Who is signed in; the CSRF token of a console session', tags, security, response: { 200: S.SessionView, ...S.errors } } }, async (request) => {
    const sessionId = request.admin.via === 'session' ? readCookie(request, sessionCookieName(publicUrl())) : undefined;
    return { account: await accountView(request.admin), csrf_token: sessionId ? admins.csrfTokenOf(sessionId) : null, expires_at: null };
  });

  app.delete('/session', { config: { ...config, adminAnyRole: true }, schema: { summary: 'Sign out', tags, security, response: { 204: S.NoContent, ...S.errors } } }, async (request, reply) => {
    const sessionId = readCookie(request, sessionCookieName(publicUrl()));
    if (sessionId) await admins.signOut(sessionId, auditContext(request));
    setSessionCookie(reply, publicUrl(), null);
    return reply.code(204).send(null);
  });

  app.post('/setup/inspect', { config: open, schema: { summary: 'Check a one-time setup link', tags, body: S.InspectSetupBody, response: { 200: S.SetupInfo, ...S.errors } } }, async (request) => {
    const info = await admins.inspectSetup(request.body.token);
    return { email: info.email, expires_at: new Date(info.expiresAt).toISOString() };
  });

  app.post('/setup', { config: open, schema: { summary: 'Use a one-time setup link: choose a password (and, on first start, the owner email)', tags, body: S.SetupBody, response: { 200: S.SessionView, ...S.errors } } }, async (request, reply) => {
    const { token, email, password } = request.body;
    const session = await admins.completeSetup({ token, email, password }, request.ip);
    setSessionCookie(reply, publicUrl(), session);
    return sessionView(session);
  });
};
