import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditContext } from '../audit/service.js';
import { Forbidden, InvalidToken, MissingToken } from '../errors.js';
import { checkCsrf, type CsrfPolicy } from '../http/csrf.js';
import { readCookie } from '../http/cookies.js';
import { tenantSlugParam } from '../http/tenant-scope.js';
import type { Tenant } from '../tenants/model.js';
import type { TenantService } from '../tenants/service.js';
import type { AdminPrincipal } from './model.js';
import type { AdminService, NewSession } from './service.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Admin route reachable without credentials (sign-in, setup). */
    adminPublic?: boolean;
    /** Unsafe admin route a viewer may call too (sign-out). */
    adminAnyRole?: boolean;
  }
  interface FastifyRequest {
    admin: AdminPrincipal;
    adminTenant: Tenant;
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Cookie name: `__Host-` (Secure, Path=/, no Domain) whenever the console is served over https. */
export function sessionCookieName(publicUrl: string): string {
  return publicUrl.startsWith('https:') ? '__Host-keymint_admin' : 'keymint_admin';
}

export function setSessionCookie(reply: FastifyReply, publicUrl: string, session: NewSession | null): void {
  const secure = publicUrl.startsWith('https:');
  const value = session ? session.sessionId : '';
  const maxAge = session ? Math.floor((session.expiresAt - Date.now()) / 1000) : 0;
  reply.header('set-cookie', `${sessionCookieName(publicUrl)}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${Math.max(0, maxAge)}${secure ? '; Secure' : ''}`);
}

export function auditContext(request: FastifyRequest): AuditContext {
  return { actor: 'admin', actorId: request.admin.email + (request.admin.tokenId ? ` (token ${request.admin.tokenId})` : ''), ip: request.ip };
}

/**
 * The CSRF rule (http/csrf.ts) for console sessions (OWASP ASVS 5.0 V3.5): an unsafe request must
 * come from the console's own origin (Origin, else Sec-Fetch-Site: same-origin; a request with
 * neither is refused, since the cookie rides along on any request) and, once signed in, echo the
 * session's CSRF token in X-CSRF-Token. Sign-in and setup (no session yet) get the origin check
 * alone: login CSRF.
 */
function csrfPolicy(publicUrl: string, csrfToken?: (value: string | undefined) => boolean): CsrfPolicy {
  return {
    origins: [new URL(publicUrl).origin],
    withoutOrigin: { sites: ['same-origin'], missing: false },
    header: csrfToken ? { name: 'x-csrf-token', matches: csrfToken } : undefined,
  };
}

/**
 * Authenticates every admin route: `Authorization: Bearer kmo_…` (scripts) or the console
 * session cookie; then enforces CSRF, the role (viewer: read only) and the tenant reach.
 */
export interface AdminAuthOptions {
  admins: Pick<AdminService, 'resolveToken' | 'resolveSession' | 'csrfMatches'>;
  /** The `:tenant` of a route, resolved once the admin may reach it. */
  tenants: Pick<TenantService, 'findBySlug'>;
  publicUrl: () => string;
}

export function installAdminAuth(app: FastifyInstance, { admins, tenants, publicUrl }: AdminAuthOptions): void {
  app.decorateRequest('admin', null as unknown as AdminPrincipal);
  app.decorateRequest('adminTenant', null as unknown as Tenant);
  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config;
    const unsafe = UNSAFE.has(request.method);
    if (config.adminPublic) {
      // Login CSRF: a sign-in or setup posted from another site is refused too.
      if (unsafe) checkCsrf(request, csrfPolicy(publicUrl()));
      return;
    }
    const authorization = request.headers.authorization;
    if (authorization !== undefined) {
      const match = /^Bearer ([^\s]+)$/i.exec(authorization);
      if (!match) throw new InvalidToken('expected Authorization: Bearer kmo_…');
      request.admin = await admins.resolveToken(match[1]!);
    } else {
      const sessionId = readCookie(request, sessionCookieName(publicUrl()));
      const principal = sessionId ? await admins.resolveSession(sessionId) : null;
      if (!principal) throw new MissingToken('sign in first, or send an admin token');
      if (unsafe) checkCsrf(request, csrfPolicy(publicUrl(), (value) => admins.csrfMatches(principal, value)));
      request.admin = principal;
    }
    if (unsafe && !config.adminAnyRole && request.admin.role !== 'owner') throw new Forbidden('viewers may only read');
    const slug = tenantSlugParam(request.params);
    if (slug !== undefined) {
      const tenant = await tenants.findBySlug(slug);
      if (!tenant || !mayReach(request.admin, tenant.id)) {
        // The same answer for "no such tenant" and "not yours": another tenant's name is not disclosed.
        throw new Forbidden(`no access to tenant ${slug}`);
      }
      request.adminTenant = tenant;
    }
  });
}

export function mayReach(admin: AdminPrincipal, tenantId: string): boolean {
  return admin.tenantId === null || admin.tenantId === tenantId;
}
