import { Redis } from 'ioredis';
import type { Config } from '../config.js';
import { sha256 } from '../crypto/hash.js';
import { TemporarilyUnavailable } from '../errors.js';
import type { Db } from '../store/database.js';

/**
 * Remembers the one-time `signature_value`s of signed token requests. A value is claimed once
 * per client until `expiresAt`, after which its timestamp is outside the window anyway and the
 * entry may be forgotten. Implementations differ only in where entries live, so a deployment
 * picks one by configuration (memory for one node; database or, later, Redis for many).
 */
export interface ReplayStore {
  /**
   * Atomically records (clientId, value) until `expiresAtMs`. Resolves true when the value was
   * new (or its old entry had expired), false when it is a replay.
   */
  claim(clientId: string, value: string, expiresAtMs: number): Promise<boolean>;
  /** Drops expired entries (also done on a timer by implementations that need it). */
  purge(): Promise<void>;
  close(): Promise<void>;
}

/** Entries keep a digest of the value: fixed size whatever the client sent (up to 1024 chars). */
function entryKey(clientId: string, value: string): string {
  return `${clientId}:${sha256(value)}`;
}

/**
 * One node's replay store. Bounded: when full of live entries it refuses new claims with 503
 * (fail closed) rather than forget a live value; only correctly signed requests add entries,
 * so filling it takes `maxEntries` genuine requests within one window.
 */
export class MemoryReplayStore implements ReplayStore {
  private readonly entries = new Map<string, number>();

  constructor(
    private readonly now: () => number,
    private readonly maxEntries = 100_000,
  ) {}

  async claim(clientId: string, value: string, expiresAtMs: number): Promise<boolean> {
    const key = entryKey(clientId, value);
    const now = this.now();
    const existing = this.entries.get(key);
    if (existing !== undefined && existing > now) return false;
    if (existing === undefined && this.entries.size >= this.maxEntries) {
      await this.purge();
      if (this.entries.size >= this.maxEntries) throw new TemporarilyUnavailable('too many signed requests in flight: retry shortly', 1);
    }
    this.entries.set(key, expiresAtMs);
    return true;
  }

  async purge(): Promise<void> {
    const now = this.now();
    for (const [key, expiresAt] of this.entries) {
      if (expiresAt <= now) this.entries.delete(key);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  async close(): Promise<void> {
    this.entries.clear();
  }
}

/**
 * Replay store shared by every node through the database: a row per (client, value digest)
 * with a unique key, so two nodes racing on one value cannot both win. Expired rows are reused
 * in place and purged on a timer.
 */
export class DatabaseReplayStore implements ReplayStore {
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly db: Db,
    private readonly now: () => number,
    purgeEveryMs = 60_000,
    onPurgeError: (error: unknown) => void = () => {},
  ) {
    this.timer = setInterval(() => void this.purge().catch(onPurgeError), purgeEveryMs);
    this.timer.unref();
  }

  async claim(clientId: string, value: string, expiresAtMs: number): Promise<boolean> {
    const valueHash = sha256(value);
    const inserted = await this.db
      .insertInto('replay_values')
      .values({ client_id: clientId, value_hash: valueHash, expires_at: expiresAtMs })
      .onConflict((oc) => oc.columns(['client_id', 'value_hash']).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) return true;
    // The row exists: it is a replay unless it expired before purge got to it.
    const revived = await this.db
      .updateTable('replay_values')
      .set({ expires_at: expiresAtMs })
      .where('client_id', '=', clientId)
      .where('value_hash', '=', valueHash)
      .where('expires_at', '<=', this.now())
      .executeTakeFirst();
    return Number(revived.numUpdatedRows) > 0;
  }

  async purge(): Promise<void> {
    await this.db.deleteFrom('replay_values').where('expires_at', '<=', this.now()).execute();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
  }
}

/**
 * Replay store shared through Redis: `SET key 1 PX ttl NX` is the atomic claim, and Redis
 * forgets the key when the window has passed, so there is nothing to purge. Fails closed: when
 * Redis does not answer within a second the request is refused (503), never let through.
 */
export class RedisReplayStore implements ReplayStore {
  constructor(
    private readonly redis: Redis,
    private readonly now: () => number,
    private readonly prefix = 'keymint:replay:',
    private readonly ownsClient = true,
  ) {}

  static connect(url: string, now: () => number, onError: (error: unknown) => void = () => {}, prefix?: string): RedisReplayStore {
    const redis = new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 2_000, commandTimeout: 1_000, lazyConnect: false });
    // Without a listener an 'error' event would crash the process; the commands that need Redis fail on their own.
    redis.on('error', onError);
    return new RedisReplayStore(redis, now, prefix);
  }

  async claim(clientId: string, value: string, expiresAtMs: number): Promise<boolean> {
    const ttl = Math.max(1, Math.ceil(expiresAtMs - this.now()));
    let answer: string | null;
    try {
      answer = await this.redis.set(`${this.prefix}${entryKey(clientId, value)}`, '1', 'PX', ttl, 'NX');
    } catch (error) {
      const failure = new TemporarilyUnavailable('the replay store is unreachable: retry shortly', 1);
      failure.cause = error;
      throw failure;
    }
    return answer === 'OK';
  }

  async purge(): Promise<void> {}

  async close(): Promise<void> {
    if (this.ownsClient) await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/**
 * The store the configuration names (KEYMINT_REPLAY_STORE, KEYMINT_REDIS_URL). Redis keys go
 * under `{KEYMINT_REDIS_PREFIX}replay:`, on the process's shared connection when there is one.
 */
export function createReplayStore(
  config: Pick<Config, 'replayStore' | 'redisUrl' | 'redisPrefix'>, db: Db, now: () => number, onError?: (error: unknown) => void, redis: Redis | null = null,
): ReplayStore {
  const prefix = `${config.redisPrefix}replay:`;
  switch (config.replayStore) {
    case 'database':
      return new DatabaseReplayStore(db, now, 60_000, onError);
    case 'redis':
      return redis ? new RedisReplayStore(redis, now, prefix, false) : RedisReplayStore.connect(config.redisUrl!, now, onError, prefix);
    default:
      return new MemoryReplayStore(now);
  }
}
