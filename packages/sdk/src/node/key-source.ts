import { createLocalJWKSet, errors as joseErrors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { discover, HTTP_TIMEOUT_MS, maxAgeSeconds, type FetchLike } from './discovery.js';
import { InvalidTokenError, KeysUnavailableError } from './errors.js';

export interface RemoteKeySourceOptions {
  issuer: string;
  fetch: FetchLike;
  /** Minimum milliseconds between two refetches caused by an unknown `kid`. */
  cooldownMs: number;
  /** Seconds the JWKS is kept when the response has no usable Cache-Control. */
  defaultMaxAgeSeconds: number;
  now: () => number;
}

/** Longest a JWKS is trusted without asking again, whatever Cache-Control says. */
const MAX_CACHE_SECONDS = 86_400;

/**
 * The issuer's signing keys, found through its metadata's `jwks_uri` (RFC 8414 §2) and kept for
 * as long as the JWKS response's Cache-Control allows. A token whose `kid` is unknown (a key
 * rotated in since the last fetch) triggers a refetch, but at most one per cooldown, so a
 * stream of tokens with made-up `kid`s cannot turn the verifier into a JWKS request flood.
 * The `kid` is only ever compared with the keys held in memory: never put in a URL or path.
 */
export class RemoteKeySource {
  private jwksUri: string | null = null;
  private keys: JWTVerifyGetKey | null = null;
  private expiresAt = 0;
  private lastFetchAt = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<void> | null = null;
  /** How many times the JWKS was fetched: exposed for tests and metrics. */
  fetchCount = 0;

  constructor(private readonly options: RemoteKeySourceOptions) {}

  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    const { now, cooldownMs } = this.options;
    if (!this.keys || now() >= this.expiresAt) await this.refresh(!this.keys);
    try {
      return await this.keys!(header, token);
    } catch (error) {
      if (!(error instanceof joseErrors.JWKSNoMatchingKey) || now() - this.lastFetchAt < cooldownMs) throw error;
      await this.refresh(false);
      return await this.keys!(header, token);
    }
  };

  /** One fetch at a time however many verifications wait on it. */
  private refresh(required: boolean): Promise<void> {
    this.inFlight ??= this.fetchKeys()
      .catch((error: unknown) => {
        // Keys already held stay in use when a refetch fails (the issuer may be restarting);
        // with no keys at all nothing can be verified, and that is not the token's fault.
        if (required || !this.keys) {
          throw new KeysUnavailableError('ERR_JWKS_UNAVAILABLE', `the issuer's keys could not be loaded: ${(error as Error).message}`);
        }
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
      if (typeof metadata.jwks_uri !== 'string') throw new Error('issuer metadata has no jwks_uri');
      this.jwksUri = metadata.jwks_uri;
    }
    const response = await fetchImpl(this.jwksUri, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
    if (!response.ok) throw new Error(`JWKS answered HTTP ${response.status}`);
    const jwks = (await response.json()) as JSONWebKeySet;
    if (jwks === null || typeof jwks !== 'object' || !Array.isArray(jwks.keys)) throw new Error('JWKS is not a key set');
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
