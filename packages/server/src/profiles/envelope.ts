import { UnsupportedGrantType } from '../errors.js';
import type { FormBody } from '../http/form-body.js';
import { param } from '../http/form-body.js';
import type { App } from '../apps/model.js';
import type { AccessTokenService } from '../oauth/access-tokens.js';
import { readClientCredentials, type PresentedCredentials } from '../oauth/client-auth.js';
import { resolveGrant, type TokenResponse } from '../oauth/client-credentials.js';
import type { Tenant } from '../tenants/model.js';
import type { TenantService } from '../tenants/service.js';

export interface EnvelopeIssuance {
  tenants: TenantService;
  accessTokens: AccessTokenService;
}

/**
 * Envelope profile (DESIGN "Envelope profile"): form `client_id` + `client_secret`, optional
 * `grant_type` (only client_credentials) and `scope`, answered `{"data": token}`. The rules are
 * the token endpoint's: same client authentication, grant resolution and issuance. The
 * Authorization header is not read: this profile's clients send the form only.
 */
export async function issueForEnvelopeRequest(
  { tenants, accessTokens }: EnvelopeIssuance,
  tenant: Tenant,
  issuer: string,
  body: FormBody,
  /** Client authentication under the failed-attempt budget (app.clientAuth), as at /oauth/token. */
  authenticate: (credentials: PresentedCredentials) => Promise<App>,
  /** RFC 9449 §5, as at /oauth/token: the thumbprint of the request's DPoP proof, null without one (refused when the app requires DPoP). */
  bindDpop: (client: App) => Promise<string | null>,
): Promise<{ data: TokenResponse }> {
  const credentials = readClientCredentials(undefined, {
    client_id: param(body, 'client_id'),
    client_secret: param(body, 'client_secret'),
  });
  const grantType = param(body, 'grant_type');
  if (grantType !== undefined && grantType !== 'client_credentials') {
    throw new UnsupportedGrantType(`grant_type ${grantType.slice(0, 64)} is not supported: omit it or send client_credentials`);
  }
  const client = await authenticate(credentials);
  const grant = resolveGrant(client, tenant, await tenants.scopes(tenant.id), issuer, { scope: param(body, 'scope'), audiences: [] });
  const jkt = await bindDpop(client);
  return { data: await accessTokens.issueAccessToken(client, jkt === null ? grant : { ...grant, jkt }) };
}
