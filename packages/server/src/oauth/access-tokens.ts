import { jwtVerify, type JWTPayload } from 'jose';
import { SIGNING_ALGORITHMS } from '../crypto/algorithms.js';
import { CLOCK_LEEWAY_SECONDS } from '@keymint/sdk/node';
import type { App } from '../apps/model.js';
import type { AppService } from '../apps/service.js';
import type { AuditContext, AuditLog } from '../audit/service.js';
import type { KeyService } from '../keys/service.js';
import type { OpaqueTokenService } from '../opaque-tokens/service.js';
import type { RevocationService } from '../revocation/service.js';
import type { ChangeFeed } from '../store/change-log.js';
import type { Db } from '../store/database.js';
import type { Tenant } from '../tenants/model.js';
import { issueJwtAccessToken, type Grant, type TokenResponse } from './client-credentials.js';

/** Longer than any token Keymint issues: anything bigger is refused before any crypto. */
const MAX_TOKEN_LENGTH = 4096;

/** A token that is active right now, as RFC 7662 §2.2 describes it. */
export interface ActiveToken {
  format: 'jwt' | 'opaque';
  clientId: string;
  scopes: string[];
  audience: string | string[];
  /** Epoch seconds */
  iat: number;
  exp: number;
  jti: string;
  sub: string;
  /** RFC 9449: the DPoP key thumbprint the token is bound to; null for a Bearer token. */
  jkt: string | null;
}

/**
 * Issues app access tokens in the app's format and answers, for introspection, revocation
 * and the resource API, whether a presented one is active.
 */
export class AccessTokenService {
  constructor(
    private readonly db: Db,
    private readonly changes: ChangeFeed,
    private readonly audit: AuditLog,
    private readonly keys: KeyService,
    private readonly apps: AppService,
    private readonly opaque: OpaqueTokenService,
    private readonly revocations: RevocationService,
    private readonly now: () => number,
    /** Called for every issued token (the admin usage counter); must not throw or wait. */
    private readonly onIssued: (app: App, grant: Grant) => void,
  ) {}

  /**
   * The one issuance path of every token route (`/oauth/token`, and the envelope and signed
   * profiles): an RFC 9068 JWT, or a `kma_` opaque token for apps whose format is `opaque`.
   */
  async issueAccessToken(app: App, grant: Grant): Promise<TokenResponse> {
    const nowMs = this.now();
    this.onIssued(app, grant);
    if (app.tokenFormat === 'opaque') {
      const issuedAt = Math.floor(nowMs / 1000) * 1000;
      const accessToken = await this.opaque.issue({
        tenantId: grant.tenant.id,
        clientId: app.clientId,
        scopes: grant.scopes,
        audience: grant.audience,
        issuedAt,
        expiresAt: issuedAt + grant.lifetime * 1000,
        ...(grant.jkt === undefined ? {} : { jkt: grant.jkt }),
      });
      return { access_token: accessToken, token_type: grant.jkt === undefined ? 'Bearer' : 'DPoP', expires_in: grant.lifetime, scope: grant.scopes.join(' ') };
    }
    return issueJwtAccessToken(await this.keys.ring(grant.tenant.id), grant.tenant, grant.issuer, app, grant, nowMs);
  }

  /**
   * The token if it is an active access token of this tenant: signature, issuer, type and
   * expiry checked for a JWT, then revocation and the app's status for either format. Null
   * for everything else, whatever the reason (RFC 7662 §2.2 reveals no reason).
   */
  async inspect(tenant: Tenant, issuer: string, token: string): Promise<ActiveToken | null> {
    if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return null;
    let active: ActiveToken | null;
    if (token.startsWith('kma_')) {
      const found = await this.opaque.find(token);
      active = found && found.tenantId === tenant.id
        ? {
            format: 'opaque',
            clientId: found.clientId,
            scopes: found.scopes,
            audience: found.audience,
            iat: Math.floor(found.issuedAt / 1000),
            exp: Math.floor(found.expiresAt / 1000),
            jti: found.jti,
            sub: found.clientId,
            jkt: found.jkt,
          }
        : null;
    } else {
      const claims = await this.verifyJwt(tenant, issuer, token);
      active = claims && !(await this.revocations.isRevoked(tenant.id, claims))
        ? {
            format: 'jwt',
            clientId: claims.client_id as string,
            scopes: typeof claims.scope === 'string' && claims.scope !== '' ? claims.scope.split(' ') : [],
            audience: claims.aud!,
            iat: claims.iat!,
            exp: claims.exp!,
            jti: claims.jti!,
            sub: claims.sub!,
            jkt: typeof (claims.cnf as { jkt?: unknown } | undefined)?.jkt === 'string' ? (claims.cnf as { jkt: string }).jkt : null,
          }
        : null;
    }
    if (!active) return null;
    // A disabled app's tokens stop at once, whatever their format.
    const client = await this.apps.findClient(active.clientId);
    if (!client || client.app.tenantId !== tenant.id || client.app.status !== 'active') return null;
    return active;
  }

  /**
   * RFC 7009 §2.1: revokes `token` when it is an access token of `caller`; any other token
   * (unknown, expired, malformed, another app's) is left alone and the caller is told nothing.
   */
  async revoke(tenant: Tenant, issuer: string, caller: App, token: string): Promise<void> {
    if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return;
    if (token.startsWith('kma_')) {
      const found = await this.opaque.find(token);
      if (found && found.tenantId === tenant.id && found.clientId === caller.clientId) await this.opaque.revoke(found);
      return;
    }
    const claims = await this.verifyJwt(tenant, issuer, token);
    if (claims && claims.client_id === caller.clientId) await this.revocations.revokeJti(tenant.id, claims.jti!, claims.exp!);
  }

  /**
   * Revokes every access token `clientId` holds now, without disabling the app (a leaked token,
   * a compromised deployment): its opaque tokens are deleted and its JWTs issued before now are
   * listed in the feed. Tokens issued in the same second count as revoked (the feed speaks in
   * seconds), so the client should fetch a new token after a second.
   */
  async revokeAllTokens(tenantId: string, clientId: string, context: AuditContext): Promise<void> {
    const app = await this.apps.get(tenantId, clientId);
    const now = this.now();
    await this.db.transaction().execute(async (trx) => {
      await this.revocations.revokeClient(trx, tenantId, app.clientId, now);
      await this.opaque.revokeClient(trx, app.clientId);
      // The entry and its webhook event commit with the revocation.
      await this.audit.recordIn(trx, context, { tenantId, action: 'app.tokens_revoked', target: app.clientId });
    });
    this.changes.emit(this.revocations.changeFor(tenantId, app.clientId));
  }

  /** An unexpired RFC 9068 access token signed by one of the tenant's published keys, or null. */
  private async verifyJwt(tenant: Tenant, issuer: string, token: string): Promise<(JWTPayload & { client_id: string }) | null> {
    if (token.split('.').length !== 3) return null;
    // Outside the try: a storage failure is a 5xx, never a quiet "inactive".
    const ring = await this.keys.ring(tenant.id);
    try {
      const { payload } = await jwtVerify(token, ring.verificationKeys, {
        issuer,
        typ: 'at+jwt',
        algorithms: [...SIGNING_ALGORITHMS],
        currentDate: new Date(this.now()),
        // The resource API's leeway (resource/authenticate.ts): a token is active here exactly while it works there.
        clockTolerance: CLOCK_LEEWAY_SECONDS,
        requiredClaims: ['sub', 'client_id', 'aud', 'jti', 'iat', 'exp'],
      });
      if (typeof payload.client_id !== 'string' || typeof payload.jti !== 'string' || payload.tid !== tenant.slug) return null;
      return payload as JWTPayload & { client_id: string };
    } catch {
      return null;
    }
  }
}
