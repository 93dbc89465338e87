/**
 * Where attempt budgets are counted. Every implementation is shared by every process of a
 * deployment (the database, or Redis when configured): a budget kept per process would be
 * multiplied by `--workers` and by the number of nodes (issue 14).
 */

/** One budget: at most `max` attempts per window of `windowMs`, the window starting at its first attempt. */
export interface Budget {
  /** `scope:hash` (attempts/keys.ts): bounded, and never an email or address in clear. */
  readonly key: string;
  readonly max: number;
  readonly windowMs: number;
}

/** An attempt taken from one budget: enough to give it back to the same window later. */
export interface Taken {
  readonly key: string;
  /** This attempt's number in its window (1 … max). */
  readonly count: number;
  readonly max: number;
  /** Epoch ms the window ends. */
  readonly resetAt: number;
}

export type TakeResult =
  | { readonly granted: true; readonly taken: readonly Taken[] }
  | { readonly granted: false; readonly key: string; readonly resetAt: number };

export interface AttemptStore {
  /**
   * All or nothing, atomically across processes: one attempt from every budget when each has
   * one left in its window, else none (and which budget is spent, until when).
   */
  take(budgets: readonly Budget[], now: number): Promise<TakeResult>;
  /** Gives one attempt back to each budget, but only to the window it was taken from. */
  giveBack(taken: readonly Taken[]): Promise<void>;
  /** Forgets windows that ended before `now`; returns how many. */
  purge(now: number): Promise<number>;
  close(): Promise<void>;
}

/** Budgets in one order everywhere, so two multi-key takes never wait on each other in a cycle. */
export function inKeyOrder(budgets: readonly Budget[]): Budget[] {
  const unique = new Map(budgets.map((budget) => [budget.key, budget]));
  return [...unique.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
