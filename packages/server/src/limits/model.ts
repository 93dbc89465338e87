import { InvalidRequest } from '../errors.js';
import { parseDuration } from '../util/duration.js';

/** At most `max` requests per fixed window of `windowMs` (docs/gateway.md "Windows and refills"). */
export interface RateLimit {
  readonly max: number;
  readonly windowMs: number;
}

/** `max` uses in all; with `refill`, the remaining uses go back to `refill.amount` once `refill.periodMs` has passed. */
export interface Quota {
  readonly max: number;
  readonly refill: { readonly amount: number; readonly periodMs: number } | null;
}

/** The limits of one credential (an API token, or an app shared by all its tokens). */
export interface Limits {
  readonly rateLimit: RateLimit | null;
  readonly quota: Quota | null;
  /** During a limit-store outage: true lets requests through uncounted, false (default) refuses them with 503. */
  readonly failOpen: boolean;
  /** Epoch ms the limits were last set: counters are keyed by it, so new limits start from a fresh count. */
  readonly since: number;
}

export const NO_LIMITS: Limits = Object.freeze({ rateLimit: null, quota: null, failOpen: false, since: 0 });

/** What an entry point (CLI, admin API) asks for; `null` removes that limit, absent keeps it. */
export interface LimitsInput {
  rateLimit?: string | null;
  quota?: number | null;
  quotaRefill?: string | null;
  failOpen?: boolean;
}

const MAX_COUNT = 1_000_000_000;

/** `N/WINDOW` (`100/1m`, `10/5s`, `10000/30d`) → count and milliseconds, or InvalidRequest naming `what`. */
export function parseRate(text: string, what: string): { count: number; ms: number } {
  const match = /^(\d{1,10})\/(\d{0,9}[smhd])$/.exec(text.trim());
  const seconds = match ? parseDuration(/^\d/.test(match[2]!) ? match[2]! : `1${match[2]!}`) : null;
  const count = match ? Number(match[1]) : 0;
  if (!match || seconds === null || seconds === 0 || count < 1 || count > MAX_COUNT) {
    throw new InvalidRequest(`${what} must look like N/WINDOW with N from 1 to ${MAX_COUNT} and WINDOW such as 5s, 1m, 1h or 30d (got ${JSON.stringify(text)})`);
  }
  return { count, ms: seconds * 1000 };
}

/** The inverse of parseRate, in the largest whole unit: `100/1m`. */
export function formatRate(count: number, ms: number): string {
  const seconds = ms / 1000;
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['m', 60]] as const) {
    if (seconds % size === 0) return `${count}/${seconds / size}${unit}`;
  }
  return `${count}/${seconds}s`;
}

/** Applies `input` to `current` (validated), stamping `since` when a limit changed. */
export function applyLimits(current: Limits, input: LimitsInput, now: number): Limits {
  let rateLimit = current.rateLimit;
  if (input.rateLimit !== undefined) {
    rateLimit = input.rateLimit === null ? null : (({ count, ms }) => ({ max: count, windowMs: ms }))(parseRate(input.rateLimit, 'rate limit'));
  }
  let quota = current.quota;
  if (input.quota !== undefined) {
    if (input.quota !== null && (!Number.isSafeInteger(input.quota) || input.quota < 1 || input.quota > MAX_COUNT)) {
      throw new InvalidRequest(`quota must be a whole number from 1 to ${MAX_COUNT}`);
    }
    quota = input.quota === null ? null : { max: input.quota, refill: quota?.refill ?? null };
  }
  if (input.quotaRefill !== undefined) {
    if (input.quotaRefill !== null && quota === null) throw new InvalidRequest('a quota refill needs a quota (--quota N)');
    if (quota !== null) {
      const refill = input.quotaRefill === null ? null : (({ count, ms }) => ({ amount: count, periodMs: ms }))(parseRate(input.quotaRefill, 'quota refill'));
      quota = { max: quota.max, refill };
    }
  }
  const failOpen = input.failOpen ?? current.failOpen;
  const changed = JSON.stringify([rateLimit, quota]) !== JSON.stringify([current.rateLimit, current.quota]);
  return { rateLimit, quota, failOpen, since: changed ? now : current.since };
}

/** The `limits` column (JSON text, null = none). */
export function limitsFromColumn(text: string | null): Limits {
  if (text === null || text === '') return NO_LIMITS;
  const value = JSON.parse(text) as Partial<Limits>;
  return { rateLimit: value.rateLimit ?? null, quota: value.quota ?? null, failOpen: value.failOpen === true, since: Number(value.since ?? 0) };
}

export function limitsToColumn(limits: Limits): string | null {
  return limits.rateLimit === null && limits.quota === null && !limits.failOpen ? null : JSON.stringify(limits);
}

export function hasLimits(limits: Limits): boolean {
  return limits.rateLimit !== null || limits.quota !== null;
}
