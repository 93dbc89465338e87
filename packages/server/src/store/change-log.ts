import { sql } from 'kysely';
import type { Db } from './database.js';
import { isPostgres } from './dialect.js';

/** What a change-log row names; caches subscribe by entity. */
export type ChangeEntity = 'tenant' | 'app' | 'signing_key' | 'scope' | 'api_token' | 'opaque_token' | 'revocation' | 'contact';

export interface Change {
  tenantId: string;
  entity: ChangeEntity;
  entityId: string;
}

/** The PostgreSQL channel every change is announced on (store/notify.ts listens). */
export const CHANGE_CHANNEL = 'keymint_changes';

export async function recordChange(db: Db, change: Change, now: number): Promise<void> {
  await db
    .insertInto('change_log')
    .values({ tenant_id: change.tenantId, entity: change.entity, entity_id: change.entityId, created_at: now })
    .execute();
  // PostgreSQL delivers a NOTIFY when (and only if) the transaction commits: listeners wake their
  // poll at once instead of waiting for the next interval. The row stays the source of truth.
  if (isPostgres(db)) await sql`select pg_notify(${CHANGE_CHANNEL}, '')`.execute(db);
}

type Listener = (change: Change) => void;

/** How long an id skipped by the cursor is looked for again (a transaction still committing). */
const GAP_TTL_MS = 60_000;
/** Bound on remembered gaps; past it the oldest are given up (the periodic full refresh covers them). */
const MAX_GAPS = 10_000;

export interface ChangeFeedOptions {
  /** Injectable clock (the gap horizon); real time by default. */
  now?: () => number;
}

/**
 * Tails the change log so that a write made by the CLI, the admin API or another node drops
 * this node's stale cache entries within one poll interval (at once on PostgreSQL, where a NOTIFY
 * wakes the poll). Local writes notify directly too, so a node always sees its own writes at once.
 *
 * Ids are not commit-ordered on PostgreSQL: a transaction can take id 41, another id 42 and commit
 * first. A cursor that moved to 42 would never read 41. So every id skipped over is remembered as
 * a gap and asked for again on every poll until it shows up or is a minute old (a rolled-back
 * transaction or a sequence jump leaves a gap that never fills).
 */
export class ChangeFeed {
  private cursor = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly listeners = new Map<ChangeEntity, Set<Listener>>();
  private readonly resetListeners = new Set<() => void>();
  /** Skipped ids → when they were first skipped. */
  private readonly gaps = new Map<number, number>();
  private polling: Promise<void> | null = null;
  private pollStartedAt = 0;
  private again = false;
  private started = false;
  private lastSuccess = 0;
  private failingSince: number | null = null;
  private readonly clock: () => number;

  constructor(
    private readonly db: Db,
    private readonly pollMs: number,
    private readonly onError: (error: unknown) => void,
    options: ChangeFeedOptions = {},
  ) {
    this.clock = options.now ?? Date.now;
  }

  on(entity: ChangeEntity, listener: Listener): void {
    let set = this.listeners.get(entity);
    if (!set) this.listeners.set(entity, (set = new Set()));
    set.add(listener);
  }

  /** Called by a full refresh: the listener drops everything it caches. */
  onReset(listener: () => void): void {
    this.resetListeners.add(listener);
  }

  emit(change: Change): void {
    for (const listener of this.listeners.get(change.entity) ?? []) listener(change);
  }

  /** Drops every cache (the safety net behind the feed: run periodically, and after an outage). */
  resetAll(): void {
    for (const listener of this.resetListeners) listener();
  }

  async start(): Promise<void> {
    const row = await this.db.selectFrom('change_log').select((eb) => eb.fn.max('id').as('max')).executeTakeFirst();
    this.cursor = Number(row?.max ?? 0);
    this.started = true;
    this.lastSuccess = this.clock();
    this.timer = setInterval(() => void this.poll(), this.pollMs);
    this.timer.unref();
  }

  /** Polls now (a NOTIFY arrived); a wake during a poll runs one more poll after it. */
  wake(): void {
    void this.poll();
  }

  /** Reads every change after the cursor (and any late-committed gap) and tells the listeners; safe to call at any time. */
  poll(): Promise<void> {
    if (this.polling) {
      this.again = true;
      return this.polling;
    }
    this.pollStartedAt = this.clock();
    this.polling = (async () => {
      try {
        do {
          this.again = false;
          await this.pollOnce();
        } while (this.again);
      } finally {
        this.polling = null;
      }
    })();
    return this.polling;
  }

  private async pollOnce(): Promise<void> {
    try {
      await this.readGaps();
      for (;;) {
        const rows = await this.db
          .selectFrom('change_log')
          .select(['id', 'tenant_id', 'entity', 'entity_id'])
          .where('id', '>', this.cursor)
          .orderBy('id')
          .limit(500)
          .execute();
        for (const row of rows) this.advanceTo(Number(row.id), row);
        if (rows.length < 500) break;
      }
      const recovered = this.failingSince !== null;
      this.failingSince = null;
      this.lastSuccess = this.clock();
      // Notifications and rows may have been missed while the database was away: start clean.
      if (recovered) this.resetAll();
    } catch (error) {
      this.failingSince ??= this.clock();
      this.onError(error);
    }
  }

  private advanceTo(id: number, row: { tenant_id: string; entity: string; entity_id: string }): void {
    const now = this.clock();
    for (let skipped = this.cursor + 1; skipped < id && skipped - this.cursor <= MAX_GAPS; skipped++) this.gaps.set(skipped, now);
    while (this.gaps.size > MAX_GAPS) this.gaps.delete(this.gaps.keys().next().value!);
    this.cursor = Math.max(this.cursor, id);
    this.emit({ tenantId: row.tenant_id, entity: row.entity as ChangeEntity, entityId: row.entity_id });
  }

  private async readGaps(): Promise<void> {
    if (this.gaps.size === 0) return;
    const horizon = this.clock() - GAP_TTL_MS;
    for (const [id, since] of this.gaps) if (since < horizon) this.gaps.delete(id);
    const ids = [...this.gaps.keys()];
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await this.db
        .selectFrom('change_log')
        .select(['id', 'tenant_id', 'entity', 'entity_id'])
        .where('id', 'in', ids.slice(i, i + 500))
        .execute();
      for (const row of rows) {
        this.gaps.delete(Number(row.id));
        this.emit({ tenantId: row.tenant_id, entity: row.entity as ChangeEntity, entityId: row.entity_id });
      }
    }
  }

  /** Ids skipped over and still awaited (tests and metrics). */
  get pendingGaps(): number {
    return this.gaps.size;
  }

  /**
   * Milliseconds since the feed last read the log successfully; 0 while it is healthy. Caches
   * are only as fresh as this: callers bound how long they serve from them (docs/operations.md).
   */
  staleForMs(): number {
    if (!this.started) return 0;
    const now = this.clock();
    // A poll that hangs (a partition that drops packets rather than refusing) is a failure too.
    const hung = this.polling !== null && now - this.pollStartedAt > Math.max(5_000, 4 * this.pollMs);
    if (this.failingSince === null && !hung) return 0;
    return Math.max(0, now - this.lastSuccess);
  }

  /** Deletes rows older than `olderThanMs` (every node has long read them); returns how many. */
  async prune(olderThanMs: number): Promise<number> {
    const result = await this.db.deleteFrom('change_log').where('created_at', '<', this.clock() - olderThanMs).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
