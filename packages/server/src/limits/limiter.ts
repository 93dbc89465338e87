import { RateLimited, TemporarilyUnavailable, UsageExceeded, type KeymintError } from '../errors.js';
import { hasLimits, type Limits } from './model.js';
import type { ConsumeResult, LimitStore } from './store.js';
import type { KeyOutcome } from '../admin/usage.js';

/** A credential with its limits: `token:{id}` (an API token) or `app:{client_id}` (every token of an app). */
export interface Limited {
  readonly subject: string;
  readonly limits: Limits;
}

/** What one use of a credential was allowed, and what is left (all times epoch ms). */
export interface LimitDecision {
  outcome: 'valid' | 'rate_limited' | 'usage_exceeded';
  rate: { limit: number; remaining: number; resetAt: number; windowMs: number } | null;
  quota: { limit: number; remaining: number; refillAt: number | null } | null;
  /** When it was decided (the clock the reset times are relative to). */
  at: number;
}

const UNLIMITED: LimitDecision = Object.freeze({ outcome: 'valid', rate: null, quota: null, at: 0 });

export interface KeyLimiterOptions {
  store: LimitStore;
  now: () => number;
  /** The store failed (logged by the caller); the credential's `failOpen` decides the answer. */
  onStoreError: (error: unknown) => void;
  /** An app's limits by client_id, from the apps cache (no database read when cached); null: unknown. */
  appLimits: (clientId: string) => Promise<Limits | null>;
  /** Every use's outcome, per key (admin/usage.ts, batched off the request path). */
  onOutcome: (tenantId: string, subject: string, outcome: KeyOutcome) => void;
}

/** Who a use counts against: the principal's resolved credential. */
export interface Credential {
  kind: string;
  subject: string;
  clientId: string | null;
  limits?: Limits;
}

/**
 * Per-key rate limits and quotas (issue 20): each use is counted in the deployment's shared
 * store (Redis, else the database) before the request is answered, in one atomic step for both
 * limits, so a key with 50 uses left answers exactly 50 times across workers and nodes.
 */
export class KeyLimiter {
  constructor(private readonly options: KeyLimiterOptions) {}

  /**
   * The limits a principal's use counts against: an API token's own, or its app's (shared by
   * every JWT and `kma_` token of the app); null when there are none.
   */
  async limitedOf(principal: Credential): Promise<Limited | null> {
    if (principal.kind === 'api_token') return principal.limits ? { subject: subjectOf(principal), limits: principal.limits } : null;
    if (principal.clientId === null) return null;
    const limits = await this.options.appLimits(principal.clientId);
    return limits && { subject: subjectOf(principal), limits };
  }

  /** One use of `principal` in tenant `tenantId`: counted against its limits (see consume), its outcome recorded for usage. */
  async use(tenantId: string, principal: Credential, cost = 1): Promise<LimitDecision> {
    const decision = await this.consume(await this.limitedOf(principal), cost);
    this.options.onOutcome(tenantId, subjectOf(principal), decision.outcome);
    return decision;
  }

  /** Records a use that never reached the limits: a key that resolved to nothing (null), or lacked a scope. */
  refused(tenantId: string, principal: Credential | null, outcome: 'invalid' | 'insufficient_scope'): void {
    this.options.onOutcome(tenantId, principal ? subjectOf(principal) : 'unknown', outcome);
  }

  /**
   * Counts one use (`cost` quota units, one rate-limit request) of `limited`. A credential
   * without limits costs nothing. A store outage throws TemporarilyUnavailable (503) unless the
   * credential's limits say fail open, when the use passes uncounted.
   */
  async consume(limited: Limited | null, cost = 1): Promise<LimitDecision> {
    if (limited === null || !hasLimits(limited.limits)) return UNLIMITED;
    const { rateLimit, quota, since } = limited.limits;
    const now = this.options.now();
    // A cost above the whole quota can never pass: refused without a round trip.
    if (quota !== null && cost > quota.max) {
      return { outcome: 'usage_exceeded', rate: rateLimit && { limit: rateLimit.max, remaining: rateLimit.max, resetAt: now + rateLimit.windowMs, windowMs: rateLimit.windowMs }, quota: { limit: quota.max, remaining: 0, refillAt: null }, at: now };
    }
    const version = `${limited.subject}:${since}`;
    let result: ConsumeResult;
    try {
      result = await this.options.store.consume({
        rate: rateLimit && { key: `limit:rate:${version}`, max: rateLimit.max, windowMs: rateLimit.windowMs },
        quota: quota && { key: `quota:${version}`, max: quota.max, refillAmount: quota.refill?.amount ?? 0, periodMs: quota.refill?.periodMs ?? 0 },
        cost,
      }, now);
    } catch (error) {
      this.options.onStoreError(error);
      if (limited.limits.failOpen) return UNLIMITED;
      throw new TemporarilyUnavailable('the usage limits of this key cannot be checked right now: retry shortly', 2);
    }
    return {
      outcome: result.granted ? 'valid' : result.refusedBy === 'rate' ? 'rate_limited' : 'usage_exceeded',
      rate: rateLimit && result.rate && { limit: rateLimit.max, remaining: Math.max(0, rateLimit.max - result.rate.count), resetAt: result.rate.resetAt, windowMs: rateLimit.windowMs },
      quota: quota && result.quota && { limit: quota.max, remaining: Math.max(0, result.quota.remaining), refillAt: result.quota.refillAt },
      at: now,
    };
  }
}

/** Whose usage a use is: `token:{id}` (API tokens), `app:{client_id}` (every token of an app), else `unknown`. */
function subjectOf(principal: Credential): string {
  if (principal.kind === 'api_token') return `token:${principal.subject}`;
  return principal.clientId === null ? 'unknown' : `app:${principal.clientId}`;
}

const seconds = (ms: number): number => Math.max(0, Math.ceil(ms / 1000));

/**
 * Seconds until the rate window ends, at most one window: a request that read the clock just
 * before a concurrent one opened the window would otherwise be told window + 1 s.
 */
const untilWindowEnds = (rate: { resetAt: number; windowMs: number }, now: number): number => Math.min(seconds(rate.windowMs), seconds(rate.resetAt - now));

/**
 * The IETF RateLimit-Policy and RateLimit fields (draft-ietf-httpapi-ratelimit-headers-10 §3–4,
 * Structured Field Lists): one `"rate"` item (q requests per w seconds) and one `"quota"` item
 * (q units; w the refill period when there is one), each with r remaining and t seconds to reset.
 */
export function rateLimitHeaders(decision: LimitDecision): Record<string, string> {
  const now = decision.at;
  const policies: string[] = [];
  const states: string[] = [];
  if (decision.rate) {
    policies.push(`"rate";q=${decision.rate.limit};w=${seconds(decision.rate.windowMs)}`);
    states.push(`"rate";r=${decision.rate.remaining};t=${untilWindowEnds(decision.rate, now)}`);
  }
  if (decision.quota) {
    const { refillAt } = decision.quota;
    policies.push(`"quota";q=${decision.quota.limit}`);
    states.push(`"quota";r=${decision.quota.remaining}${refillAt === null ? '' : `;t=${seconds(refillAt - now)}`}`);
  }
  return policies.length === 0 ? {} : { 'ratelimit-policy': policies.join(', '), ratelimit: states.join(', ') };
}

/** The 429 a refused use answers, with Retry-After (seconds) and the RateLimit fields; null when it passed. */
export function refusal(decision: LimitDecision): KeymintError | null {
  if (decision.outcome === 'valid') return null;
  const now = decision.at;
  const headers = rateLimitHeaders(decision);
  if (decision.outcome === 'rate_limited') {
    headers['retry-after'] = String(Math.max(1, decision.rate ? untilWindowEnds(decision.rate, now) : 0));
    return new RateLimited('this key\'s rate limit is spent for the current window', headers);
  }
  const refillAt = decision.quota?.refillAt ?? null;
  // A quota that never refills: Retry-After is left out, since retrying will not help.
  if (refillAt !== null) headers['retry-after'] = String(Math.max(1, seconds(refillAt - now)));
  return new UsageExceeded(refillAt === null ? 'this key\'s usage quota is spent' : 'this key\'s usage quota is spent until its next refill', headers);
}
