import type { FastifyRequest } from 'fastify';
import { Forbidden } from '../errors.js';

/**
 * Where a cookie-authenticated browser request may come from, and the header only a same-origin
 * (or CORS-preflighted) script can add.
 */
export interface CsrfPolicy {
  /** Origins (scheme://host[:port]) accepted in the Origin header: the server's own, then any allowed. */
  origins: readonly string[];
  /**
   * Sec-Fetch-Site values accepted when the browser sent no Origin; `missing` also accepts a
   * request with neither header (a non-browser client, which carries no ambient cookie risk).
   */
  withoutOrigin: { sites: readonly string[]; missing: boolean };
  /** The anti-forgery header: its name and whether the value sent is right. Absent: origin check only. */
  header?: { name: string; matches: (value: string | undefined) => boolean };
}

function headerValue(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? undefined : value;
}

/** True when the request's Origin (else Sec-Fetch-Site) is one the policy accepts. */
export function originAllowed(request: FastifyRequest, policy: Pick<CsrfPolicy, 'origins' | 'withoutOrigin'>): boolean {
  const origin = request.headers.origin;
  if (origin !== undefined) return policy.origins.includes(origin);
  const site = headerValue(request, 'sec-fetch-site');
  return site === undefined ? policy.withoutOrigin.missing : policy.withoutOrigin.sites.includes(site);
}

/**
 * Cross-site request forgery defence for cookie-authenticated requests (OWASP CSRF cheat sheet,
 * ASVS 5.0 V3.5), checked before any body is read: the request must come from an accepted
 * origin and carry the policy's header, which no cross-site HTML form can set and a cross-origin
 * script can set only after a CORS preflight that only accepted origins pass. Throws Forbidden.
 * Attached by the console/admin API (admin/auth.ts) and the end-user `/auth` routes in cookie
 * mode (users/routes.ts); requests authenticated by a header carry no ambient credential.
 */
export function checkCsrf(request: FastifyRequest, policy: CsrfPolicy): void {
  if (!originAllowed(request, policy)) {
    throw new Forbidden(request.headers.origin !== undefined ? 'cross-origin request refused' : 'cross-site request refused');
  }
  if (policy.header && !policy.header.matches(headerValue(request, policy.header.name))) {
    throw new Forbidden(`missing or wrong ${policy.header.name} header`);
  }
}

/** `onRequest` hook form of checkCsrf: `policyOf` returns null where the route needs no check. */
export function csrfGuard(policyOf: (request: FastifyRequest) => CsrfPolicy | null) {
  return async function csrf(request: FastifyRequest): Promise<void> {
    const policy = policyOf(request);
    if (policy) checkCsrf(request, policy);
  };
}
