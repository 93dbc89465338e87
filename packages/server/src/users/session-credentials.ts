import { sha256 } from '../crypto/hash.js';
import { refreshHandle } from '../crypto/refresh-token.js';
import { TOKEN_PREFIXES } from '../crypto/token-format.js';
import { InvalidToken, KeymintError, MissingToken } from '../errors.js';
import type { Db } from '../store/database.js';
import type { UserSessionRow } from '../store/schema.js';
import type { InRevocation } from '../leaks/service.js';
import type { Tenant } from '../tenants/model.js';
import { userDid } from './model.js';
import type { UserSessions } from './sessions.js';
import { sessionEnded } from './session-state.js';
import { endUserSettings } from './settings.js';
import type { EndUserTokenCheck } from './token-check.js';

/** RFC 7662 §2.2 members for an active end-user token (docs/credential-lifecycle.md). */
export interface EndUserIntrospection {
  active: true;
  client_id: string;
  token_type?: 'Bearer' | 'DPoP';
  /** RFC 9449 §6.2: the key a bound access token (or the refresh token of a bound session) is bound to. */
  cnf?: { jkt: string };
  exp: number;
  iat: number;
  sub: string;
  aud: string;
  iss: string;
  sid: string;
}

/** Longer than any end-user token Keymint issues: anything bigger is refused before any crypto. */
const MAX_TOKEN_LENGTH = 4096;

/**
 * What an end-user session's credentials (the `kmr_` refresh token, the access JWT with its `sid`)
 * can do outside refreshing: end the session at sign-out and at RFC 7009 revocation, and describe
 * themselves to RFC 7662 introspection. One rule for all three: a credential names its session, and
 * revoking it ends that session (end-user access tokens carry no `jti`, and RFC 7009 §2.1 lets a
 * server revoke the whole grant).
 */
export interface SessionCredentialsDeps {
  db: Db;
  sessions: UserSessions;
  tokenCheck: EndUserTokenCheck;
  now: () => number;
}

export class SessionCredentials {
  constructor(private readonly deps: SessionCredentialsDeps) {}

  /**
   * Sign-out (`POST /auth/signout`): ends the session the refresh token, or failing that the access
   * token, belongs to. A spent refresh token still names its session, and an access token whose
   * session already ended is fine: signing out twice is not an error. An expired access token is not
   * accepted (anyone who ever held it could end the session); clients send the refresh token, which
   * outlives it. InvalidToken when neither credential names a session of this tenant.
   */
  async signOut(tenant: Tenant, issuer: string, credentials: { refreshToken?: string | undefined; accessToken?: string | undefined }): Promise<void> {
    const { refreshToken, accessToken } = credentials;
    if (refreshToken === undefined && accessToken === undefined) throw new MissingToken('sign-out needs the refresh token (body or cookie) or the access token');
    if (refreshToken !== undefined) {
      const found = await this.sessionOfRefreshToken(tenant, refreshToken);
      if (found) {
        await this.deps.sessions.revoke(tenant.id, found.session.id, this.deps.now());
        return;
      }
      if (accessToken === undefined) throw new InvalidToken('the refresh token is not valid');
    }
    const info = await this.deps.tokenCheck.verifyAccessToken(tenant, issuer, accessToken!);
    await this.deps.sessions.revoke(tenant.id, info.sessionId, this.deps.now());
  }

  /**
   * RFC 7009 §2.1 for end-user tokens: a `kmr_` refresh token or an unexpired end-user access token
   * of this tenant ends its session. True when `token` was one (revoked now or already over), false
   * when it is anything else (an app token, garbage), which the caller then handles.
   */
  async revoke(tenant: Tenant, issuer: string, token: string): Promise<boolean> {
    if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return false;
    if (token.startsWith(TOKEN_PREFIXES.refreshToken)) {
      const found = await this.sessionOfRefreshToken(tenant, token);
      if (found) await this.deps.sessions.revoke(tenant.id, found.session.id, this.deps.now());
      return true;
    }
    const info = await this.accessTokenInfo(tenant, issuer, token);
    if (!info) return false;
    await this.deps.sessions.revoke(tenant.id, info.sessionId, this.deps.now());
    return true;
  }

  /**
   * A leaked `kmr_` refresh token of any tenant (leaks/): ends its session like `revoke` when the
   * session was still open; the session's tenant and id, or null (malformed, unknown, already ended).
   */
  async revokeLeaked(token: string, alsoIn?: InRevocation): Promise<{ tenantId: string; id: string } | null> {
    const handle = refreshHandle(token);
    if (handle === null) return null;
    const row = await this.deps.db.selectFrom('user_sessions').select(['id', 'tenant_id']).where('refresh_handle', '=', handle).executeTakeFirst();
    if (!row) return null;
    const revoked = { tenantId: row.tenant_id, id: row.id };
    const ended = await this.deps.sessions.revoke(row.tenant_id, row.id, this.deps.now(), alsoIn && ((trx) => alsoIn(trx, revoked)));
    return ended ? revoked : null;
  }

  /**
   * RFC 7662 for end-user tokens: an unspent refresh token, or an access token, of a live session of
   * this tenant is active; anything else (spent, revoked, expired, idle, unknown) is null.
   */
  async inspect(tenant: Tenant, issuer: string, token: string): Promise<EndUserIntrospection | null> {
    if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return null;
    if (token.startsWith(TOKEN_PREFIXES.refreshToken)) {
      const found = await this.sessionOfRefreshToken(tenant, token);
      if (!found || found.spent) return null;
      const { session } = found;
      const settings = endUserSettings(tenant);
      if (sessionEnded(session, settings, this.deps.now())) return null;
      // The refresh token works until the session's absolute end or its idle end, whichever is first.
      const end = Math.min(Number(session.expires_at), Number(session.last_used_at) + settings.sessionIdleTimeout * 1000);
      return {
        active: true, client_id: tenant.appId, exp: Math.floor(end / 1000), iat: Math.floor(Number(session.refresh_rotated_at ?? session.created_at) / 1000),
        sub: userDid(session.user_id), aud: tenant.appId, iss: issuer, sid: session.id,
        ...(session.jkt === null ? {} : { cnf: { jkt: session.jkt } }),
      };
    }
    if (token.split('.').length !== 3) return null;
    try {
      const { info } = await this.deps.tokenCheck.authenticate(tenant, issuer, token);
      return {
        active: true, client_id: info.appId, token_type: info.jkt === undefined ? 'Bearer' : 'DPoP', exp: info.expiration, iat: info.issuedAt,
        sub: userDid(info.userId), aud: info.appId, iss: issuer, sid: info.sessionId,
        ...(info.jkt === undefined ? {} : { cnf: { jkt: info.jkt } }),
      };
    } catch (error) {
      // Not an end-user token of a live session; a storage failure is a 5xx, never a quiet "inactive".
      if (error instanceof KeymintError && error.status === 401) return null;
      throw error;
    }
  }

  /**
   * The session a refresh token of this tenant names by its handle (crypto/refresh-token.ts), and
   * whether the token is its live one; null when it names none. A token that names a session but
   * is not its live one was spent (only a holder of one of the session's tokens knows its handle).
   * The live token was issued at the last rotation, or with the session.
   */
  private async sessionOfRefreshToken(tenant: Tenant, token: string): Promise<{ session: UserSessionRow; spent: boolean } | null> {
    const handle = refreshHandle(token);
    if (handle === null) return null;
    const session = await this.deps.db.selectFrom('user_sessions').selectAll().where('refresh_handle', '=', handle).where('tenant_id', '=', tenant.id).executeTakeFirst();
    if (!session) return null;
    return { session, spent: session.refresh_hash !== sha256(token) };
  }

  /** The claims of an unexpired end-user access token of this tenant, or null for any other token. */
  private async accessTokenInfo(tenant: Tenant, issuer: string, token: string) {
    if (token.split('.').length !== 3) return null;
    try {
      return await this.deps.tokenCheck.verifyAccessToken(tenant, issuer, token);
    } catch (error) {
      // Only "not such a token" is quiet; a storage failure is a 5xx, never a quiet "inactive".
      if (error instanceof KeymintError && error.status === 401) return null;
      throw error;
    }
  }
}
