/**
 * Group commit: writes that arrive while the event loop is busy are gathered and stored together,
 * and each caller's promise settles when the batch has committed — so a caller is told "done"
 * only for a durable write, while 50 concurrent token requests cost one INSERT (or one COMMIT)
 * instead of 50. `write` may answer each item (its results in the items' order); a failed write
 * rejects every caller in its batch.
 */
export class GroupCommit<T, R = void> {
  private pending: { item: T; resolve: (result: R) => void; reject: (error: unknown) => void }[] = [];
  private scheduled = false;

  constructor(
    private readonly write: (items: T[]) => Promise<R[] | void>,
    private readonly maxBatch = 500,
  ) {}

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.pending.length >= this.maxBatch) void this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    try {
      const results = await this.write(batch.map((entry) => entry.item));
      batch.forEach((entry, index) => entry.resolve(results?.[index] as R));
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    }
  }
}
