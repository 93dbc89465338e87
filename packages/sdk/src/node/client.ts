import { KeyObject, randomUUID } from 'node:crypto';
import { importJWK, SignJWT, type CryptoKey, type JWK } from 'jose';
import { discover, HTTP_TIMEOUT_MS, metadataUrl, type FetchLike } from './discovery.js';
import { createDpopProof, generateDpopKey, type DpopKey } from './dpop.js';
import { OptionError, requireOptions, TokenRequestError } from './errors.js';
import { buildSignedTokenRequest } from './signed-request.js';

/** RFC 6749 §2.3.1 client_secret_basic: id and secret form-url-encoded, then Base64 (also the verify API's client authentication). */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
}

/** How the client proves who it is to the token endpoint. */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'signed_request' | 'private_key_jwt';

/** JWS algorithms Keymint accepts for private_key_jwt assertions (its `token_endpoint_auth_signing_alg_values_supported`). */
export type ClientAssertionAlg = 'ES256' | 'ES384' | 'EdDSA' | 'RS256' | 'PS256';

/**
 * The private key of a private_key_jwt app (RFC 7523 §2.2); its public half is registered on the
 * app (`keymint app create --auth-methods private_key_jwt --jwks FILE`).
 */
export interface ClientPrivateKey {
  /** A private JWK (with `d`), a WebCrypto `CryptoKey` or a node:crypto `KeyObject`. */
  key: JWK | CryptoKey | KeyObject;
  /** The registered key's `kid`, sent in the assertion header; default the JWK's `kid`. Without one Keymint tries each key of the app. */
  kid?: string;
  /** Default: the JWK's `alg`, else what the key is (EC P-256 → ES256, P-384 → ES384, Ed25519 → EdDSA, RSA → RS256, RSA-PSS → PS256). */
  alg?: ClientAssertionAlg;
}

export interface ClientOptions {
  /** The tenant's issuer, e.g. `https://auth.example.com/t/acme`. */
  issuer: string;
  clientId: string;
  /** The app's secret; not used (and not needed) with `privateKey`. */
  clientSecret?: string;
  /**
   * The app's private key for private_key_jwt (RFC 7523 §2.2): every token request carries a fresh
   * assertion signed with it (`iss` = `sub` = clientId, `aud` = the token endpoint, 60 s `exp`, a
   * new `jti`). Given without `auth`, the method is `private_key_jwt`.
   */
  privateKey?: ClientPrivateKey;
  /**
   * Default `client_secret_basic` (RFC 6749 §2.3.1), or `private_key_jwt` when `privateKey` is
   * given. `signed_request` uses Keymint's `/v3/tokens`.
   */
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
 * @example private_key_jwt: no shared secret (RFC 7523 §2.2)
 * const client = createClient({ issuer, clientId, privateKey: { key: privateJwk, kid: 'key-1' } });
 * @throws {OptionError} `ERR_OPTION_MISSING` when `issuer` or `clientId` is missing, or
 *   `clientSecret` for a secret method, or `privateKey` for `private_key_jwt`;
 *   `ERR_OPTION_INVALID` when `issuer` is not an absolute URL or the key's algorithm cannot be
 *   told (programming mistakes, at construction)
 */
export function createClient(options: ClientOptions): ApiClient {
  const auth = options.auth ?? (options.privateKey ? 'private_key_jwt' : 'client_secret_basic');
  requireOptions(options, ['issuer', 'clientId', auth === 'private_key_jwt' ? 'privateKey' : 'clientSecret'], 'createClient');
  metadataUrl(options.issuer);
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const now = options.now ?? Date.now;
  const signer = auth === 'private_key_jwt' ? assertionSigner(options.privateKey!) : null;
  const clientSecret = options.clientSecret ?? '';
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

  async function tokenRequest(): Promise<{ headers: Record<string, string>; body: string }> {
    if (auth === 'signed_request') {
      const body = buildSignedTokenRequest({
        clientId: options.clientId,
        clientSecret,
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
    if (signer) {
      // RFC 7521 §4.2: a new assertion (new jti) for every request, retries included.
      form.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
      form.set('client_assertion', await signer(options.clientId, await endpoint(), now()));
    } else if (auth === 'client_secret_basic') {
      headers.authorization = basicAuthorization(options.clientId, clientSecret);
    } else {
      form.set('client_id', options.clientId);
      form.set('client_secret', clientSecret);
    }
    return { headers, body: form.toString() };
  }

  async function requestToken(): Promise<string> {
    let nonceRetried = false;
    for (let attempt = 0; ; attempt += 1) {
      let response: Response;
      let url: string;
      try {
        // Built per attempt: a signed request's timestamp and one-time value (and an assertion's or a DPoP proof's jti) must be fresh.
        const { headers, body } = await tokenRequest();
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

const CURVE_ALGS: Record<string, ClientAssertionAlg> = { 'P-256': 'ES256', 'prime256v1': 'ES256', 'P-384': 'ES384', 'secp384r1': 'ES384', Ed25519: 'EdDSA', ed25519: 'EdDSA' };

function isJwk(key: ClientPrivateKey['key']): key is JWK {
  return typeof (key as JWK).kty === 'string';
}

/** The algorithm a private key signs with, from what the key says about itself. */
function assertionAlg(privateKey: ClientPrivateKey): ClientAssertionAlg {
  if (privateKey.alg) return privateKey.alg;
  const { key } = privateKey;
  let alg: ClientAssertionAlg | undefined;
  if (isJwk(key)) alg = (key.alg as ClientAssertionAlg | undefined) ?? (key.kty === 'RSA' ? 'RS256' : CURVE_ALGS[key.crv ?? '']);
  else if (key instanceof KeyObject) {
    const type = key.asymmetricKeyType;
    alg = type === 'rsa' ? 'RS256' : type === 'rsa-pss' ? 'PS256' : type === 'ed25519' ? 'EdDSA' : CURVE_ALGS[key.asymmetricKeyDetails?.namedCurve ?? ''];
  } else {
    const algorithm = key.algorithm as { name: string; namedCurve?: string };
    alg = algorithm.name === 'RSASSA-PKCS1-v1_5' ? 'RS256' : algorithm.name === 'RSA-PSS' ? 'PS256' : algorithm.name === 'Ed25519' ? 'EdDSA' : CURVE_ALGS[algorithm.namedCurve ?? ''];
  }
  if (!alg) throw new OptionError('ERR_OPTION_INVALID', 'privateKey', 'createClient cannot tell the privateKey\'s algorithm: set privateKey.alg (ES256, ES384, EdDSA, RS256 or PS256)');
  return alg;
}

/** Signs RFC 7523 §3 client assertions with one private key (a JWK is imported once). */
function assertionSigner(privateKey: ClientPrivateKey): (clientId: string, audience: string, nowMs: number) => Promise<string> {
  const alg = assertionAlg(privateKey);
  const { key } = privateKey;
  const kid = privateKey.kid ?? (isJwk(key) ? key.kid : undefined);
  let imported: Promise<CryptoKey | KeyObject | Uint8Array> | null = null;
  const signingKey = () => (imported ??= isJwk(key) ? importJWK(key, alg) : Promise.resolve(key));
  return async (clientId, audience, nowMs) => {
    const iat = Math.floor(nowMs / 1000);
    return new SignJWT({ jti: randomUUID() })
      .setProtectedHeader({ alg, ...(kid === undefined ? {} : { kid }), typ: 'JWT' })
      .setIssuer(clientId).setSubject(clientId).setAudience(audience)
      .setIssuedAt(iat).setExpirationTime(iat + 60)
      .sign(await signingKey());
  };
}
