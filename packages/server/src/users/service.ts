import type { SignInBudgets, SignUpBudget } from '../attempts/sign-in.js';
import type { AuditContext, AuditLog } from '../audit/service.js';
import type { KeyService } from '../keys/service.js';
import type { DpopService } from '../oauth/dpop.js';
import type { RevocationService } from '../revocation/service.js';
import type { ChangeFeed } from '../store/change-log.js';
import type { Db } from '../store/database.js';
import type { Tenant } from '../tenants/model.js';
import type { TenantService } from '../tenants/service.js';
import { Accounts } from './accounts.js';
import { UserDirectory } from './directory.js';
import { EmailProof } from './email-proof.js';
import type { CodeMailer } from './mailer.js';
import type { EndUser, EndUserSettings, EndUserSummary, SessionTokens, UserSession } from './model.js';
import { OneTimeCodes } from './otp-codes.js';
import { PasswordService } from './passwords.js';
import { purgeEndUserSessions } from './purge.js';
import { SessionCredentials } from './session-credentials.js';
import { SessionIssuer } from './session-issuer.js';
import { UserSessions } from './sessions.js';
import { EndUserSettingsService, endUserSettings } from './settings.js';
import { EndUserTokenCheck } from './token-check.js';

export interface UserServiceDeps {
  db: Db;
  tenants: TenantService;
  keys: KeyService;
  revocations: RevocationService;
  changes: ChangeFeed;
  audit: AuditLog;
  mailer: CodeMailer;
  now: () => number;
  /** Where a sign-up's failed verification mail is reported. */
  log?: { warn(object: object, message: string): void };
  /** Password, code and code-mail budgets per account and address (KEYMINT_SIGNIN_*). */
  signInBudgets: SignInBudgets;
  /** Sign-ups per address (KEYMINT_SIGNUPS_PER_ADDRESS). */
  signUpBudget: SignUpBudget;
  /** Keys refresh-token successors (crypto/refresh-token.ts), derived from the master key. */
  successorKey: Buffer;
  /** RFC 9449: checks the proofs that come with DPoP-bound end-user access tokens. */
  dpop: DpopService;
}

/**
 * End users of a tenant's app (DESIGN "End user"), one capability per file: accounts and how
 * they get in (accounts.ts, otp-codes.ts, email-proof.ts, passwords.ts), sessions
 * (session-issuer.ts, sessions.ts, session-credentials.ts), access-token checks (token-check.ts),
 * settings (settings.ts), the admin's view (directory.ts) and the purge (purge.ts). This class
 * builds them, each with exactly what it uses, and answers for the area where the admin API, the
 * CLI and the token endpoint reach it; the `/auth` routes take the capabilities themselves.
 */
export class UserService {
  readonly tokenCheck: EndUserTokenCheck;
  readonly sessions: UserSessions;
  readonly codes: OneTimeCodes;
  /** Who owns an account: whoever proves the email. */
  readonly proof: EmailProof;
  readonly accounts: Accounts;
  readonly passwords: PasswordService;
  readonly sessionCredentials: SessionCredentials;
  readonly directory: UserDirectory;
  private readonly settingsChanges: EndUserSettingsService;

  constructor(private readonly deps: UserServiceDeps) {
    const { db, tenants, keys, revocations, changes, audit, mailer, now, log, signInBudgets, signUpBudget, successorKey, dpop } = deps;
    const issuer = new SessionIssuer({ db, keys, now });
    this.tokenCheck = new EndUserTokenCheck({ db, keys, now, dpop });
    this.sessions = new UserSessions({ db, tenants, revocations, changes, audit, issuer, now, successorKey });
    this.codes = new OneTimeCodes({ db, audit, mailer, signInBudgets, now });
    this.proof = new EmailProof({ db, audit, now, sessions: this.sessions, codes: this.codes });
    this.accounts = new Accounts({ db, audit, now, log, signInBudgets, signUpBudget, codes: this.codes, proof: this.proof, issuer, tokenCheck: this.tokenCheck });
    this.passwords = new PasswordService({ db, audit, now, signInBudgets, tokenCheck: this.tokenCheck, accounts: this.accounts, sessions: this.sessions });
    this.sessionCredentials = new SessionCredentials({ db, sessions: this.sessions, tokenCheck: this.tokenCheck, now });
    this.directory = new UserDirectory({ db });
    this.settingsChanges = new EndUserSettingsService({ tenants });
  }

  /** The tenant's end-user settings, defaults filled in. */
  settings(tenant: Tenant): EndUserSettings {
    return endUserSettings(tenant);
  }

  /** Validates, stores and audits end-user settings (admin API, CLI); they apply on every node within a poll. */
  updateSettings(slug: string, patch: Partial<EndUserSettings>, context?: AuditContext): Promise<EndUserSettings> {
    return this.settingsChanges.update(slug, patch, context);
  }

  /** `grant_type=refresh_token` at the token endpoint: the same rotation (and DPoP rule) as `POST /auth/refresh`. */
  refresh(tenant: Tenant, issuer: string, refreshToken: unknown, jkt: string | null = null): Promise<SessionTokens> {
    return this.sessions.refresh(tenant, issuer, refreshToken, jkt);
  }

  listPage(tenantId: string, options: { limit: number; before?: string | undefined; email?: string | undefined }): Promise<{ users: EndUserSummary[]; next: string | null }> {
    return this.directory.listPage(tenantId, options);
  }

  getUser(tenantId: string, userId: string): Promise<EndUser> {
    return this.directory.getUser(tenantId, userId);
  }

  userByEmail(tenantId: string, email: string): Promise<EndUser> {
    return this.directory.userByEmail(tenantId, email);
  }

  liveSessions(tenant: Tenant, userId: string): Promise<UserSession[]> {
    return this.sessions.live(tenant, userId);
  }

  /** Admin "sign out everywhere": every live session of the user ends; returns how many. */
  revokeUserSessions(tenantId: string, userId: string, context?: AuditContext): Promise<number> {
    return this.sessions.revokeAllOf(tenantId, userId, context);
  }

  revokeUserSession(tenantId: string, userId: string, sessionId: string, context?: AuditContext): Promise<void> {
    return this.sessions.revokeOne(tenantId, userId, sessionId, context);
  }

  /** Ended sessions and expired codes go (users/purge.ts); returns how many sessions. */
  purgeExpired(): Promise<number> {
    return purgeEndUserSessions(this.deps.db, this.deps.now());
  }

  close(): void {
    this.tokenCheck.close();
    this.deps.mailer.close();
  }
}
