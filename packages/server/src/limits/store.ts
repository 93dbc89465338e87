import type { Redis } from 'ioredis';
import { sql } from 'kysely';
import { takeOne } from '../attempts/database-store.js';
import type { Db } from '../store/database.js';

/** One use of a credential against its limits: the rate window counts 1, the quota `cost`. */
export interface ConsumeRequest {
  rate: { key: string; max: number; windowMs: number } | null;
  /** `periodMs` 0: never refilled. */
  quota: { key: string; max: number; refillAmount: number; periodMs: number } | null;
  cost: number;
}

export interface ConsumeResult {
  granted: boolean;
  /** Which limit refused: the rate limit is checked first; a refused use counts nowhere. */
  refusedBy: 'rate' | 'quota' | null;
  /** Uses counted in the current window (this one included when granted), and when it ends. */
  rate: { count: number; resetAt: number } | null;
  /** Uses left after this one (before it, when refused), and when the next refill may happen (null: never). */
  quota: { remaining: number; refillAt: number | null } | null;
}

/**
 * Where per-key limits are counted: shared by every process of a deployment, each use one
 * atomic step (all or nothing), so "50 uses left" answers exactly 50 times across workers and nodes.
 */
export interface LimitStore {
  consume(request: ConsumeRequest, now: number): Promise<ConsumeResult>;
}

// KEYS: rate hash {c, r}, quota hash {q, a}. ARGV: now, hasRate, max, window, hasQuota, quota,
// refill amount, period (0: none), cost. Both limits are checked before either is counted.
const CONSUME = `
local now = tonumber(ARGV[1])
local hasRate, rmax, rwin = ARGV[2] == '1', tonumber(ARGV[3]), tonumber(ARGV[4])
local hasQuota, qmax, amount, period, cost = ARGV[5] == '1', tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
local c, r = 0, now + rwin
if hasRate then
  local v = redis.call('HMGET', KEYS[1], 'c', 'r')
  local vc, vr = tonumber(v[1]), tonumber(v[2])
  if vc and vr and vr > now then c, r = vc, vr end
  if c >= rmax then return {0, 1, c, r, -1, -1} end
end
local q, a = qmax, 0
if period > 0 then a = now + period end
if hasQuota then
  local v = redis.call('HMGET', KEYS[2], 'q', 'a')
  local vq, va = tonumber(v[1]), tonumber(v[2])
  if vq and va then
    q, a = vq, va
    if a > 0 and a <= now then q, a = amount, now + period end
  end
  if q < cost then return {0, 2, c, r, q, a} end
end
if hasRate then
  if c == 0 then
    redis.call('HSET', KEYS[1], 'c', 1, 'r', r)
    redis.call('PEXPIRE', KEYS[1], r - now)
  else
    redis.call('HINCRBY', KEYS[1], 'c', 1)
  end
  c = c + 1
end
if hasQuota then
  q = q - cost
  redis.call('HSET', KEYS[2], 'q', q, 'a', a)
end
return {1, 0, c, r, q, a}
`;

type Scripted = Redis & { keymintConsumeLimits(keyCount: number, ...args: (string | number)[]): Promise<number[]> };

/** Limits in Redis (KEYMINT_REDIS_URL) under `{KEYMINT_REDIS_PREFIX}limits:`: one Lua script per use. */
export class RedisLimitStore implements LimitStore {
  private readonly redis: Scripted;

  constructor(redis: Redis, private readonly prefix: string) {
    redis.defineCommand('keymintConsumeLimits', { lua: CONSUME });
    this.redis = redis as Scripted;
  }

  async consume({ rate, quota, cost }: ConsumeRequest, now: number): Promise<ConsumeResult> {
    const answer = await this.redis.keymintConsumeLimits(
      2, this.prefix + (rate?.key ?? 'none'), this.prefix + (quota?.key ?? 'none'),
      now, rate ? 1 : 0, rate?.max ?? 0, rate?.windowMs ?? 0, quota ? 1 : 0, quota?.max ?? 0, quota?.refillAmount ?? 0, quota?.periodMs ?? 0, cost,
    );
    const [granted, refused, count, resetAt, remaining, refillAt] = answer as [number, number, number, number, number, number];
    return {
      granted: granted === 1,
      refusedBy: refused === 1 ? 'rate' : refused === 2 ? 'quota' : null,
      rate: rate ? { count, resetAt } : null,
      quota: quota && remaining >= 0 ? { remaining, refillAt: refillAt > 0 ? refillAt : null } : null,
    };
  }
}

class Refused extends Error {
  constructor(readonly result: ConsumeResult) {
    super('limit reached');
  }
}

/**
 * Limits in the database (SQLite workers on one file, PostgreSQL nodes on one database): the
 * rate window is the attempt budgets' conditional upsert (attempt_counters), the quota one
 * conditional upsert on usage_quotas — "remaining − cost where remaining ≥ cost, or refilled
 * when due" — both in one transaction, rolled back together when the second refuses.
 */
export class DatabaseLimitStore implements LimitStore {
  constructor(private readonly db: Db) {}

  async consume({ rate, quota, cost }: ConsumeRequest, now: number): Promise<ConsumeResult> {
    try {
      return await this.db.transaction().execute(async (trx) => {
        let counted: ConsumeResult['rate'] = null;
        if (rate) {
          const row = await takeOne(trx, { key: rate.key, max: rate.max, windowMs: rate.windowMs }, now);
          if (!row) {
            const current = await trx.selectFrom('attempt_counters').select(['count', 'reset_at']).where('key', '=', rate.key).executeTakeFirst();
            throw new Refused({ granted: false, refusedBy: 'rate', rate: { count: Number(current?.count ?? rate.max), resetAt: Number(current?.reset_at ?? now + rate.windowMs) }, quota: null });
          }
          counted = { count: Number(row.count), resetAt: Number(row.reset_at) };
        }
        let left: ConsumeResult['quota'] = null;
        if (quota) {
          const due = sql<boolean>`usage_quotas.refill_at > 0 and usage_quotas.refill_at <= ${now}`;
          const next = quota.periodMs > 0 ? now + quota.periodMs : 0;
          const row = await trx
            .insertInto('usage_quotas')
            .values({ key: quota.key, remaining: quota.max - cost, refill_at: next })
            .onConflict((oc) => oc.column('key')
              .doUpdateSet({
                remaining: sql<number>`case when ${due} then ${quota.refillAmount - cost} else usage_quotas.remaining - ${cost} end`,
                refill_at: sql<number>`case when ${due} then ${next} else usage_quotas.refill_at end`,
              })
              .where((eb) => eb.or([sql<boolean>`${due} and ${quota.refillAmount} >= ${cost}`, eb('usage_quotas.remaining', '>=', cost)])))
            .returning(['remaining', 'refill_at'])
            .executeTakeFirst();
          if (!row) {
            const current = await trx.selectFrom('usage_quotas').select(['remaining', 'refill_at']).where('key', '=', quota.key).executeTakeFirst();
            const refillAt = Number(current?.refill_at ?? 0);
            throw new Refused({ granted: false, refusedBy: 'quota', rate: counted && { count: counted.count - 1, resetAt: counted.resetAt }, quota: { remaining: Number(current?.remaining ?? 0), refillAt: refillAt > 0 ? refillAt : null } });
          }
          const refillAt = Number(row.refill_at);
          left = { remaining: Number(row.remaining), refillAt: refillAt > 0 ? refillAt : null };
        }
        return { granted: true, refusedBy: null, rate: counted, quota: left };
      });
    } catch (error) {
      if (error instanceof Refused) return error.result;
      throw error;
    }
  }
}
