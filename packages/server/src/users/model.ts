import type { EndUserRow, UserSessionRow } from '../store/schema.js';

/** How a tenant's end users get and present their tokens (DESIGN "End-user endpoints"). */
export type TokenMode = 'bearer' | 'cookie';

/** Per-tenant end-user settings, stored in the tenant's settings under `endUsers`. */
export interface EndUserSettings {
  /** Origins (scheme://host[:port]) whose pages may call the `/auth` routes (CORS, cookie-mode CSRF check). */
  allowedOrigins: string[];
  /** `bearer`: tokens in JSON bodies; `cookie`: HTTP-only cookies, never readable by page scripts. */
  tokenMode: TokenMode;
  /** Seconds an access token lives. */
  accessTokenLifetime: number;
  /** Seconds a session survives without a sign-in or refresh. */
  sessionIdleTimeout: number;
  /** Seconds a session lives at most, however active. */
  sessionAbsoluteLifetime: number;
  /**
   * `open`: anyone may sign up with a password or a first code sign-in; `closed`: neither creates
   * an account (403 signup_closed), existing accounts sign in as before.
   */
  signup: SignupPolicy;
  /** A password signs in only once the email has been proven (403 email_not_verified until then). */
  requireVerifiedEmail: boolean;
  /**
   * Seconds after a refresh token is spent during which presenting it again is taken for a retry or
   * a concurrent refresh, not for theft: the answer is the session's current refresh token (0: off).
   */
  refreshReuseGrace: number;
}

export type SignupPolicy = 'open' | 'closed';

export const DEFAULT_END_USER_SETTINGS: EndUserSettings = Object.freeze({
  allowedOrigins: [],
  tokenMode: 'bearer',
  accessTokenLifetime: 3600,
  sessionIdleTimeout: 7 * 86_400,
  sessionAbsoluteLifetime: 30 * 86_400,
  signup: 'open',
  requireVerifiedEmail: false,
  refreshReuseGrace: 10,
}) as EndUserSettings;

export const END_USER_LIMITS = {
  accessTokenLifetime: { min: 1, max: 86_400 },
  sessionIdleTimeout: { min: 60, max: 365 * 86_400 },
  sessionAbsoluteLifetime: { min: 60, max: 365 * 86_400 },
  refreshReuseGrace: { min: 0, max: 60 },
  password: { min: 8, max: 256 },
  /** Sign-in codes: digits, lifetime and wrong guesses allowed per code. */
  otp: { digits: 6, lifetimeSeconds: 600, attempts: 5 },
} as const;

export interface EndUser {
  id: string;
  email: string;
  /** Whether the owner of the email has proven it (a mailed code); tokens carry it as `email_verified`. */
  emailVerified: boolean;
  createdAt: number;
}

/** A user as the admin API lists it. */
export interface EndUserSummary extends EndUser {
  /** Epoch ms of the newest session still kept (sign-up, sign-in or code sign-in); null when none. */
  lastSignInAt: number | null;
}

export interface UserSession {
  id: string;
  userId: string;
  createdAt: number;
  lastUsedAt: number;
  expiresAt: number;
  revokedAt: number | null;
}

/** What a session's tokens say of its user (`sub`, `email`, `email_verified`): all a refresh reads of the account. */
export type SessionUser = Pick<EndUserRow, 'id' | 'email' | 'email_verified_at'>;

/** What a successful sign-in, sign-up, code verification or refresh hands out. */
export interface SessionTokens {
  accessToken: string;
  /** RFC 9449 §5: `DPoP` when the access token is bound to the session's DPoP key (`cnf.jkt`). */
  tokenType: 'Bearer' | 'DPoP';
  identityToken: string;
  refreshToken: string;
  /** Seconds the access token lives. */
  expiresIn: number;
  user: { id: string; email: string; email_verified: boolean };
  sessionId: string;
  /** Epoch ms: when the session (and so the refresh token) ends at the latest. */
  sessionExpiresAt: number;
  /** Seconds a spent refresh token is still honoured (the tenant's reuse grace): how long a client may retry a lost refresh. */
  refreshReuseGrace: number;
}

/** Where a request came from, for the attempt budgets and the audit log. */
export interface Caller {
  ip: string;
}

export function endUserOf(row: EndUserRow): EndUser {
  return { id: row.id, email: row.email, emailVerified: row.email_verified_at !== null, createdAt: Number(row.created_at) };
}

export function userSessionOf(row: UserSessionRow): UserSession {
  return {
    id: row.id,
    userId: row.user_id,
    createdAt: Number(row.created_at),
    lastUsedAt: Number(row.last_used_at),
    expiresAt: Number(row.expires_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
  };
}

/** `did:keymint:{id}`: the `sub` of a user's tokens. */
export function userDid(userId: string): string {
  return `did:keymint:${userId}`;
}

/** Session tokens as JSON (bearer mode of `/auth/…`, and `grant_type=refresh_token` at the token endpoint). */
export function sessionTokensJson(tokens: SessionTokens) {
  return {
    access_token: tokens.accessToken,
    identity_token: tokens.identityToken,
    refresh_token: tokens.refreshToken,
    token_type: tokens.tokenType,
    expires_in: tokens.expiresIn,
    refresh_reuse_grace: tokens.refreshReuseGrace,
    user: tokens.user,
  };
}

/**
 * A tenant's end-user settings as the admin API and the CLI's `users settings --json` name them
 * (snake_case, seconds): one serializer, so scripts read the same fields from both.
 */
export function endUserSettingsView(settings: EndUserSettings) {
  return {
    token_mode: settings.tokenMode,
    allowed_origins: settings.allowedOrigins,
    access_token_lifetime: settings.accessTokenLifetime,
    session_idle_timeout: settings.sessionIdleTimeout,
    session_absolute_lifetime: settings.sessionAbsoluteLifetime,
    refresh_reuse_grace: settings.refreshReuseGrace,
    signup: settings.signup,
    require_verified_email: settings.requireVerifiedEmail,
  };
}

/** The reverse of endUserSettingsView for the fields given (admin API PATCH body, config-as-code files). */
export function endUserSettingsPatch(view: Partial<ReturnType<typeof endUserSettingsView>>): Partial<EndUserSettings> {
  return {
    ...(view.token_mode === undefined ? {} : { tokenMode: view.token_mode }),
    ...(view.allowed_origins === undefined ? {} : { allowedOrigins: view.allowed_origins }),
    ...(view.access_token_lifetime === undefined ? {} : { accessTokenLifetime: view.access_token_lifetime }),
    ...(view.session_idle_timeout === undefined ? {} : { sessionIdleTimeout: view.session_idle_timeout }),
    ...(view.session_absolute_lifetime === undefined ? {} : { sessionAbsoluteLifetime: view.session_absolute_lifetime }),
    ...(view.refresh_reuse_grace === undefined ? {} : { refreshReuseGrace: view.refresh_reuse_grace }),
    ...(view.signup === undefined ? {} : { signup: view.signup }),
    ...(view.require_verified_email === undefined ? {} : { requireVerifiedEmail: view.require_verified_email }),
  };
}
