import type { FastifyReply, FastifyRequest } from 'fastify';
import { Forbidden } from '../errors.js';
import type { UserService } from './service.js';

/** The non-safelisted header cookie-mode requests must carry: a cross-site form cannot set it. */
export const CSRF_HEADER = 'x-keymint-csrf';

const ALLOWED_HEADERS = `authorization, content-type, ${CSRF_HEADER}`;

/**
 * CORS for the `/auth` routes, per tenant: only origins on the tenant's list get
 * Access-Control-Allow-Origin (never `*`), and credentials (cookies) only in cookie mode.
 */
export function corsHook(users: UserService) {
  return async function cors(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    reply.header('vary', 'Origin');
    const origin = request.headers.origin;
    if (origin === undefined) return;
    const settings = users.settings(request.tenant);
    if (!settings.allowedOrigins.includes(origin)) return;
    reply.header('access-control-allow-origin', origin);
    if (settings.tokenMode === 'cookie') reply.header('access-control-allow-credentials', 'true');
    if (request.method === 'OPTIONS') {
      reply.header('access-control-allow-methods', 'GET, POST');
      reply.header('access-control-allow-headers', ALLOWED_HEADERS);
      reply.header('access-control-max-age', '600');
    }
  };
}

/**
 * Cross-site request forgery defence for cookie mode (OWASP CSRF cheat sheet), before any body
 * is read: the browser's Origin (or, without one, Sec-Fetch-Site) must be the issuer's own
 * origin or an allowed one, and the request must carry `X-Keymint-CSRF: 1`. A form posted from
 * another site fails both; a cross-origin fetch that sets the header needs a CORS preflight,
 * which only allowed origins pass. Bearer mode needs none of this: no ambient credential exists.
 */
export function csrfHook(users: UserService) {
  return async function csrf(request: FastifyRequest): Promise<void> {
    if (users.settings(request.tenant).tokenMode !== 'cookie') return;
    const origin = request.headers.origin;
    if (origin !== undefined) {
      const own = new URL(request.issuer).origin;
      if (origin !== own && !users.settings(request.tenant).allowedOrigins.includes(origin)) {
        throw new Forbidden('this origin may not call the sign-in routes of this tenant');
      }
    } else {
      const site = request.headers['sec-fetch-site'];
      if (site !== undefined && site !== 'same-origin' && site !== 'none') throw new Forbidden('cross-site requests are refused');
    }
    if (request.headers[CSRF_HEADER] !== '1') throw new Forbidden(`cookie-mode requests must carry the ${CSRF_HEADER}: 1 header`);
  };
}
