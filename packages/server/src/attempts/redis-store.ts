import type { Redis } from 'ioredis';
import { inKeyOrder, type AttemptStore, type Budget, type TakeResult, type Taken } from './store.js';

// KEYS: the budgets' hashes; ARGV: now, then max and window per key. A hash per budget holds
// its count `c` and window end `r`. The whole script runs atomically in Redis: all budgets are
// checked first, then all are counted, so a refused take changes nothing.
const TAKE = `
local now = tonumber(ARGV[1])
local spentAt = -1
local spentKey = 0
for i, key in ipairs(KEYS) do
  local v = redis.call('HMGET', key, 'c', 'r')
  local c, r = tonumber(v[1]), tonumber(v[2])
  if c and r and r > now and c >= tonumber(ARGV[2 * i]) and r > spentAt then
    spentAt = r
    spentKey = i
  end
end
if spentKey > 0 then return {0, spentKey, spentAt} end
local out = {1}
for i, key in ipairs(KEYS) do
  local window = tonumber(ARGV[2 * i + 1])
  local v = redis.call('HMGET', key, 'c', 'r')
  local c, r = tonumber(v[1]), tonumber(v[2])
  if not c or not r or r <= now then
    c, r = 1, now + window
    redis.call('HSET', key, 'c', c, 'r', r)
    redis.call('PEXPIRE', key, window)
  else
    c = redis.call('HINCRBY', key, 'c', 1)
  end
  out[#out + 1] = c
  out[#out + 1] = r
end
return out
`;

// KEYS: budgets; ARGV: the window end each attempt was taken in. A window that has ended (and
// perhaps restarted) is left alone: giving back there would hand out an extra attempt.
const GIVE_BACK = `
for i, key in ipairs(KEYS) do
  local v = redis.call('HMGET', key, 'c', 'r')
  if tonumber(v[2]) == tonumber(ARGV[i]) and tonumber(v[1]) > 0 then redis.call('HINCRBY', key, 'c', -1) end
end
return 0
`;

type Scripted = Redis & {
  keymintTakeAttempts(keyCount: number, ...args: (string | number)[]): Promise<number[]>;
  keymintGiveBackAttempts(keyCount: number, ...args: (string | number)[]): Promise<number>;
};

/**
 * Attempt counts in Redis (KEYMINT_REDIS_URL), under `{KEYMINT_REDIS_PREFIX}attempts:`. Each
 * take and give-back is one Lua script, atomic for every node. Redis forgets a window when it
 * ends (PEXPIRE), so there is nothing to purge.
 */
export class RedisAttemptStore implements AttemptStore {
  private readonly redis: Scripted;

  constructor(redis: Redis, private readonly prefix: string) {
    redis.defineCommand('keymintTakeAttempts', { lua: TAKE });
    redis.defineCommand('keymintGiveBackAttempts', { lua: GIVE_BACK });
    this.redis = redis as Scripted;
  }

  async take(budgets: readonly Budget[], now: number): Promise<TakeResult> {
    const ordered = inKeyOrder(budgets);
    const args = ordered.flatMap((budget) => [budget.max, budget.windowMs]);
    const answer = await this.redis.keymintTakeAttempts(ordered.length, ...ordered.map((b) => this.prefix + b.key), now, ...args);
    if (answer[0] === 0) return { granted: false, key: ordered[answer[1]! - 1]!.key, resetAt: answer[2]! };
    return {
      granted: true,
      taken: ordered.map((budget, i) => ({ key: budget.key, max: budget.max, count: answer[1 + 2 * i]!, resetAt: answer[2 + 2 * i]! })),
    };
  }

  async giveBack(taken: readonly Taken[]): Promise<void> {
    if (taken.length === 0) return;
    await this.redis.keymintGiveBackAttempts(taken.length, ...taken.map((t) => this.prefix + t.key), ...taken.map((t) => t.resetAt));
  }

  async purge(): Promise<number> {
    return 0;
  }

  async close(): Promise<void> {}
}
