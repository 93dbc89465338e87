/// <reference lib="dom" />
// The public types of `@keymint/sdk/browser` (index.ts re-exports them). Types only: the compiled
// index.js stays one self-contained module with no import.

export type TokenMode = 'bearer' | 'cookie';

export interface KeymintClientOptions {
  /** The tenant's issuer, e.g. `https://auth.example.com/t/acme`. */
  issuer: string;
  /** The tenant's public app id (the `aud` of its users' tokens). */
  appId: string;
  /**
   * `bearer` (default): tokens come back in JSON and this client keeps them. `cookie`: Keymint
   * keeps them in HTTP-only cookies page scripts cannot read; must match the tenant's setting.
   */
  mode?: TokenMode;
  /** Bearer mode: where tokens are kept. `local` (default): localStorage, shared by tabs and reloads; `memory`: this page only. */
  storage?: 'local' | 'memory';
  /** Refresh this many seconds before the access token expires; default a quarter of its lifetime, at most 60. */
  refreshLeewaySeconds?: number;
  /** The HTTP client; default the page's fetch. */
  fetch?: typeof fetch;
  /**
   * RFC 9449 DPoP: bind the session to a key pair of this browser. `true` makes an ES256 key pair
   * with WebCrypto whose private key is not extractable (page scripts, an XSS included, can sign
   * with it while the page is open but never copy it out), keeps it in IndexedDB (database
   * `keymint-dpop`, under `keymint:{issuer}:{appId}`; in memory with `storage: 'memory'`) so a
   * reload keeps the session's key, and sends a proof with sign-in, sign-up, code sign-in, password
   * reset and every refresh. The access token is then bound (`token_type: DPoP`, `cnf.jkt`):
   * {@link KeymintClient.fetch} sends it as `Authorization: DPoP` with a proof (`ath`) per request,
   * and a refresh token stolen from storage is useless without the key. A `use_dpop_nonce` answer
   * (400 from Keymint, 401 `WWW-Authenticate: DPoP error="use_dpop_nonce"` from a resource server)
   * is retried once with the nonce of its `DPoP-Nonce` header. Sign-out deletes the key. Needs a
   * secure context (https, or http://localhost). Default `false`.
   */
  dpop?: boolean;
}

export interface User {
  id: string;
  email: string;
  /**
   * Whether the user proved the email with a mailed code (OpenID Connect Core §5.1
   * `email_verified`). A password sign-up is unverified until then: its email may be someone
   * else's (docs/end-users.md "Who owns an account").
   */
  email_verified: boolean;
}

/** What `onAuthStateChange` listeners receive. */
export type AuthEvent =
  | { type: 'SIGNED_IN'; user: User }
  | { type: 'TOKEN_REFRESHED'; user: User }
  /** `user`: signOut() was called; `refresh_failed`: the session ended (revoked, expired) and could not be refreshed. */
  | { type: 'SIGNED_OUT'; reason: 'user' | 'refresh_failed'; user: null };

/**
 * The `error` of a {@link KeymintAuthError}: the RFC 6749 §5.2 code Keymint answered
 * (`invalid_grant`…), Keymint's own refusals (`signup_closed`, `email_not_verified`), or
 * `network_error` when no answer came. Open-ended (`string & {}`) so a code added by a newer server
 * still type-checks.
 */
export type KeymintAuthErrorCode =
  | 'invalid_request'
  | 'invalid_grant'
  | 'invalid_token'
  | 'signup_closed'
  | 'email_not_verified'
  | 'network_error'
  /** `dpop: true` and the key could not be kept (IndexedDB unavailable or refused). */
  | 'dpop_unavailable'
  | (string & {});

export interface KeymintClient {
  /**
   * Creates an account with an unverified email and signs in; a code is mailed to the address
   * ({@link KeymintClient.verifyEmail}).
   * @throws {KeymintAuthError} `signup_closed` (403) when the tenant takes no sign-ups;
   *   `email_not_verified` (403) when it requires a verified email: the account exists, sign in
   *   with the password and the mailed `code`
   */
  signUp(input: { email: string; password: string }): Promise<User>;
  /**
   * Signs in with the password. `code` (mailed at sign-up or by {@link KeymintClient.startOtp})
   * proves the email at the same time and keeps the password.
   * @throws {KeymintAuthError} `invalid_grant` (400) for a wrong email or password;
   *   `email_not_verified` (403) when the tenant requires a verified email and no `code` came with it
   */
  signIn(input: { email: string; password: string; code?: string }): Promise<User>;
  /**
   * Mails a one-time code to `email`. `purpose: 'reset'` only words the mail for
   * {@link KeymintClient.resetPassword}; every code works for both.
   * @throws {KeymintAuthError} `invalid_request` (400) for a malformed email; `network_error` when
   *   Keymint cannot be reached
   */
  startOtp(input: { email: string; purpose?: 'sign-in' | 'reset' }): Promise<void>;
  /**
   * Signs in (creating the account on first use) with the mailed code. This proves the email: if
   * the account's email had never been proven, its password (set by whoever signed up with the
   * address) is removed and its other sessions end.
   * @throws {KeymintAuthError} `invalid_grant` (400) for a wrong, used or expired code;
   *   `signup_closed` (403) when the address has no account and the tenant takes no sign-ups
   */
  verifyOtp(input: { email: string; code: string }): Promise<User>;
  /**
   * Signed in: proves the email with the code mailed at sign-up (or by
   * {@link KeymintClient.sendVerificationCode}); the password stays. Then refreshes, so that
   * {@link KeymintClient.getUser} and new tokens say `email_verified: true`.
   * @throws {KeymintAuthError} `invalid_grant` (400) for a wrong, used or expired code
   */
  verifyEmail(input: { code: string }): Promise<User>;
  /**
   * Signed in: mails a new code to the user's own address, for {@link KeymintClient.verifyEmail}.
   * @throws {KeymintAuthError} `invalid_token` (401) when not signed in or the session ended
   */
  sendVerificationCode(): Promise<void>;
  /**
   * Signed in: changes the password. The current one is required; every other session of the
   * account ends, this one stays.
   * @throws {KeymintAuthError} `invalid_grant` (400) when the current password is wrong or the
   *   account has none (set one with {@link KeymintClient.resetPassword}); `invalid_request` (400)
   *   when the new one is not 8–256 characters
   */
  changePassword(input: { currentPassword: string; newPassword: string }): Promise<void>;
  /**
   * Sets a new password with a code mailed by {@link KeymintClient.startOtp} and signs in; every
   * other session of the account ends. Proves the email like {@link KeymintClient.verifyOtp}.
   * @throws {KeymintAuthError} `invalid_grant` (400) for a wrong, used or expired code
   */
  resetPassword(input: { email: string; code: string; newPassword: string }): Promise<User>;
  /**
   * A valid access token (bearer mode), refreshed ahead of expiry, with one refresh in flight
   * however many callers wait, and backoff with jitter when Keymint cannot be reached. Null when
   * signed out. In cookie mode the token is in an HTTP-only cookie: this keeps that cookie fresh
   * and resolves to null; use {@link KeymintClient.fetch}. With `dpop: true` the token is
   * DPoP-bound: it works only with a proof by this client's key, which {@link KeymintClient.fetch} adds.
   * @throws {KeymintAuthError} `network_error` when the token has expired and Keymint stays unreachable
   */
  getAccessToken(): Promise<string | null>;
  /** The signed-in user, or null. Never throws. */
  getUser(): User | null;
  /** Calls `listener` on every sign-in, refresh and sign-out (also those made by the app's other tabs); returns the unsubscribe function. */
  onAuthStateChange(listener: (event: AuthEvent) => void): () => void;
  /**
   * Revokes the session at Keymint (with the refresh token, so an expired access token does not
   * matter) and forgets it here and, through the BroadcastChannel, in the app's other tabs, which
   * get `SIGNED_OUT {reason: 'user'}` too. Forgets it even when Keymint cannot be reached.
   * Never throws.
   */
  signOut(): Promise<void>;
  /**
   * `fetch` for the app's own backend or another resource API: adds `Authorization: Bearer`
   * (bearer mode) or sends the cookies (cookie mode); with `dpop: true`, `Authorization: DPoP` and a
   * `DPoP` proof for this method and URL with `ath` (RFC 9449 §7), sent once more with the
   * server's nonce on a 401 `use_dpop_nonce` (§9; a cross-origin API must expose `DPoP-Nonce` and
   * `WWW-Authenticate`). On another 401 it refreshes once and retries. A body that cannot be
   * replayed (a stream) is sent once.
   * @throws {KeymintAuthError} as {@link KeymintClient.getAccessToken}; failures of the call
   *   itself are those of the global `fetch`
   */
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
}
