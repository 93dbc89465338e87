import { createAuthTokenVerifier, type AuthInfo, type AuthTokenVerifier } from '@keymint/sdk/node';
import { DpopBoundToken, InvalidDpopProof, InvalidToken } from '../errors.js';
import { toKeymintError } from '../http/errors.js';
import type { KeyService } from '../keys/service.js';
import type { DpopService } from '../oauth/dpop.js';
import type { Db } from '../store/database.js';
import type { Tenant } from '../tenants/model.js';
import { endUserOf, userSessionOf, type EndUser, type UserSession } from './model.js';
import { sessionEnded } from './session-state.js';
import { endUserSettings } from './settings.js';

export interface EndUserTokenCheckDeps {
  db: Db;
  keys: KeyService;
  now: () => number;
  /** Checks the proof that comes with a DPoP-bound access token (RFC 9449 §7.1). */
  dpop: DpopService;
}

/** How a signed-in request presented its access token in `Authorization`, for the DPoP rule. */
export interface AccessTokenPresentation {
  scheme: 'Bearer' | 'DPoP';
  token: string;
  proof: string | string[] | undefined;
  method: string;
  /** The public URL of the request (a proof's `htu`). */
  url: string;
}

/**
 * Checks end-user access tokens the way app backends do (the SDK's verifier, keys from memory
 * instead of HTTP to ourselves), and, for Keymint's own session routes, that the session is live.
 */
export class EndUserTokenCheck {
  private readonly verifiers = new Map<string, AuthTokenVerifier>();

  constructor(private readonly deps: EndUserTokenCheckDeps) {}

  /** The claims of an end-user access token of this tenant (signature, issuer, audience, type, expiry), session not checked. */
  async verifyAccessToken(tenant: Tenant, issuer: string, accessToken: string): Promise<AuthInfo> {
    try {
      return await this.verifierFor(tenant, issuer).verifyAuthToken(accessToken);
    } catch (error) {
      throw toKeymintError(error);
    }
  }

  /**
   * RFC 9449 §7.1 at the signed-in routes: a bound token (`cnf.jkt`) only as `DPoP` with a proof
   * for this request by its key (`ath`, fresh `jti`, nonce when on), an unbound one only as `Bearer`.
   * @throws {DpopBoundToken} 401: a bound token sent as Bearer
   * @throws {InvalidDpopProof} 401: an unbound token sent as DPoP, or a proof that fails a check
   * @throws {UseDpopNonce} 401 with `DPoP-Nonce`: nonces are on and the proof lacks the current one
   */
  async checkPresentation(tenant: Tenant, issuer: string, presentation: AccessTokenPresentation): Promise<void> {
    const { jkt } = await this.verifyAccessToken(tenant, issuer, presentation.token);
    if (jkt === undefined) {
      if (presentation.scheme === 'DPoP') throw new InvalidDpopProof('this token is not DPoP-bound: send it with the Bearer scheme', 401);
      return;
    }
    if (presentation.scheme === 'Bearer') throw new DpopBoundToken('this token is DPoP-bound: send it with the DPoP scheme and a DPoP proof');
    await this.deps.dpop.checkPresentation({ proof: presentation.proof, method: presentation.method, url: presentation.url, accessToken: presentation.token, jkt });
  }

  /** A verified access token whose session is still live in the database, with its user. */
  async authenticate(tenant: Tenant, issuer: string, accessToken: string): Promise<{ info: AuthInfo; user: EndUser; session: UserSession }> {
    const info = await this.verifyAccessToken(tenant, issuer, accessToken);
    const { db } = this.deps;
    const row = await db.selectFrom('user_sessions').selectAll().where('id', '=', info.sessionId).where('tenant_id', '=', tenant.id).executeTakeFirst();
    const ended = row ? sessionEnded(row, endUserSettings(tenant), this.deps.now()) : 'the session does not exist';
    if (!row || ended || row.user_id !== info.userId) throw new InvalidToken(ended ?? 'the session does not match the token');
    const user = await db.selectFrom('end_users').selectAll().where('id', '=', row.user_id).executeTakeFirstOrThrow();
    return { info, user: endUserOf(user), session: userSessionOf(row) };
  }

  close(): void {
    for (const verifier of this.verifiers.values()) verifier.close();
  }

  private verifierFor(tenant: Tenant, issuer: string): AuthTokenVerifier {
    const key = `${tenant.id} ${issuer}`;
    let verifier = this.verifiers.get(key);
    if (!verifier) {
      verifier = createAuthTokenVerifier({
        issuer,
        appId: tenant.appId,
        getKey: async (header, token) => (await this.deps.keys.ring(tenant.id)).verificationKeys(header, token),
        // Revocation is checked against the session row instead; results are not cached for the same reason.
        revocationPollMs: false,
        cacheSize: 0,
        now: this.deps.now,
      });
      this.verifiers.set(key, verifier);
    }
    return verifier;
  }
}
