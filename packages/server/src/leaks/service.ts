import type { AdminService } from '../admin/service.js';
import type { ApiTokenService } from '../api-tokens/service.js';
import type { AppService } from '../apps/service.js';
import type { AuditContext, AuditLog } from '../audit/service.js';
import { TOKEN_PREFIXES } from '../crypto/token-format.js';
import type { OpaqueTokenService } from '../opaque-tokens/service.js';
import type { Db } from '../store/database.js';
import type { SessionCredentials } from '../users/session-credentials.js';

/** Where a leak report came from: GitHub's secret scanning, or anyone holding the credential. */
export type LeakSource = 'github' | 'public_revoke';

/** The kind of credential a prefix names, as audited (`credential.leaked` detail `type`). */
export type CredentialKind = 'client_secret' | 'api_token' | 'access_token' | 'refresh_token' | 'admin_token';

/** One credential found somewhere it should not be; `url` where it was seen (GitHub gives one). */
export interface LeakReport {
  credential: string;
  url?: string | undefined;
}

/** Whether a reported value was a live Keymint credential, now revoked (GitHub's label). */
export interface LeakVerdict {
  credential: string;
  revoked: boolean;
}

/** A leaked credential its owning service has just revoked: its tenant (null: a global admin's token) and id. */
export interface RevokedCredential {
  tenantId: string | null;
  id: string;
}

/**
 * What the leak service writes when a credential is revoked (its `credential.leaked` entry), run by the
 * owning service in the revocation's own transaction, and only by the call that revoked it.
 */
export type InRevocation = (trx: Db, revoked: RevokedCredential) => Promise<void>;

/** At most this many credentials per report or public revoke request. */
export const MAX_CREDENTIALS_PER_REPORT = 100;

const KINDS: ReadonlyArray<readonly [string, CredentialKind]> = [
  [TOKEN_PREFIXES.clientSecret, 'client_secret'],
  [TOKEN_PREFIXES.apiToken, 'api_token'],
  [TOKEN_PREFIXES.opaqueAccessToken, 'access_token'],
  [TOKEN_PREFIXES.refreshToken, 'refresh_token'],
  [TOKEN_PREFIXES.adminToken, 'admin_token'],
];

export interface LeakServiceOptions {
  apps: Pick<AppService, 'revokeLeakedSecret'>;
  apiTokens: Pick<ApiTokenService, 'revokeLeaked'>;
  opaqueTokens: Pick<OpaqueTokenService, 'revokeLeaked'>;
  sessionCredentials: Pick<SessionCredentials, 'revokeLeaked'>;
  admins: Pick<AdminService, 'revokeLeakedToken'>;
  audit: AuditLog;
}

/**
 * Revokes leaked credentials wherever they are reported (docs/leaked-credentials.md): each through
 * the service that owns it, so its own rules and audit entry apply (a secret's change-log row, a
 * session's revocation-feed entry), plus one `credential.leaked` entry per credential revoked. The
 * owning services check the prefix and checksum before any lookup, so a made-up value costs no read.
 */
export class LeakService {
  constructor(private readonly deps: LeakServiceOptions) {}

  async revoke(reports: readonly LeakReport[], source: LeakSource, context: AuditContext): Promise<LeakVerdict[]> {
    const verdicts: LeakVerdict[] = [];
    const seen = new Map<string, boolean>();
    for (const { credential, url } of reports) {
      // A credential listed twice is revoked once and labelled the same both times.
      let revoked = seen.get(credential);
      if (revoked === undefined) {
        revoked = await this.revokeOne(credential, url, source, context);
        seen.set(credential, revoked);
      }
      verdicts.push({ credential, revoked });
    }
    return verdicts;
  }

  private async revokeOne(credential: string, url: string | undefined, source: LeakSource, context: AuditContext): Promise<boolean> {
    const kind = KINDS.find(([prefix]) => credential.startsWith(prefix))?.[1];
    if (kind === undefined) return false;
    const { apps, apiTokens, opaqueTokens, sessionCredentials, admins, audit } = this.deps;
    // Never the credential itself: its kind, where it was reported from and where it was seen. Written in
    // the revocation's transaction, so the credential.leaked event exists exactly when the revocation does.
    const leaked: InRevocation = (trx, found) => audit.recordIn(trx, context, { tenantId: found.tenantId, action: 'credential.leaked', target: found.id, detail: { type: kind, source, ...(url ? { url } : {}) } });
    const found =
      kind === 'client_secret' ? await apps.revokeLeakedSecret(credential, context, leaked)
        : kind === 'api_token' ? await apiTokens.revokeLeaked(credential, context, leaked)
          : kind === 'access_token' ? await opaqueTokens.revokeLeaked(credential, leaked)
            : kind === 'refresh_token' ? await sessionCredentials.revokeLeaked(credential, leaked)
              : await admins.revokeLeakedToken(credential, context, leaked);
    return found !== null;
  }
}
