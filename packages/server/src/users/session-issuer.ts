import { sha256 } from '../crypto/hash.js';
import { newId } from '../crypto/random.js';
import { newRefreshToken, refreshHandle } from '../crypto/refresh-token.js';
import type { KeyService } from '../keys/service.js';
import type { Db } from '../store/database.js';
import type { Tenant } from '../tenants/model.js';
import { userDid, type SessionTokens, type SessionUser } from './model.js';
import { accessExpiry } from './session-state.js';
import { endUserSettings } from './settings.js';

export interface SessionIssuerDeps {
  db: Db;
  keys: KeyService;
  now: () => number;
}

/**
 * Opens end-user sessions and signs their tokens: a `kmr_` refresh token (its hash kept on the session), an ES256
 * access token and an identity token, both with the tenant's lifetimes and keys.
 */
export class SessionIssuer {
  constructor(private readonly deps: SessionIssuerDeps) {}

  /**
   * Opens a session for a user whose credentials were just checked. `jkt`: the thumbprint of the
   * request's verified DPoP proof key (RFC 9449 §5), which the session's refresh tokens and its
   * access tokens are then bound to; null opens a Bearer session.
   */
  async start(tenant: Tenant, issuer: string, user: SessionUser, jkt: string | null = null): Promise<SessionTokens> {
    const now = this.deps.now();
    const settings = endUserSettings(tenant);
    const sessionId = newId('ses');
    const expiresAt = now + settings.sessionAbsoluteLifetime * 1000;
    let refreshToken = newRefreshToken();
    for (let attempt = 1; ; attempt++) {
      try {
        await this.deps.db.insertInto('user_sessions').values({
          id: sessionId, tenant_id: tenant.id, user_id: user.id, created_at: now, last_used_at: now, expires_at: expiresAt,
          access_expires_at: accessExpiry(now, settings), revoked_at: null, jkt,
          refresh_handle: refreshHandle(refreshToken), refresh_hash: sha256(refreshToken), refresh_generation: 0, refresh_rotated_at: null, refresh_burst_started_at: null, refresh_burst_length: 0,
        }).execute();
        break;
      } catch (error) {
        // Two sessions drew the same ~65-bit handle (about one in 10^6 after ten million sessions):
        // the unique index refused the second, which draws again.
        if (attempt === 3 || !String((error as Error).message).includes('refresh_handle')) throw error;
        refreshToken = newRefreshToken();
      }
    }
    return this.tokensFor(tenant, issuer, user, { id: sessionId, expiresAt, jkt }, refreshToken, now);
  }

  /**
   * The tokens of an open session (a new one, or one whose refresh token was just rotated). A
   * DPoP-bound session's access token carries `cnf.jkt` (RFC 9449 §6.1) in bearer mode. In cookie
   * mode it does not: the page cannot read an HTTP-only cookie, so it could never compute the
   * `ath` of a resource proof (§4.2); there the binding protects the refresh cookie.
   */
  async tokensFor(tenant: Tenant, issuer: string, user: SessionUser, session: { id: string; expiresAt: number; jkt: string | null }, refreshToken: string, nowMs: number): Promise<SessionTokens> {
    const ring = await this.deps.keys.ring(tenant.id);
    const settings = endUserSettings(tenant);
    const iat = Math.floor(nowMs / 1000);
    const exp = iat + settings.accessTokenLifetime;
    const sub = userDid(user.id);
    const emailVerified = user.email_verified_at !== null;
    const bound = session.jkt !== null && settings.tokenMode === 'bearer';
    const [accessToken, identityToken] = await Promise.all([
      ring.userTokenSigner.sign({ iss: issuer, sub, aud: tenant.appId, sid: session.id, iat, exp, email_verified: emailVerified, ...(bound ? { cnf: { jkt: session.jkt } } : {}) }),
      // OpenID Connect Core §5.1: email_verified says whether the owner of `email` proved it.
      ring.identityTokenSigner.sign({ iss: issuer, sub, aud: tenant.appId, sid: session.id, iat, exp, email: user.email, email_verified: emailVerified, auth_time: iat }),
    ]);
    return {
      accessToken,
      tokenType: bound ? 'DPoP' : 'Bearer',
      identityToken,
      refreshToken,
      expiresIn: settings.accessTokenLifetime,
      user: { id: user.id, email: user.email, email_verified: emailVerified },
      sessionId: session.id,
      sessionExpiresAt: session.expiresAt,
      refreshReuseGrace: settings.refreshReuseGrace,
    };
  }
}
