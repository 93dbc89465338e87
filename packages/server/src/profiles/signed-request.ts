import { InvalidClient, InvalidRequest } from '../errors.js';
import type { AppService } from '../apps/service.js';
import type { App } from '../apps/model.js';
import type { AccessTokenService } from '../oauth/access-tokens.js';
import { resolveGrant, type TokenResponse } from '../oauth/client-credentials.js';
import { matchSignedSecret } from '../oauth/secret-matching.js';
import type { Tenant } from '../tenants/model.js';
import type { TenantService } from '../tenants/service.js';
import { parseDuration } from '../util/duration.js';
import type { ReplayStore } from './replay-store.js';
import type { SignedRequestBody } from './schemas.js';
import { signatureMatches } from './signature.js';

/** The timestamp as signed (its decimal text as sent) and as a number of seconds. */
export interface SignedTimestamp {
  text: string;
  seconds: number;
}

export function readTimestamp(value: number | string): SignedTimestamp {
  const text = String(value);
  if (!/^[0-9]{1,11}$/.test(text)) throw new InvalidRequest('timestamp must be epoch seconds');
  return { text, seconds: Number(text) };
}

/**
 * A signed request is fresh when its timestamp is within `maxSkew` seconds of server time,
 * either way (clocks drift both ways). Compared in whole seconds: the client cannot send less.
 */
export function checkFreshness(timestampSeconds: number, nowMs: number, maxSkew: number): void {
  const nowSeconds = Math.floor(nowMs / 1000);
  if (Math.abs(nowSeconds - timestampSeconds) > maxSkew) {
    throw new InvalidRequest(`timestamp is more than ${maxSkew} s from server time: check the client's clock`);
  }
}

/** `expiration`: "5m", "1h", "1d", or seconds as a number or numeric string; at least 1 s. */
export function readExpiration(value: number | string): number {
  const seconds = parseDuration(value);
  if (seconds === null || seconds < 1) throw new InvalidRequest('expiration must be a duration such as 300, "300", "5m", "1h" or "1d"');
  return seconds;
}

/**
 * Until when a used signature_value must be remembered: after that, its timestamp is outside
 * the window, so the request would be refused as stale anyway (one extra second for rounding).
 */
export function replayExpiry(timestampSeconds: number, maxSkew: number): number {
  return (timestampSeconds + maxSkew + 1) * 1000;
}

export interface SignedRequestIssuance {
  tenants: TenantService;
  apps: AppService;
  accessTokens: AccessTokenService;
  /** Spends each signature_value once. */
  replay: ReplayStore;
  now: () => number;
}

/**
 * Signed-request profile (DESIGN "Signed-request profile"): checks freshness, finds the client
 * secret that signed (constant time per secret), spends the signature_value, then grants and
 * issues exactly as the token endpoint does (resolveGrant, then the app's token format).
 *
 * Order matters: the cheap stateless checks first; the value is spent only once the signature
 * is proven, so nobody without the secret can burn a client's values.
 */
export async function issueForSignedRequest(
  { tenants, apps, accessTokens, replay, now }: SignedRequestIssuance,
  tenant: Tenant,
  issuer: string,
  body: SignedRequestBody,
  /**
   * Runs the secret check under the failed client authentication budget (app.clientAuth.guard):
   * an HMAC compare is as good a guessing oracle as a Basic secret, so its failures count alike.
   */
  failureBudget: <T>(clientId: string, attempt: () => Promise<T>) => Promise<T>,
  /** RFC 9449 §5, as at /oauth/token: the thumbprint of the request's DPoP proof, null without one (refused when the app requires DPoP). */
  bindDpop: (client: App) => Promise<string | null>,
): Promise<TokenResponse> {
  const maxSkew = tenant.settings.signedRequestMaxSkew;
  const timestamp = readTimestamp(body.timestamp);
  checkFreshness(timestamp.seconds, now(), maxSkew);
  const expiration = body.expiration === undefined ? undefined : readExpiration(body.expiration);

  const app = await failureBudget(body.client_id, async () => {
    const record = await apps.findClient(body.client_id);
    const inTenant = record && record.app.tenantId === tenant.id ? record : null;
    const secretId = matchSignedSecret(
      inTenant,
      (secret) => signatureMatches(secret, body.signature_value, timestamp.text, body.signature),
      (sealed, id) => apps.openSealedSecret(sealed, id),
      now(),
    );
    if (secretId) apps.recordSecretUse(secretId);
    // One answer for every failure, as authenticateClient gives: nothing tells which ids exist.
    if (!inTenant || !secretId || inTenant.app.status !== 'active' || !inTenant.app.authMethods.includes('signed_request')) {
      throw new InvalidClient('client authentication failed');
    }
    return inTenant.app;
  });
  if (!(await replay.claim(app.clientId, body.signature_value, replayExpiry(timestamp.seconds, maxSkew)))) {
    throw new InvalidClient('signature_value was already used: sign each request with a new random value');
  }

  const grant = resolveGrant(app, tenant, await tenants.scopes(tenant.id), issuer, {
    scope: body.scopes,
    audiences: [body.audience],
  });
  if (expiration !== undefined && expiration > grant.lifetime) {
    throw new InvalidRequest(`expiration exceeds this app's maximum token lifetime of ${grant.lifetime} s`);
  }
  const jkt = await bindDpop(app);
  return accessTokens.issueAccessToken(app, { ...grant, lifetime: expiration ?? grant.lifetime, ...(jkt === null ? {} : { jkt }) });
}
