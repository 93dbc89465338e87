import { discover, HTTP_TIMEOUT_MS, metadataUrl, type FetchLike } from './discovery.js';
import { createDpopProof, generateDpopKey, type DpopKey } from './dpop.js';
import { requireOptions, TokenRequestError } from './errors.js';
import { buildSignedTokenRequest } from './signed-request.js';

/** How the client proves who it is to the token endpoint. */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'signed_request';

export interface ClientOptions {
  /** The tenant's issuer, e.g. `https://auth.example.com/t/acme`. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Default `client_secret_basic` (RFC 6749 §2.3.1). `signed_request` uses Keymint's `/v3/tokens`. */
  auth?: ClientAuthMethod;
  /** Scopes to ask for; default: the app's default scopes. */
  scopes?: string[];
  /** Audience to ask for (RFC 8707); default the tenant's `{issuer}/api`. */
  audience?: string;
  /** Sent as `X-Tenant-Id` by {@link ApiClient.fetch}. */
  tenantId?: string;
  /** Seconds before expiry at which a cached token is replaced; default 30. */
  refreshSkewSeconds?: number;
  /** Retries of a token request after a network error or a 5xx; default 3. */
  maxRetries?: number;
  /** HTTP client; default the global fetch. */
  fetch?: FetchLike;
  /** Clock in epoch milliseconds; default `Date.now`. */
  now?: () => number;
  /**
   * RFC 9449 DPoP: `true` makes a key pair for this client (ES256, private key not extractable),
   * or pass one from {@link generateDpopKey}. Token requests then carry a proof, tokens come back
   * bound to the key (`token_type: DPoP`), and {@link ApiClient.fetch} sends them as
   * `Authorization: DPoP` with a proof per request. A `use_dpop_nonce` answer is retried once
   * with the server's nonce.
   */
  dpop?: boolean | DpopKey;
}

/** RFC 6749 §5.1 successful token response. */
export interface TokenSet {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope?: string;
}

/** RFC 9449 §8/§9: an answer asking for a nonce carries `error="use_dpop_nonce"` and the nonce in `DPoP-Nonce`. */
function nonceDemand(response: Response, body: Record<string, unknown> | null): string | null {
  const nonce = response.headers.get('dpop-nonce');
  if (!nonce) return null;
  const challenge = response.headers.get('www-authenticate') ?? '';
  return body?.error === 'use_dpop_nonce' || /error="use_dpop_nonce"/.test(challenge) ? nonce : null;
}

/**
 * What {@link createClient} returns: an OAuth client of one app (client credentials). Named apart
 * from the browser SDK's `KeymintClient`, which signs end users in.
 */
export interface ApiClient {
  /**
   * A valid access token: from the cache until shortly before it expires, then from the token
   * endpoint. However many callers ask at once, at most one token request is in flight.
   * @throws {TokenRequestError} the token endpoint refused (`.error` is the RFC 6749 §5.2 code),
   *   could not be reached after the retries (`network_error`), or is not in the metadata
   *   (`invalid_metadata`)
   */
  getToken(): Promise<string>;
  /**
   * `fetch` with `Authorization: Bearer` (and `X-Tenant-Id` when configured). On a 401 the token
   * is replaced and the request retried once (RFC 6750 §3.1: the token may have been revoked
   * or rotated early). Request bodies must be replayable (string, buffer, URLSearchParams…).
   * @throws {TokenRequestError} as {@link ApiClient.getToken}; failures of the call itself
   *   are those of the global `fetch`
   */
  fetch(url: string | URL, init?: RequestInit): Promise<Response>;
  /** Drops the cached token so the next call gets a fresh one. */
  invalidate(): void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * An API client for the OAuth 2.0 client credentials grant (RFC 6749 §4.4) against a Keymint
 * issuer, with token caching and refresh before expiry.
 *
 * @example
 * const client = createClient({ issuer, clientId, clientSecret, scopes: ['contacts_read'] });
 * const response = await client.fetch(`${issuer}/api/v1/contacts`);
 * @throws {OptionError} `ERR_OPTION_MISSING` when `issuer`, `clientId` or `clientSecret` is
 *   missing, `ERR_OPTION_INVALID` when `issuer` is not an absolute URL (programming mistakes, at
 *   construction)
 */
export function createClient(options: ClientOptions): ApiClient {
  requireOptions(options, ['issuer', 'clientId', 'clientSecret'], 'createClient');
  metadataUrl(options.issuer);
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const now = options.now ?? Date.now;
  const auth = options.auth ?? 'client_secret_basic';
  const skewMs = (options.refreshSkewSeconds ?? 30) * 1000;
  const maxRetries = options.maxRetries ?? 3;
  let tokenEndpoint: string | null = null;
  let cached: { token: string; refreshAt: number } | null = null;
  let inFlight: Promise<string> | null = null;
  // DPoP: the key (made on first use when `dpop: true`), the last nonce each server gave, the scheme of the cached token.
  const dpopKey: Promise<DpopKey> | null = options.dpop === undefined || options.dpop === false ? null : options.dpop === true ? generateDpopKey('ES256') : Promise.resolve(options.dpop);
  const nonces = new Map<string, string>();
  let scheme: 'Bearer' | 'DPoP' = 'Bearer';

  async function proofFor(method: string, url: string, accessToken?: string): Promise<Record<string, string>> {
    if (!dpopKey) return {};
    const origin = new URL(url).origin;
    const nonce = nonces.get(origin);
    return { dpop: await createDpopProof(await dpopKey, { method, url, now: now(), ...(accessToken === undefined ? {} : { accessToken }), ...(nonce === undefined ? {} : { nonce }) }) };
  }

  function rememberNonce(url: string, response: Response): void {
    const nonce = response.headers.get('dpop-nonce');
    if (dpopKey && nonce) nonces.set(new URL(url).origin, nonce);
  }

  async function endpoint(): Promise<string> {
    if (auth === 'signed_request') return `${options.issuer}/v3/tokens`;
    if (!tokenEndpoint) {
      const metadata = await discover(options.issuer, fetchImpl);
      if (typeof metadata.token_endpoint !== 'string') throw new TokenRequestError(0, 'invalid_metadata', 'issuer metadata has no token_endpoint');
      tokenEndpoint = metadata.token_endpoint;
    }
    return tokenEndpoint;
  }

  function tokenRequest(): { headers: Record<string, string>; body: string } {
    if (auth === 'signed_request') {
      const body = buildSignedTokenRequest({
        clientId: options.clientId,
        clientSecret: options.clientSecret,
        audience: options.audience ?? `${options.issuer}/api`,
        scopes: options.scopes,
        nowMs: now(),
      });
      return { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
    }
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (options.scopes && options.scopes.length > 0) form.set('scope', options.scopes.join(' '));
    if (options.audience) form.set('audience', options.audience);
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (auth === 'client_secret_basic') {
      // RFC 6749 §2.3.1: id and secret are form-url-encoded before Base64.
      const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
      headers.authorization = `Basic ${Buffer.from(`${encode(options.clientId)}:${encode(options.clientSecret)}`).toString('base64')}`;
    } else {
      form.set('client_id', options.clientId);
      form.set('client_secret', options.clientSecret);
    }
    return { headers, body: form.toString() };
  }

  async function requestToken(): Promise<string> {
    let nonceRetried = false;
    for (let attempt = 0; ; attempt += 1) {
      let response: Response;
      let url: string;
      try {
        // Built per attempt: a signed request's timestamp and one-time value (and a DPoP proof's jti) must be fresh.
        const { headers, body } = tokenRequest();
        url = await endpoint();
        response = await fetchImpl(url, {
          method: 'POST',
          headers: { accept: 'application/json', ...headers, ...(await proofFor('POST', url)) },
          body,
          signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
        });
      } catch (error) {
        if (error instanceof TokenRequestError) throw error;
        if (attempt >= maxRetries) throw new TokenRequestError(0, 'network_error', `token request failed: ${(error as Error).message}`, { cause: error });
        await sleep(backoffMs(attempt));
        continue;
      }
      if (response.status >= 500 && attempt < maxRetries) {
        await response.body?.cancel();
        await sleep(backoffMs(attempt));
        continue;
      }
      const text = await response.text();
      let json: Record<string, unknown> | null = null;
      try {
        json = JSON.parse(text) as Record<string, unknown>;
      } catch {
        // handled below: a non-JSON answer is an error whatever its status
      }
      rememberNonce(url, response);
      if (!response.ok && !nonceRetried && nonceDemand(response, json)) {
        nonceRetried = true;
        attempt -= 1;
        continue;
      }
      if (!response.ok || !json || typeof json.access_token !== 'string') {
        const error = typeof json?.error === 'string' ? json.error : 'invalid_response';
        const description = typeof json?.error_description === 'string' ? json.error_description : `token endpoint answered HTTP ${response.status}`;
        throw new TokenRequestError(response.status, error, description);
      }
      const expiresIn = typeof json.expires_in === 'number' && json.expires_in > 0 ? json.expires_in : 60;
      // Replace the token skewMs before it expires, but never cache a short-lived one past half its life.
      const refreshAt = now() + Math.max(expiresIn * 1000 - skewMs, (expiresIn * 1000) / 2);
      cached = { token: json.access_token, refreshAt };
      scheme = typeof json.token_type === 'string' && json.token_type.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer';
      return json.access_token;
    }
  }

  function getToken(): Promise<string> {
    if (cached && now() < cached.refreshAt) return Promise.resolve(cached.token);
    inFlight ??= requestToken().finally(() => {
      inFlight = null;
    });
    return inFlight;
  }

  async function authorizedFetch(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const send = async (token: string) => {
      const headers = new Headers(init.headers);
      headers.set('authorization', `${scheme} ${token}`);
      if (scheme === 'DPoP') for (const [name, value] of Object.entries(await proofFor((init.method ?? 'GET').toUpperCase(), String(url), token))) headers.set(name, value);
      if (options.tenantId) headers.set('x-tenant-id', options.tenantId);
      const response = await fetchImpl(url, { ...init, headers });
      rememberNonce(String(url), response);
      return response;
    };
    const token = await getToken();
    let response = await send(token);
    if (response.status === 401 && scheme === 'DPoP' && nonceDemand(response, null)) {
      await response.body?.cancel();
      response = await send(token);
    }
    if (response.status !== 401) return response;
    await response.body?.cancel();
    // Only drop the token if no one replaced it meanwhile, so 100 parallel 401s cost one new token.
    if (cached?.token === token) cached = null;
    return send(await getToken());
  }

  return {
    getToken,
    fetch: authorizedFetch,
    invalidate: () => {
      cached = null;
    },
  };
}

/** Exponential backoff with full jitter: 100 ms, 200 ms, 400 ms… capped at 2 s. */
function backoffMs(attempt: number): number {
  return Math.random() * Math.min(2_000, 100 * 2 ** attempt);
}
