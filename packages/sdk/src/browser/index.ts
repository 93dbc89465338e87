/// <reference lib="dom" />
/**
 * `@keymint/sdk/browser`: sign a tenant's end users in from a web page and keep a valid access
 * token at hand (DESIGN "End-user endpoints"). No dependencies and no Node imports: the compiled
 * `dist/browser/index.js` is a plain ES module a page can load as is (docs/end-users.md).
 */

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

/** A refused or failed call: `error` is the RFC 6749 code (`invalid_grant`…) or `network_error`. */
export class KeymintAuthError extends Error {
  override name = 'KeymintAuthError';
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
  ) {
    super(message);
  }
}

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
   */
  startOtp(input: { email: string; purpose?: 'sign-in' | 'reset' }): Promise<void>;
  /**
   * Signs in (creating the account on first use) with the mailed code. This proves the email: if
   * the account's email had never been proven, its password (set by whoever signed up with the
   * address) is removed and its other sessions end.
   */
  verifyOtp(input: { email: string; code: string }): Promise<User>;
  /**
   * Signed in: proves the email with the code mailed at sign-up (or by
   * {@link KeymintClient.sendVerificationCode}); the password stays. Then refreshes, so that
   * {@link KeymintClient.getUser} and new tokens say `email_verified: true`.
   * @throws {KeymintAuthError} `invalid_grant` (400) for a wrong, used or expired code
   */
  verifyEmail(input: { code: string }): Promise<User>;
  /** Signed in: mails a new code to the user's own address, for {@link KeymintClient.verifyEmail}. */
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
   * and resolves to null; use {@link KeymintClient.fetch}.
   * @throws {KeymintAuthError} `network_error` when the token has expired and Keymint stays unreachable
   */
  getAccessToken(): Promise<string | null>;
  /** The signed-in user, or null. */
  getUser(): User | null;
  /** Calls `listener` on every sign-in, refresh and sign-out; returns the unsubscribe function. */
  onAuthStateChange(listener: (event: AuthEvent) => void): () => void;
  /** Revokes the session at Keymint and forgets it here (also when Keymint cannot be reached). */
  signOut(): Promise<void>;
  /**
   * `fetch` for the app's own backend: adds `Authorization: Bearer` (bearer mode) or sends the
   * cookies (cookie mode); on a 401 it refreshes once and retries.
   */
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
}

interface State {
  user: User;
  /** Client-clock epoch ms when the access token expires (from `expires_in`, immune to clock skew). */
  expiresAt: number;
  lifetime: number;
  accessToken?: string;
  refreshToken?: string;
}

interface TokensBody {
  access_token?: string;
  refresh_token?: string;
  expires_in: number;
  user: User;
}

const CSRF_HEADER = 'X-Keymint-CSRF';
/** Transient refresh failures retried before getAccessToken gives up (the session is kept). */
const MAX_TRANSIENT_FAILURES = 5;
const MAX_BACKOFF_MS = 30_000;

/** Creates the client for one tenant's app. */
export function createKeymintClient(options: KeymintClientOptions): KeymintClient {
  const issuer = options.issuer.replace(/\/+$/, '');
  const mode: TokenMode = options.mode ?? 'bearer';
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  const storageKey = `keymint:${issuer}:${options.appId}`;
  const persistent = options.storage !== 'memory' && typeof localStorage !== 'undefined' ? localStorage : null;
  const listeners = new Set<(event: AuthEvent) => void>();
  let memory: State | null = null;
  let refreshing: Promise<State | null> | null = null;
  let failures = 0;
  let nextAttemptAt = 0;

  function load(): State | null {
    if (!persistent) return memory;
    try {
      const text = persistent.getItem(storageKey);
      return text ? (JSON.parse(text) as State) : null;
    } catch {
      return null;
    }
  }

  function save(state: State | null): void {
    memory = state;
    if (!persistent) return;
    if (state) persistent.setItem(storageKey, JSON.stringify(state));
    else persistent.removeItem(storageKey);
  }

  function emit(event: AuthEvent): void {
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch {
        // A failing listener must not break sign-in or the others.
      }
    }
  }

  function leewayMs(state: State): number {
    const seconds = options.refreshLeewaySeconds ?? Math.min(60, state.lifetime / 4);
    return seconds * 1000;
  }

  async function call(path: string, body: unknown, extraHeaders: Record<string, string> = {}): Promise<Response> {
    const headers: Record<string, string> = { ...extraHeaders };
    if (body !== undefined) headers['content-type'] = 'application/json';
    // Cookie mode: Keymint refuses state-changing requests without it (CSRF defence).
    if (mode === 'cookie') headers[CSRF_HEADER] = '1';
    try {
      return await fetchImpl(`${issuer}${path}`, {
        method: 'POST',
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: mode === 'cookie' ? 'include' : 'omit',
        cache: 'no-store',
      });
    } catch (error) {
      throw new KeymintAuthError(0, 'network_error', `Keymint could not be reached: ${(error as Error).message}`);
    }
  }

  async function failure(response: Response): Promise<KeymintAuthError> {
    let body: { error?: string; error_description?: string } = {};
    try {
      body = (await response.json()) as typeof body;
    } catch {
      // not JSON: keep the status only
    }
    return new KeymintAuthError(response.status, body.error ?? 'server_error', body.error_description ?? `HTTP ${response.status}`);
  }

  function accept(body: TokensBody): State {
    const state: State = { user: body.user, expiresAt: Date.now() + body.expires_in * 1000, lifetime: body.expires_in };
    if (mode === 'bearer') {
      state.accessToken = body.access_token;
      state.refreshToken = body.refresh_token;
    }
    save(state);
    failures = 0;
    nextAttemptAt = 0;
    return state;
  }

  async function startSession(path: string, body: unknown, status: number): Promise<User> {
    const response = await call(path, body);
    if (response.status !== status) throw await failure(response);
    const state = accept((await response.json()) as TokensBody);
    emit({ type: 'SIGNED_IN', user: state.user });
    return state.user;
  }

  /** A request made as the signed-in user: Bearer header (bearer mode) or the cookies. */
  async function callSignedIn(path: string, body: unknown): Promise<Response> {
    const state = await freshState();
    if (!state) throw new KeymintAuthError(401, 'invalid_token', 'sign in first');
    return call(path, body, mode === 'bearer' && state.accessToken ? { authorization: `Bearer ${state.accessToken}` } : {});
  }

  async function expectNoContent(response: Response): Promise<void> {
    if (response.status !== 204) throw await failure(response);
  }

  function signedOut(reason: 'user' | 'refresh_failed'): void {
    const had = load() !== null;
    save(null);
    if (had) emit({ type: 'SIGNED_OUT', reason, user: null });
  }

  /** Backoff before the next attempt: exponential, capped, with full jitter so tabs and pages do not retry in step. */
  function backoffMs(attempt: number, retryAfterSeconds: number | null): number {
    if (retryAfterSeconds !== null) return retryAfterSeconds * 1000;
    const ceiling = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (attempt - 1));
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

  /** One refresh exchange. Null: the session is over (and the user signed out). */
  async function refreshOnce(state: State): Promise<State | null> {
    for (;;) {
      const wait = nextAttemptAt - Date.now();
      if (wait > 0) {
        // Still in backoff: a token that is valid (if close to expiry) is better than waiting.
        if (Date.now() < state.expiresAt) return state;
        await sleep(wait);
      }
      let response: Response | null = null;
      let retryAfter: number | null = null;
      try {
        response = await call('/auth/refresh', mode === 'bearer' ? { refresh_token: state.refreshToken } : {});
      } catch {
        response = null;
      }
      if (response?.ok) {
        const next = accept((await response.json()) as TokensBody);
        emit({ type: 'TOKEN_REFRESHED', user: next.user });
        return next;
      }
      if (response && (response.status === 400 || response.status === 401 || response.status === 403)) {
        // Definitive: the refresh token is spent or revoked, the session expired. Sign out.
        signedOut('refresh_failed');
        return null;
      }
      if (response?.status === 429) retryAfter = Number(response.headers.get('retry-after')) || null;
      failures++;
      nextAttemptAt = Date.now() + backoffMs(failures, retryAfter);
      if (Date.now() < state.expiresAt) return state;
      if (failures >= MAX_TRANSIENT_FAILURES) {
        throw new KeymintAuthError(response?.status ?? 0, 'network_error', 'the access token expired and Keymint could not be reached to refresh it');
      }
    }
  }

  /**
   * Refreshes with at most one exchange in flight on this page and, where the Web Locks API
   * exists, across tabs sharing localStorage: a tab that waited re-reads the storage and uses
   * the tokens another tab just got (presenting the spent refresh token would look like reuse
   * and end the session).
   */
  function refresh(stale: State): Promise<State | null> {
    refreshing ??= (async () => {
      const run = async () => {
        const current = load();
        if (!current) return null;
        const renewedElsewhere = current.refreshToken !== stale.refreshToken || current.expiresAt !== stale.expiresAt;
        if (renewedElsewhere && Date.now() < current.expiresAt - leewayMs(current)) return current;
        return refreshOnce(current);
      };
      const locks = persistent && typeof navigator !== 'undefined' ? navigator.locks : undefined;
      return locks ? ((await locks.request(`keymint-refresh:${storageKey}`, run)) as State | null) : run();
    })().finally(() => {
      refreshing = null;
    });
    return refreshing;
  }

  async function freshState(force = false): Promise<State | null> {
    const state = load();
    if (!state) return null;
    if (!force && Date.now() < state.expiresAt - leewayMs(state)) return state;
    return refresh(state);
  }

  return {
    signUp: ({ email, password }) => startSession('/auth/signup', { email, password }, 201),
    signIn: ({ email, password, code }) => startSession('/auth/signin', code === undefined ? { email, password } : { email, password, code }, 200),
    async startOtp({ email, purpose }) {
      const response = await call('/auth/otp/start', purpose === undefined ? { email } : { email, purpose });
      if (response.status !== 204) throw await failure(response);
    },
    verifyOtp: ({ email, code }) => startSession('/auth/otp/verify', { email, code }, 200),
    async verifyEmail({ code }) {
      await expectNoContent(await callSignedIn('/auth/email/verify', { code }));
      const renewed = await freshState(true);
      if (!renewed) throw new KeymintAuthError(401, 'invalid_token', 'the session ended');
      return renewed.user;
    },
    sendVerificationCode: async () => expectNoContent(await callSignedIn('/auth/email/verify/start', undefined)),
    changePassword: async ({ currentPassword, newPassword }) =>
      expectNoContent(await callSignedIn('/auth/password/change', { current_password: currentPassword, new_password: newPassword })),
    resetPassword: ({ email, code, newPassword }) => startSession('/auth/password/reset', { email, code, new_password: newPassword }, 200),

    async getAccessToken() {
      const state = await freshState();
      return state?.accessToken ?? null;
    },

    getUser: () => load()?.user ?? null,

    onAuthStateChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async signOut() {
      try {
        const state = await freshState().catch(() => load());
        if (state) {
          await call('/auth/signout', undefined, mode === 'bearer' && state.accessToken ? { authorization: `Bearer ${state.accessToken}` } : {}).catch(() => undefined);
        }
      } finally {
        signedOut('user');
      }
    },

    async fetch(input, init = {}) {
      const send = async (state: State | null) => {
        const headers = new Headers(init.headers);
        if (mode === 'bearer' && state?.accessToken) headers.set('authorization', `Bearer ${state.accessToken}`);
        return fetchImpl(input, { ...init, headers, credentials: mode === 'cookie' ? 'include' : init.credentials });
      };
      const state = await freshState();
      const response = await send(state);
      // 401: the token expired early (clock, revocation race) or was refused: refresh once, retry.
      const replayable = init.body === undefined || init.body === null || typeof init.body === 'string' || init.body instanceof URLSearchParams || init.body instanceof Blob || init.body instanceof FormData;
      if (response.status !== 401 || !state || !replayable) return response;
      const renewed = await freshState(true);
      if (!renewed) return response;
      return send(renewed);
    },
  };
}
