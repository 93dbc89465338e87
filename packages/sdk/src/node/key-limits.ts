import { basicAuthorization } from './client.js';
import { HTTP_TIMEOUT_MS, type FetchLike } from './discovery.js';
import { InvalidTokenError, KeyLimitError, KeyLimitsUnavailableError } from './errors.js';

/**
 * Keymint's answer about one key (`POST {issuer}/v1/keys/verify`, docs/gateway.md): whether the call
 * may proceed (it was counted before this answer), and the key's limits after it. Times are epoch ms.
 */
export interface KeyUse {
  valid: boolean;
  code: 'VALID' | 'NOT_FOUND' | 'EXPIRED' | 'REVOKED' | 'DISABLED' | 'RATE_LIMITED' | 'USAGE_EXCEEDED' | 'INSUFFICIENT_SCOPE';
  /** Quota units left after this call; null without a quota. */
  remaining: number | null;
  /** Epoch ms the quota may next refill; null without a refill. */
  reset: number | null;
  /** The rate limit's window: calls per window, calls left, epoch ms the window ends; null without one. */
  ratelimit: { limit: number; remaining: number; reset: number } | null;
  scopes: string[];
  client_id?: string;
  token_id?: string;
  expires_at: number | null;
  /** RFC 9449: the key is DPoP-bound to this thumbprint. */
  cnf?: { jkt: string };
}

export interface KeyLimitsOptions {
  /** The tenant's issuer, `{PUBLIC_URL}/t/{tenant}`. */
  issuer: string;
  /** Any app of the tenant: the verify API authenticates callers like introspection (HTTP Basic). */
  clientId: string;
  clientSecret: string;
  fetch?: FetchLike;
}

export interface KeyLimits {
  /**
   * Counts one use of `key` (`cost` quota units, default 1) against its limits in Keymint, which
   * every node and gateway share, and answers whether it may proceed.
   * @throws {KeyLimitsUnavailableError} `ERR_LIMITS_UNAVAILABLE` (503): Keymint did not answer in
   *   time or answered other than 200; the middleware then refuses the request (fail closed)
   */
  use(key: string, options?: { scopes?: readonly string[]; cost?: number }): Promise<KeyUse>;
}

/**
 * Per-key rate limits and quotas for your own API, enforced by Keymint's verify API (issue 20,
 * docs/gateway.md): give the result to `fastifyAuth` / `expressAuth` as `limits`, and a key past
 * its limit is answered 429 with `Retry-After` and the IETF `RateLimit` field, exactly as Keymint's
 * own Contacts API answers it.
 */
export function createKeyLimits({ issuer, clientId, clientSecret, fetch: fetchImpl = fetch }: KeyLimitsOptions): KeyLimits {
  const url = `${issuer.replace(/\/+$/, '')}/v1/keys/verify`;
  const authorization = basicAuthorization(clientId, clientSecret);
  return {
    async use(key, options = {}) {
      let response: Response;
      try {
        response = await fetchImpl(url, {
          method: 'POST',
          headers: { authorization, 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({ key, ...(options.scopes?.length ? { scopes: options.scopes } : {}), ...(options.cost === undefined ? {} : { cost: options.cost }) }),
          signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
        });
      } catch (error) {
        throw new KeyLimitsUnavailableError(`the verify API at ${url} did not answer`, { cause: error });
      }
      if (response.status !== 200) {
        await response.body?.cancel();
        throw new KeyLimitsUnavailableError(`the verify API at ${url} answered ${response.status}`);
      }
      return (await response.json()) as KeyUse;
    },
  };
}

/**
 * What a counted use means for the request (docs/gateway.md): nothing when VALID, else the error to
 * answer with — 429 for a spent rate limit or quota, 401 for a key Keymint no longer honours.
 */
export function keyUseRefusal(use: KeyUse, now = Date.now()): KeyLimitError | InvalidTokenError | null {
  switch (use.code) {
    case 'VALID':
    case 'INSUFFICIENT_SCOPE':
      // Scopes are checked by the middleware before the use is counted.
      return null;
    case 'RATE_LIMITED': {
      const reset = use.ratelimit?.reset ?? now + 1000;
      const seconds = Math.max(1, Math.ceil((reset - now) / 1000));
      return new KeyLimitError('ERR_RATE_LIMITED', 'this key\'s rate limit is spent for the current window', seconds, use.ratelimit ? { ratelimit: `"rate";r=${use.ratelimit.remaining};t=${seconds}` } : {});
    }
    case 'USAGE_EXCEEDED': {
      const seconds = use.reset === null ? null : Math.max(1, Math.ceil((use.reset - now) / 1000));
      return new KeyLimitError('ERR_USAGE_EXCEEDED', 'this key\'s usage quota is spent', seconds, { ratelimit: `"quota";r=0${seconds === null ? '' : `;t=${seconds}`}` });
    }
    default:
      return new InvalidTokenError('ERR_TOKEN_REVOKED', 'the access token is no longer valid');
  }
}
