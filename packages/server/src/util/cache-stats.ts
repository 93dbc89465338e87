/** Hit and miss counts of one in-memory cache, read by /metrics (keymint_cache_lookups_total). */
export class CacheStats {
  hits = 0;
  misses = 0;

  count(hit: boolean): void {
    if (hit) this.hits += 1;
    else this.misses += 1;
  }
}
