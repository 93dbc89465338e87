/// <reference lib="dom" />
/**
 * `@keymint/sdk/browser`: sign a tenant's end users in from a web page and keep a valid access
 * token at hand (DESIGN "End-user endpoints"). No dependencies and no Node imports: the compiled
 * `dist/browser/index.js` is a plain ES module a page can load as is (docs/end-users.md).
 */

import type { AuthEvent, KeymintAuthErrorCode, KeymintClient, KeymintClientOptions, TokenMode, User } from './types.js';

export type { AuthEvent, KeymintAuthErrorCode, KeymintClient, KeymintClientOptions, TokenMode, User } from './types.js';

/** A refused or failed call: `error` is the RFC 6749 code (`invalid_grant`…) or `network_error`. */
export class KeymintAuthError extends Error {
  override name = 'KeymintAuthError';
  constructor(
    /** HTTP status, or 0 when no answer came. */
    readonly status: number,
    readonly error: KeymintAuthErrorCode,
    message: string,
  ) {
    super(message);
  }
}

interface State {
  user: User;
  /** Client-clock epoch ms when the access token expires (from `expires_in`, immune to clock skew). */
  expiresAt: number;
  lifetime: number;
  accessToken?: string;
  refreshToken?: string;
  /** The session (identity token `sid`): tabs adopt each other's refreshes only for the same one. */
  sessionId?: string;
  /** Server epoch seconds the tokens were issued (identity token `iat`): tells whether a lost refresh went through. */
  issuedAt?: number;
  /** Seconds Keymint still honours a spent refresh token (`refresh_reuse_grace`). */
  reuseGrace?: number;
  /** `DPoP`: the access token is bound to this client's DPoP key (RFC 9449 §5): sent only with a proof. */
  tokenType?: 'Bearer' | 'DPoP';
}

interface TokensBody {
  access_token?: string;
  refresh_token?: string;
  identity_token?: string;
  expires_in: number;
  refresh_reuse_grace?: number;
  token_type?: string;
  user: User;
}

/** What tabs tell each other over the BroadcastChannel (never tokens of a `memory`-storage page). */
type TabMessage =
  | { type: 'signed_in'; state: State }
  | { type: 'refreshed'; state: State }
  | { type: 'signed_out'; sessionId: string | undefined; reason: 'user' | 'refresh_failed' };

/** The claims of a JWT's payload, without verifying it (the page only reads its own identity token). */
function claimsOf(jwt: string | undefined): { sid?: unknown; iat?: unknown } {
  try {
    const part = jwt!.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part)) as { sid?: unknown; iat?: unknown };
  } catch {
    return {};
  }
}

/** Where `dpop: true` keeps each client's key pair (structured-cloned CryptoKeys), under the client's storage key. */
export const DPOP_KEY_DATABASE = 'keymint-dpop';
const DPOP_KEY_STORE = 'keys';

/** A DPoP key pair: the private key is a non-extractable CryptoKey (WebCrypto), the public half goes in each proof's `jwk`. */
interface DpopKeyPair {
  privateKey: CryptoKey;
  publicJwk: { kty: string; crv: string; x: string; y: string };
}

const base64url = (bytes: ArrayBuffer | Uint8Array): string => {
  let text = '';
  for (const byte of new Uint8Array(bytes)) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
};
const base64urlJson = (value: unknown): string => base64url(new TextEncoder().encode(JSON.stringify(value)));

/** Runs one request on the key store and resolves with its result once the transaction commits. */
async function keyStore<T>(mode: IDBTransactionMode, run: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open(DPOP_KEY_DATABASE, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(DPOP_KEY_STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB could not be opened'));
  });
  try {
    return await new Promise<T>((resolve, reject) => {
      const transaction = db.transaction(DPOP_KEY_STORE, mode);
      const request = run(transaction.objectStore(DPOP_KEY_STORE));
      transaction.oncomplete = () => resolve(request.result);
      transaction.onabort = () => reject(transaction.error ?? request.error ?? new Error('IndexedDB transaction aborted'));
    });
  } finally {
    db.close();
  }
}

/** A fresh ES256 key pair whose private key cannot be exported, not even by this page's scripts. */
async function generateKeyPair(): Promise<DpopKeyPair> {
  const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', pair.publicKey);
  return { privateKey: pair.privateKey, publicJwk: { kty: kty!, crv: crv!, x: x!, y: y! } };
}

/** RFC 9449 §8/§9: an answer asking for a (new) nonce: 400 `use_dpop_nonce` at Keymint, 401 with that error in the DPoP challenge at a resource. */
async function asksForNonce(response: Response): Promise<boolean> {
  if (!response.headers.get('dpop-nonce')) return false;
  if (response.status === 401) return /error="use_dpop_nonce"/.test(response.headers.get('www-authenticate') ?? '');
  if (response.status !== 400) return false;
  const body = (await response.clone().json().catch(() => null)) as { error?: unknown } | null;
  return body?.error === 'use_dpop_nonce';
}

const CSRF_HEADER = 'X-Keymint-CSRF';
/** Transient refresh failures retried before getAccessToken gives up (the session is kept). */
const MAX_TRANSIENT_FAILURES = 5;
const MAX_BACKOFF_MS = 30_000;

/** Creates the client for one tenant's app. Never throws; every call reports its own failures. */
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
  /** Client time of the first send of the current refresh token whose answer was lost (it may be spent). */
  let lostSince: number | null = null;
  const channel = typeof BroadcastChannel !== 'undefined' ? new BroadcastChannel(`keymint:${storageKey}`) : null;
  // Node (tests, server-side rendering) would otherwise stay alive for the channel's sake.
  (channel as { unref?: () => void } | null)?.unref?.();
  // DPoP (RFC 9449): the key pair, loaded from (or made and stored in) IndexedDB on first use;
  // the newest nonce each origin gave.
  const dpop = options.dpop === true;
  const keyInDatabase = persistent !== null && typeof indexedDB !== 'undefined';
  let dpopKey: Promise<DpopKeyPair> | null = null;
  const nonces = new Map<string, string>();

  /** This client's key pair: the stored one (a reload keeps the session's key) or a new one. */
  function keyPair(): Promise<DpopKeyPair> {
    dpopKey ??= (async () => {
      if (!keyInDatabase) return generateKeyPair();
      const stored = await keyStore<DpopKeyPair | undefined>('readonly', (store) => store.get(storageKey) as IDBRequest<DpopKeyPair | undefined>);
      if (stored) return stored;
      const made = await generateKeyPair();
      try {
        await keyStore('readwrite', (store) => store.add(made, storageKey));
        return made;
      } catch {
        // Another tab stored its key first: use that one, so the tabs' session stays on one key.
        const winner = await keyStore<DpopKeyPair | undefined>('readonly', (store) => store.get(storageKey) as IDBRequest<DpopKeyPair | undefined>);
        if (!winner) throw new KeymintAuthError(0, 'dpop_unavailable', 'the DPoP key could not be stored in IndexedDB');
        return winner;
      }
    })();
    dpopKey.catch(() => {
      dpopKey = null;
    });
    return dpopKey;
  }

  /** Sign-out: the key is of no further use (its session is over); the next sign-in makes a new one. */
  function forgetKey(): void {
    if (!dpop) return;
    dpopKey = null;
    if (keyInDatabase) void keyStore('readwrite', (store) => store.delete(storageKey)).catch(() => undefined);
  }

  /**
   * An RFC 9449 §4.2 proof for one request: `typ` `dpop+jwt`, ES256, the public key as `jwk`, a
   * random `jti`, `htm`, `htu` (query and fragment dropped), `iat`, the origin's last nonce, and
   * `ath` (SHA-256 of the access token) when one is sent with it.
   */
  async function proof(method: string, url: string, accessToken?: string): Promise<string> {
    const key = await keyPair();
    const target = new URL(url, typeof location === 'undefined' ? undefined : location.href);
    target.search = '';
    target.hash = '';
    const claims: Record<string, unknown> = { jti: crypto.randomUUID(), htm: method.toUpperCase(), htu: target.href, iat: Math.floor(Date.now() / 1000) };
    const nonce = nonces.get(target.origin);
    if (nonce !== undefined) claims.nonce = nonce;
    if (accessToken !== undefined) claims.ath = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(accessToken)));
    const signingInput = `${base64urlJson({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk })}.${base64urlJson(claims)}`;
    const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key.privateKey, new TextEncoder().encode(signingInput));
    return `${signingInput}.${base64url(signature)}`;
  }

  /** Remembers the nonce an answer carries (RFC 9449 §8: the server may send a new one at any time). */
  function noteNonce(url: string, response: Response): void {
    const nonce = response.headers.get('dpop-nonce');
    if (dpop && nonce) nonces.set(new URL(url, typeof location === 'undefined' ? undefined : location.href).origin, nonce);
  }

  /**
   * The credential headers of a signed-in request: `Authorization: DPoP` and a proof for this
   * method and URL when the token is bound, `Authorization: Bearer` otherwise; none in cookie mode.
   */
  async function credentials(state: State | null, method: string, url: string): Promise<Record<string, string>> {
    if (mode !== 'bearer' || !state?.accessToken) return {};
    if (state.tokenType !== 'DPoP') return { authorization: `Bearer ${state.accessToken}` };
    return { authorization: `DPoP ${state.accessToken}`, dpop: await proof(method, url, state.accessToken) };
  }

  /**
   * Sends a request whose DPoP headers `headers()` makes afresh for each send, and sends it once
   * more when the answer asks for a nonce (it is remembered by then).
   */
  async function withNonceRetry(url: string, send: (headers: Record<string, string>) => Promise<Response>, headers: () => Promise<Record<string, string>>): Promise<Response> {
    let response = await send(await headers());
    noteNonce(url, response);
    if (dpop && (await asksForNonce(response))) {
      response = await send(await headers());
      noteNonce(url, response);
    }
    return response;
  }

  function load(): State | null {
    if (!persistent) return memory;
    try {
      const text = persistent.getItem(storageKey);
      memory = text ? (JSON.parse(text) as State) : null;
    } catch {
      memory = null;
    }
    return memory;
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

  /**
   * A POST to Keymint. `credentials`: the headers of a signed-in call (made per send, as a proof is
   * single-use). `bind`: the route opens or refreshes a session, which a DPoP proof binds to the key.
   */
  async function call(path: string, body: unknown, options: { credentials?: () => Promise<Record<string, string>>; bind?: boolean } = {}): Promise<Response> {
    const url = `${issuer}${path}`;
    const headersFor = async () => {
      const headers: Record<string, string> = options.credentials ? await options.credentials() : {};
      if (body !== undefined) headers['content-type'] = 'application/json';
      // Cookie mode: Keymint refuses state-changing requests without it (CSRF defence).
      if (mode === 'cookie') headers[CSRF_HEADER] = '1';
      if (dpop && options.bind) headers.dpop = await proof('POST', url);
      return headers;
    };
    try {
      return await withNonceRetry(url, (headers) => fetchImpl(url, {
        method: 'POST',
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: mode === 'cookie' ? 'include' : 'omit',
        cache: 'no-store',
      }), headersFor);
    } catch (error) {
      if (error instanceof KeymintAuthError) throw error;
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
    const claims = claimsOf(body.identity_token);
    const state: State = { user: body.user, expiresAt: Date.now() + body.expires_in * 1000, lifetime: body.expires_in };
    if (typeof claims.sid === 'string') state.sessionId = claims.sid;
    if (typeof claims.iat === 'number') state.issuedAt = claims.iat;
    if (typeof body.refresh_reuse_grace === 'number') state.reuseGrace = body.refresh_reuse_grace;
    if (body.token_type === 'DPoP') state.tokenType = 'DPoP';
    if (mode === 'bearer') {
      state.accessToken = body.access_token;
      state.refreshToken = body.refresh_token;
    }
    save(state);
    failures = 0;
    nextAttemptAt = 0;
    lostSince = null;
    return state;
  }

  function post(message: TabMessage): void {
    try {
      channel?.postMessage(message);
    } catch {
      // A closed channel (page unloading) has nobody left to tell.
    }
  }

  // Other tabs: adopt the result of their refresh (same session, newer tokens), follow their sign-out.
  channel?.addEventListener('message', (event: MessageEvent<TabMessage>) => {
    const message = event.data;
    const had = memory;
    if (message.type === 'signed_in') {
      save(message.state);
      emit({ type: 'SIGNED_IN', user: message.state.user });
    } else if (message.type === 'refreshed') {
      const current = load() ?? had;
      if (!current || current.sessionId !== message.state.sessionId || (message.state.issuedAt ?? 0) < (current.issuedAt ?? 0)) return;
      save(message.state);
      lostSince = null;
      emit({ type: 'TOKEN_REFRESHED', user: message.state.user });
    } else if (message.type === 'signed_out' && had) {
      // A page with its own session (memory storage) ends it too: the user signed out of the app.
      if (had.sessionId !== message.sessionId) void endSession(had);
      signedOut(message.reason, false);
    }
  });

  async function startSession(path: string, body: unknown, status: number): Promise<User> {
    const response = await call(path, body, { bind: true });
    if (response.status !== status) throw await failure(response);
    const state = accept((await response.json()) as TokensBody);
    // Cookie mode: the cookies are the browser's, so every tab of the app is now signed in.
    if (mode === 'cookie' && !persistent) post({ type: 'signed_in', state });
    emit({ type: 'SIGNED_IN', user: state.user });
    return state.user;
  }

  /** A request made as the signed-in user: Bearer header (bearer mode) or the cookies. */
  async function callSignedIn(path: string, body: unknown): Promise<Response> {
    const state = await freshState();
    if (!state) throw new KeymintAuthError(401, 'invalid_token', 'sign in first');
    return call(path, body, { credentials: () => credentials(state, 'POST', `${issuer}${path}`) });
  }

  async function expectNoContent(response: Response): Promise<void> {
    if (response.status !== 204) throw await failure(response);
  }

  function signedOut(reason: 'user' | 'refresh_failed', tellTabs = true): void {
    const had = memory ?? load();
    save(null);
    forgetKey();
    lostSince = null;
    if (had) emit({ type: 'SIGNED_OUT', reason, user: null });
    if (had && tellTabs) post({ type: 'signed_out', sessionId: had.sessionId, reason });
  }

  /** Revokes the session at Keymint with the refresh token (spent or not) and, while valid, the access token. */
  async function endSession(state: State): Promise<void> {
    const body = mode === 'bearer' && state.refreshToken ? { refresh_token: state.refreshToken } : undefined;
    const valid = Date.now() < state.expiresAt ? state : null;
    await call('/auth/signout', body, { credentials: () => credentials(valid, 'POST', `${issuer}/auth/signout`) }).catch(() => undefined);
  }

  /**
   * After a refresh whose answer was lost and the grace has passed: did it go through? The session's
   * `last_used_at` (server seconds) moves on every refresh, so a value above the tokens' `iat` says
   * yes. Equal says no only when the lost send came at least a second after the tokens were issued.
   */
  async function lostRefreshApplied(state: State): Promise<'yes' | 'no' | 'unknown' | 'ended'> {
    if (Date.now() >= state.expiresAt || state.issuedAt === undefined || lostSince === null) return 'unknown';
    try {
      const url = `${issuer}/auth/session`;
      const response = await withNonceRetry(url, (headers) => fetchImpl(url, { headers, credentials: mode === 'cookie' ? 'include' : 'omit', cache: 'no-store' }), () => credentials(state, 'GET', url));
      if (response.status === 401) return 'ended';
      if (!response.ok) return 'unknown';
      const lastUsed = ((await response.json()) as { session: { last_used_at: number } }).session.last_used_at;
      if (lastUsed > state.issuedAt) return 'yes';
      const receivedAt = state.expiresAt - state.lifetime * 1000;
      return lostSince - receivedAt >= 1000 ? 'no' : 'unknown';
    } catch {
      return 'unknown';
    }
  }

  /** Backoff before the next attempt: exponential, capped, with full jitter so tabs and pages do not retry in step. */
  function backoffMs(attempt: number, retryAfterSeconds: number | null): number {
    if (retryAfterSeconds !== null) return retryAfterSeconds * 1000;
    const ceiling = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (attempt - 1));
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

  /**
   * One refresh exchange. Null: the session is over (and the user signed out). A refresh token whose
   * answer was lost (network error, 5xx) may have been spent: it is sent again only inside half the
   * reuse grace Keymint announced; after that the SDK asks /auth/session whether the refresh went
   * through, re-sends only if it did not, and otherwise ends the session (docs/end-users.md).
   */
  async function refreshOnce(state: State): Promise<State | null> {
    for (;;) {
      // Asked before any backoff, while the access token still opens /auth/session.
      if (lostSince !== null && Date.now() - lostSince >= ((state.reuseGrace ?? 0) * 1000) / 2) {
        const applied = await lostRefreshApplied(state);
        if (applied === 'no') lostSince = null;
        else if (applied === 'unknown' && Date.now() < state.expiresAt) return state;
        else {
          // Its successor is lost (or the session ended): end the session rather than present a spent token.
          if (applied !== 'ended') await endSession(state);
          signedOut('refresh_failed');
          return null;
        }
      }
      const wait = nextAttemptAt - Date.now();
      if (wait > 0) {
        // Still in backoff: a token that is valid (if close to expiry) is better than waiting.
        if (Date.now() < state.expiresAt) return state;
        await sleep(wait);
      }
      const sentAt = Date.now();
      let response: Response | null = null;
      let retryAfter: number | null = null;
      try {
        response = await call('/auth/refresh', mode === 'bearer' ? { refresh_token: state.refreshToken } : {}, { bind: true });
      } catch {
        response = null;
      }
      let body: TokensBody | null = null;
      if (response?.ok) body = (await response.json().catch(() => null)) as TokensBody | null;
      if (body) {
        const next = accept(body);
        if (persistent || mode === 'cookie') post({ type: 'refreshed', state: next });
        emit({ type: 'TOKEN_REFRESHED', user: next.user });
        return next;
      }
      if (response && (response.status === 400 || response.status === 401 || response.status === 403)) {
        // Definitive: the refresh token is spent or revoked, the session expired. Sign out.
        signedOut('refresh_failed');
        return null;
      }
      // 429: refused before anything was spent. Anything else may have spent the token.
      if (response?.status === 429) retryAfter = Number(response.headers.get('retry-after')) || null;
      else lostSince ??= sentAt;
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
   * exists, across tabs: a tab that waited re-reads its state, which the tab that refreshed has
   * updated through localStorage or the BroadcastChannel (cookie mode shares no storage), and uses
   * those tokens instead of presenting the spent refresh token.
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
      // Let a result another tab posted before releasing the lock arrive before deciding to refresh.
      const afterMessages = async () => {
        await sleep(0);
        return run();
      };
      const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
      return locks ? ((await locks.request(`keymint-refresh:${storageKey}`, afterMessages)) as State | null) : run();
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
      const response = await call('/auth/otp/start', purpose === undefined ? { email } : { email, purpose }, {});
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
      const state = load();
      try {
        if (state) await endSession(state);
      } finally {
        signedOut('user');
      }
    },

    async fetch(input, init = {}) {
      const url = input instanceof Request ? input.url : String(input);
      const method = init.method ?? (input instanceof Request ? input.method : 'GET');
      const replayable = init.body === undefined || init.body === null || typeof init.body === 'string' || init.body instanceof URLSearchParams || init.body instanceof Blob || init.body instanceof FormData;
      const sendOnce = (state: State | null, extra: Record<string, string>) => {
        const headers = new Headers(init.headers);
        for (const [name, value] of Object.entries(extra)) headers.set(name, value);
        return fetchImpl(input, { ...init, headers, credentials: mode === 'cookie' ? 'include' : init.credentials });
      };
      // A bound token goes as `Authorization: DPoP` with a proof for this request (RFC 9449 §7.1),
      // and once more with the resource server's nonce when its 401 asks for one (§9).
      const send = (state: State | null) => (replayable
        ? withNonceRetry(url, (extra) => sendOnce(state, extra), () => credentials(state, method, url))
        : credentials(state, method, url).then((extra) => sendOnce(state, extra)));
      const state = await freshState();
      const response = await send(state);
      // 401: the token expired early (clock, revocation race) or was refused: refresh once, retry.
      if (response.status !== 401 || !state || !replayable) return response;
      const renewed = await freshState(true);
      if (!renewed) return response;
      return send(renewed);
    },
  };
}
