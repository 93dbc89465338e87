import type { App } from '../apps/model.js';
import { newJti } from '../crypto/random.js';
import { InvalidScope, InvalidTarget } from '../errors.js';
import type { TenantKeyRing } from '../keys/service.js';
import type { Scope, Tenant } from '../tenants/model.js';

/** RFC 6749 §3.3 scope-token: printable ASCII except space, `"` and `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

export interface GrantRequest {
  scope: string | undefined;
  /** `audience` and every `resource` (RFC 8707) the client sent. */
  audiences: string[];
}

export interface Grant {
  scopes: string[];
  audience: string;
  lifetime: number;
  /** The tenant and issuer the token is for, so issuance needs nothing but the app and the grant. */
  tenant: Tenant;
  issuer: string;
  /** RFC 9449: the DPoP key thumbprint the token is bound to (`cnf.jkt`); absent for a Bearer token. */
  jkt?: string;
}

/** The audience every app may ask for: the tenant's own API. */
export function defaultAudience(issuer: string): string {
  return `${issuer}/api`;
}

/** Names the refused scopes; a comma-separated list (the CLI's style) is one unknown scope to RFC 6749 §3.3. */
function refusedScopes(refused: string[]): InvalidScope {
  const commas = refused.some((scope) => scope.includes(','))
    ? ' (scopes are separated by spaces, not commas: scope=contacts_read contacts_write)' : '';
  return new InvalidScope(`scope not enabled for this app: ${refused.join(' ')}${commas}`);
}

/**
 * What a client-credentials request is granted (DESIGN "Token endpoint rules"): without `scope`,
 * the app's enabled scopes that the catalog marks default; with `scope`, exactly those, each of
 * which must be enabled on the app. The audience is the tenant default or one the app lists.
 */
export function resolveGrant(app: App, tenant: Tenant, catalog: Scope[], issuer: string, request: GrantRequest): Grant {
  let scopes: string[];
  if (request.scope === undefined) {
    const defaults = new Set(catalog.filter((s) => s.isDefault).map((s) => s.name));
    scopes = app.scopes.filter((s) => defaults.has(s));
  } else {
    const requested = request.scope.split(' ');
    if (requested.some((s) => !SCOPE_TOKEN.test(s))) throw new InvalidScope('scope must be scope tokens separated by single spaces');
    const known = new Set(catalog.map((s) => s.name));
    const refused = requested.filter((s) => !app.scopes.includes(s) || !known.has(s));
    if (refused.length > 0) throw refusedScopes(refused);
    scopes = [...new Set(requested)];
  }

  const distinct = [...new Set(request.audiences)];
  if (distinct.length > 1) throw new InvalidTarget('ask for one audience per token');
  const fallback = defaultAudience(issuer);
  const audience = distinct[0] ?? fallback;
  if (audience !== fallback && !app.audiences.includes(audience)) throw new InvalidTarget('this app may not request that audience');

  return { scopes, audience, lifetime: app.tokenLifetime ?? tenant.settings.defaultTokenLifetime, tenant, issuer };
}

export interface TokenResponse {
  access_token: string;
  /** `DPoP` when the token is bound to a DPoP key (RFC 9449 §5). */
  token_type: 'Bearer' | 'DPoP';
  expires_in: number;
  scope: string;
}

/** An RFC 9068 JWT access token for the grant. */
export async function issueJwtAccessToken(ring: TenantKeyRing, tenant: Tenant, issuer: string, app: App, grant: Grant, nowMs: number): Promise<TokenResponse> {
  const iat = Math.floor(nowMs / 1000);
  const scope = grant.scopes.join(' ');
  const accessToken = await ring.accessTokenSigner.sign({
    iss: issuer,
    sub: app.clientId,
    client_id: app.clientId,
    aud: grant.audience,
    scope,
    jti: newJti(),
    iat,
    exp: iat + grant.lifetime,
    tid: tenant.slug,
    // RFC 9449 §6.1: the confirmation of a DPoP-bound token.
    ...(grant.jkt === undefined ? {} : { cnf: { jkt: grant.jkt } }),
  });
  return { access_token: accessToken, token_type: grant.jkt === undefined ? 'Bearer' : 'DPoP', expires_in: grant.lifetime, scope };
}
