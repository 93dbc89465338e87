import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Forbidden } from '../errors.js';
import { endUserSettings } from '../users/settings.js';
import { preflightResponses } from './no-body.js';

/**
 * CORS rule for endpoints that spend or issue tokens (`/oauth/token`, `/connect/token`): only the
 * tenant's allowed origins (`keymint users settings --origins`) and the issuer's own origin may
 * call them from a browser. A request whose Origin is anything else is refused here, in
 * `onRequest`, before its body is even parsed: CORS alone only hides the answer from the page,
 * after the server has already spent the refresh token it carried, and the next refresh with that
 * token would then revoke the session as a replay (RFC 9700 §4.14.2). Requests without Origin
 * (servers, CLIs, mobile apps) are not browsers' and pass untouched. No credentials: the token
 * endpoint reads none from cookies.
 */
export function tenantOriginsCors() {
  return async function tenantOriginCors(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    reply.header('vary', 'Origin');
    const origin = request.headers.origin;
    if (origin === undefined) return;
    if (origin !== new URL(request.issuer).origin && !endUserSettings(request.tenant).allowedOrigins.includes(origin)) {
      throw new Forbidden('this origin may not call the token endpoint of this tenant (keymint users settings --origins)');
    }
    reply.header('access-control-allow-origin', origin);
    // RFC 9449 §8: a browser client reads the server nonce it must use next.
    reply.header('access-control-expose-headers', 'DPoP-Nonce');
    if (request.method === 'OPTIONS') {
      reply.header('access-control-allow-methods', 'POST');
      // Authorization: client_secret_basic from a browser; content-type is safelisted only for forms; DPoP: RFC 9449 proofs.
      reply.header('access-control-allow-headers', 'authorization, content-type, dpop');
      reply.header('access-control-max-age', '600');
    }
  };
}

/** Adds the OPTIONS preflight answer for `url`, checked by the same rule as the route itself. */
export function tenantOriginsPreflight(app: FastifyInstance, url: string, rule: ReturnType<typeof tenantOriginsCors>): void {
  app.options(url, { schema: { hide: true, response: preflightResponses }, config: { errorProfile: 'oauth' }, onRequest: rule }, async (_request, reply) => reply.code(204).send());
}
