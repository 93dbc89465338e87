/**
 * Pages of contact lists, kept in memory per tenant until that tenant's contacts change. Every
 * contact write drops the tenant's pages here at once and, through the change log, on every other
 * node within one poll, the same bound DESIGN sets for every other cache.
 *
 * A read that raced a write must not put its (possibly older) result back: each tenant has a
 * generation that every invalidation bumps, and a result is stored only if the generation it
 * was read under is still current.
 */
export class ListCache<T> {
  private readonly pages = new Map<string, Map<string, { value: T; storedAt: number }>>();
  private readonly generations = new Map<string, number>();
  private size = 0;

  constructor(
    private readonly now: () => number,
    /** Entries in all, across tenants; past it a tenant's pages are dropped before adding more. */
    private readonly maxEntries = 5_000,
    /** Belt and braces against a missed notification (a write made outside Keymint). */
    private readonly maxAgeMs = 10_000,
  ) {}

  generation(tenantId: string): number {
    return this.generations.get(tenantId) ?? 0;
  }

  get(tenantId: string, key: string): T | undefined {
    const entry = this.pages.get(tenantId)?.get(key);
    if (!entry) return undefined;
    if (this.now() - entry.storedAt > this.maxAgeMs) return undefined;
    return entry.value;
  }

  set(tenantId: string, key: string, value: T, readAtGeneration: number): void {
    if (this.generation(tenantId) !== readAtGeneration) return;
    if (this.size >= this.maxEntries) {
      // Simple and bounded: a full cache starts over (a tenant's pages refill on the next reads).
      this.pages.clear();
      this.size = 0;
    }
    let pages = this.pages.get(tenantId);
    if (!pages) this.pages.set(tenantId, (pages = new Map()));
    if (!pages.has(key)) this.size += 1;
    pages.set(key, { value, storedAt: this.now() });
  }

  /** Every tenant's pages (the change feed's periodic full refresh). */
  invalidateAll(): void {
    for (const tenantId of new Set([...this.pages.keys(), ...this.generations.keys()])) this.invalidate(tenantId);
  }

  invalidate(tenantId: string): void {
    this.generations.set(tenantId, this.generation(tenantId) + 1);
    const pages = this.pages.get(tenantId);
    if (pages) {
      this.size -= pages.size;
      this.pages.delete(tenantId);
    }
  }
}
