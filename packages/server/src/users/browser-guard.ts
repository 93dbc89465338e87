import type { FastifyReply, FastifyRequest } from 'fastify';
import { csrfGuard } from '../http/csrf.js';
import { endUserSettings } from './settings.js';

/** The non-safelisted header cookie-mode requests must carry: a cross-site form cannot set it. */
export const CSRF_HEADER = 'x-keymint-csrf';

const ALLOWED_HEADERS = `authorization, content-type, dpop, ${CSRF_HEADER}`;

/**
 * CORS for the `/auth` routes, per tenant: only origins on the tenant's list get
 * Access-Control-Allow-Origin (never `*`), and credentials (cookies) only in cookie mode.
 */
export function corsHook() {
  return async function cors(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    reply.header('vary', 'Origin');
    const origin = request.headers.origin;
    if (origin === undefined) return;
    const settings = endUserSettings(request.tenant);
    if (!settings.allowedOrigins.includes(origin)) return;
    reply.header('access-control-allow-origin', origin);
    if (settings.tokenMode === 'cookie') reply.header('access-control-allow-credentials', 'true');
    // RFC 9449 §8/§9: a page must read the nonce (and, signed in, the challenge) of a use_dpop_nonce answer to retry with it.
    reply.header('access-control-expose-headers', 'DPoP-Nonce, WWW-Authenticate');
    if (request.method === 'OPTIONS') {
      reply.header('access-control-allow-methods', 'GET, POST');
      reply.header('access-control-allow-headers', ALLOWED_HEADERS);
      reply.header('access-control-max-age', '600');
    }
  };
}

/**
 * The CSRF rule (http/csrf.ts) for cookie mode: the browser's Origin must be the issuer's own
 * origin or an allowed one (without Origin, Sec-Fetch-Site must not say cross-site; a request
 * with neither is no browser's), and the request must carry `X-Keymint-CSRF: 1`. Bearer mode
 * needs none of this: no ambient credential exists.
 */
export function csrfHook() {
  return csrfGuard((request) => {
    const settings = endUserSettings(request.tenant);
    if (settings.tokenMode !== 'cookie') return null;
    return {
      origins: [new URL(request.issuer).origin, ...settings.allowedOrigins],
      withoutOrigin: { sites: ['same-origin', 'none'], missing: true },
      header: { name: CSRF_HEADER, matches: (value) => value === '1' },
    };
  });
}
