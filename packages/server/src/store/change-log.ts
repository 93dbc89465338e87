import type { Db } from './database.js';

/** What a change-log row names; caches subscribe by entity. */
export type ChangeEntity = 'tenant' | 'app' | 'signing_key' | 'scope' | 'api_token' | 'opaque_token' | 'revocation' | 'contact';

export interface Change {
  tenantId: string;
  entity: ChangeEntity;
  entityId: string;
}

export async function recordChange(db: Db, change: Change, now: number): Promise<void> {
  await db
    .insertInto('change_log')
    .values({ tenant_id: change.tenantId, entity: change.entity, entity_id: change.entityId, created_at: now })
    .execute();
}

type Listener = (change: Change) => void;

/**
 * Tails the change log so that a write made by the CLI, the admin API or another node drops
 * this node's stale cache entries within one poll interval. Local writes notify directly too,
 * so a node always sees its own writes at once.
 */
export class ChangeFeed {
  private cursor = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly listeners = new Map<ChangeEntity, Set<Listener>>();
  private polling = false;

  constructor(
    private readonly db: Db,
    private readonly pollMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  on(entity: ChangeEntity, listener: Listener): void {
    let set = this.listeners.get(entity);
    if (!set) this.listeners.set(entity, (set = new Set()));
    set.add(listener);
  }

  emit(change: Change): void {
    for (const listener of this.listeners.get(change.entity) ?? []) listener(change);
  }

  async start(): Promise<void> {
    const row = await this.db.selectFrom('change_log').select((eb) => eb.fn.max('id').as('max')).executeTakeFirst();
    this.cursor = Number(row?.max ?? 0);
    this.timer = setInterval(() => void this.poll(), this.pollMs);
    this.timer.unref();
  }

  /** Reads every change after the cursor and tells the listeners; safe to call at any time. */
  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      for (;;) {
        const rows = await this.db
          .selectFrom('change_log')
          .select(['id', 'tenant_id', 'entity', 'entity_id'])
          .where('id', '>', this.cursor)
          .orderBy('id')
          .limit(500)
          .execute();
        for (const row of rows) {
          this.cursor = Number(row.id);
          this.emit({ tenantId: row.tenant_id, entity: row.entity as ChangeEntity, entityId: row.entity_id });
        }
        if (rows.length < 500) break;
      }
    } catch (error) {
      this.onError(error);
    } finally {
      this.polling = false;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
