import type { FastifyReply } from 'fastify';
import type { SessionTokens } from './model.js';

/**
 * Cookie mode (DESIGN "End-user endpoints"): tokens travel in HTTP-only cookies that page scripts
 * cannot read (an XSS cannot steal them). Both are SameSite=Lax and, on https, Secure. The access
 * cookie has Path=/ so that the app's backend on the same host receives it: on https it is
 * `__Host-` prefixed (the browser then guarantees Secure, Path=/ and no Domain). The refresh
 * cookie goes only to the issuer's `/auth` routes (Path), where refresh and sign-out read it, which
 * rules out `__Host-`; it takes `__Secure-`.
 * Cookies are host-wide (ports do not separate them): the app and the issuer share a host.
 */
export interface CookieNames {
  access: string;
  refresh: string;
  secure: boolean;
  refreshPath: string;
  /** Where the refresh cookie lived before sign-out could read it (cleared on every write). */
  legacyRefreshPath: string;
}

export function cookieNames(issuer: string): CookieNames {
  const url = new URL(issuer);
  const secure = url.protocol === 'https:';
  return {
    access: secure ? '__Host-keymint_access' : 'keymint_access',
    refresh: secure ? '__Secure-keymint_refresh' : 'keymint_refresh',
    secure,
    refreshPath: `${url.pathname.replace(/\/$/, '')}/auth`,
    legacyRefreshPath: `${url.pathname.replace(/\/$/, '')}/auth/refresh`,
  };
}

export function setSessionCookies(reply: FastifyReply, issuer: string, tokens: SessionTokens, now: number): void {
  const names = cookieNames(issuer);
  const common = { httpOnly: true, secure: names.secure, sameSite: 'lax' as const };
  reply.setCookie(names.access, tokens.accessToken, { ...common, path: '/', maxAge: tokens.expiresIn });
  reply.setCookie(names.refresh, tokens.refreshToken, {
    ...common,
    path: names.refreshPath,
    maxAge: Math.max(0, Math.floor((tokens.sessionExpiresAt - now) / 1000)),
  });
  clearLegacyRefreshCookie(reply, names);
}

/**
 * A browser that still holds a refresh cookie under the old, narrower Path would send it first
 * (longer paths come first) to /auth/refresh next to the new one, and a spent token there ends the
 * session as reuse: so every write of the session cookies also deletes the old one.
 */
function clearLegacyRefreshCookie(reply: FastifyReply, names: CookieNames): void {
  reply.setCookie(names.refresh, '', { httpOnly: true, secure: names.secure, sameSite: 'lax', maxAge: 0, path: names.legacyRefreshPath });
}

export function clearSessionCookies(reply: FastifyReply, issuer: string): void {
  const names = cookieNames(issuer);
  const common = { httpOnly: true, secure: names.secure, sameSite: 'lax' as const, maxAge: 0 };
  reply.setCookie(names.access, '', { ...common, path: '/' });
  reply.setCookie(names.refresh, '', { ...common, path: names.refreshPath });
  clearLegacyRefreshCookie(reply, names);
}
