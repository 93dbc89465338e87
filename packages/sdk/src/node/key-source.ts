import { createLocalJWKSet, errors as joseErrors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { discover, HTTP_TIMEOUT_MS, maxAgeSeconds, readJsonBody, type FetchLike } from './discovery.js';
import { InvalidTokenError, JwksTooLargeError, KeysUnavailableError } from './errors.js';

export interface RemoteKeySourceOptions {
  issuer: string;
  fetch: FetchLike;
  /** Minimum milliseconds between two refetches caused by an unknown `kid`. */
  cooldownMs: number;
  /** Seconds the JWKS is kept when the response has no usable Cache-Control. */
  defaultMaxAgeSeconds: number;
  now: () => number;
  /** Told about a failed refetch while held keys stay in use (nothing else reports it). */
  onError?: (error: KeysUnavailableError) => void;
}

/** Longest a JWKS is trusted without asking again, whatever Cache-Control says. */
const MAX_CACHE_SECONDS = 86_400;

/**
 * Largest JWKS response accepted, in bytes. Keymint publishes at most a handful of keys (next,
 * current, retired), a few hundred bytes each; a bigger answer is a misconfigured or hostile
 * issuer, and parsing it would cost memory and CPU on every fetch (30 000 keys ≈ 80 MB).
 */
export const MAX_JWKS_BYTES = 128 * 1024;

/** Most keys accepted in one JWKS (see {@link MAX_JWKS_BYTES}). */
export const MAX_JWKS_KEYS = 100;

/** Longest wait after consecutive failed JWKS fetches; the wait doubles from the cooldown (at least 1 s) up to this. */
export const MAX_JWKS_BACKOFF_MS = 60_000;

/**
 * The issuer's signing keys, found through its metadata's `jwks_uri` (RFC 8414 §2) and kept for
 * as long as the JWKS response's Cache-Control allows. A token whose `kid` is unknown (a key
 * rotated in since the last fetch) triggers a refetch, but at most one per cooldown, so a
 * stream of tokens with made-up `kid`s cannot turn the verifier into a JWKS request flood.
 * The `kid` is only ever compared with the keys held in memory: never put in a URL or path.
 *
 * Degrading gracefully when the issuer is down or hangs:
 * - keys past their max-age keep verifying while the next fetch runs in the background: no
 *   verification waits on a routine refresh, so a hung JWKS endpoint delays nobody;
 * - after a failed fetch the next one waits (the cooldown, doubling per consecutive failure up to
 *   {@link MAX_JWKS_BACKOFF_MS}); meanwhile held keys are used and, with none held,
 *   verifications fail at once with the last failure instead of waiting on another fetch. A
 *   token whose `kid` is not among the held keys gets that failure too (503, not invalid_token):
 *   it may be signed by a key rotated in while the issuer was unreachable.
 */
export class RemoteKeySource {
  private jwksUri: string | null = null;
  private keys: JWTVerifyGetKey | null = null;
  private expiresAt = 0;
  private lastFetchAt = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<void> | null = null;
  private failures = 0;
  private retryAt = Number.NEGATIVE_INFINITY;
  private lastFailure: KeysUnavailableError | null = null;
  /** How many times the JWKS was fetched: exposed for tests and metrics. */
  fetchCount = 0;

  constructor(private readonly options: RemoteKeySourceOptions) {}

  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    const { now, cooldownMs } = this.options;
    if (!this.keys) {
      await this.refresh();
      if (!this.keys) throw this.lastFailure ?? new KeysUnavailableError('ERR_JWKS_UNAVAILABLE', "the issuer's keys could not be loaded");
    } else if (now() >= this.expiresAt) {
      // Stale-while-revalidate: the failure, if any, is reported through onError and backed off.
      void this.refresh();
    }
    try {
      return await this.keys!(header, token);
    } catch (error) {
      if (!(error instanceof joseErrors.JWKSNoMatchingKey)) throw error;
      // A fetch already under way may bring the key (a rotation); otherwise one per cooldown.
      if (!this.inFlight && !this.lastFailure && now() - this.lastFetchAt < cooldownMs) throw error;
      await this.refresh();
      try {
        return await this.keys!(header, token);
      } catch (again) {
        // The issuer's current keys cannot be loaded, so the kid may be a rotation not seen yet:
        // 503 (retry later), not a verdict on the token. Never a pass either way.
        if (again instanceof joseErrors.JWKSNoMatchingKey && this.lastFailure) throw this.lastFailure;
        throw again;
      }
    }
  };

  /**
   * One fetch at a time however many verifications wait on it; none at all while backing off
   * after a failure. Never rejects: the outcome is in `keys` and `lastFailure`.
   */
  private refresh(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    if (this.options.now() < this.retryAt) return Promise.resolve();
    this.inFlight = this.fetchKeys()
      .then(() => {
        this.failures = 0;
        this.lastFailure = null;
      })
      .catch((error: unknown) => {
        this.failures += 1;
        const wait = Math.min(Math.max(this.options.cooldownMs, 1_000) * 2 ** (this.failures - 1), MAX_JWKS_BACKOFF_MS);
        this.retryAt = this.options.now() + wait;
        this.lastFailure = error instanceof KeysUnavailableError
          ? error
          : new KeysUnavailableError('ERR_JWKS_UNAVAILABLE', `the issuer's keys could not be loaded: ${(error as Error).message}`, { cause: error });
        // Keys already held stay in use (the issuer may be restarting); the failure is not the token's.
        if (this.keys) this.options.onError?.(this.lastFailure);
      })
      .finally(() => {
        this.inFlight = null;
      });
    return this.inFlight;
  }

  private async fetchKeys(): Promise<void> {
    const { issuer, fetch: fetchImpl, now, defaultMaxAgeSeconds } = this.options;
    this.lastFetchAt = now();
    this.fetchCount += 1;
    if (!this.jwksUri) {
      const metadata = await discover(issuer, fetchImpl);
      if (typeof metadata.jwks_uri !== 'string') throw new KeysUnavailableError('ERR_JWKS_UNAVAILABLE', "the issuer's metadata has no jwks_uri");
      this.jwksUri = metadata.jwks_uri;
    }
    const response = await fetchImpl(this.jwksUri, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      throw new KeysUnavailableError('ERR_JWKS_UNAVAILABLE', `the issuer's JWKS answered HTTP ${response.status}`);
    }
    const jwks = (await readJsonBody(response, MAX_JWKS_BYTES, () => new JwksTooLargeError(`the issuer's JWKS is larger than ${MAX_JWKS_BYTES} bytes`))) as JSONWebKeySet;
    if (jwks === null || typeof jwks !== 'object' || !Array.isArray(jwks.keys)) throw new KeysUnavailableError('ERR_JWKS_UNAVAILABLE', "the issuer's JWKS is not a key set");
    if (jwks.keys.length > MAX_JWKS_KEYS) throw new JwksTooLargeError(`the issuer's JWKS has ${jwks.keys.length} keys, more than ${MAX_JWKS_KEYS}`);
    this.keys = createLocalJWKSet(jwks);
    const maxAge = Math.min(maxAgeSeconds(response.headers.get('cache-control')) ?? defaultMaxAgeSeconds, MAX_CACHE_SECONDS);
    this.expiresAt = now() + maxAge * 1000;
  }
}

/** RFC 7515 §4.1.2–4.1.6: key-carrying or key-locating headers; Keymint's tokens never use them. */
const EMBEDDED_KEY_HEADERS = ['jku', 'jwk', 'x5u', 'x5c'] as const;

/**
 * Wraps a key getter so that headers trying to supply or locate their own key are refused before
 * any key is looked up (RFC 8725 §3.10: never trust a key the token brings along).
 */
export function refusingEmbeddedKeys(getKey: JWTVerifyGetKey): JWTVerifyGetKey {
  return (header, token) => {
    for (const name of EMBEDDED_KEY_HEADERS) {
      if (name in header) throw new InvalidTokenError('ERR_TOKEN_EMBEDDED_KEY', `the token's ${name} header is not accepted`);
    }
    if (header.kid !== undefined && (typeof header.kid !== 'string' || header.kid.length > 256)) {
      throw new InvalidTokenError('ERR_TOKEN_MALFORMED', 'the token has an unusable kid');
    }
    return getKey(header, token);
  };
}
