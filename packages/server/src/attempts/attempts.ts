import { sha256 } from '../crypto/hash.js';
import { TemporarilyUnavailable, TooManyRequests } from '../errors.js';
import type { AttemptStore, Budget, Taken } from './store.js';

/**
 * The name of a budget: a readable scope and a digest of who it counts (account, address,
 * client), so keys have a fixed size, never contain `undefined` or an email in clear, and two
 * subjects cannot collide by concatenation (the parts are joined with a newline first).
 */
export function budgetKey(scope: string, ...subject: string[]): string {
  return `${scope}:${sha256(subject.join('\n'))}`;
}

/** One attempt held against a set of budgets; see Attempts.reserve. */
export interface Reservation {
  readonly taken: readonly Taken[];
  /** The attempt did not fail (a right password, code or secret): it costs the budgets nothing. */
  giveBack(): Promise<void>;
}

/**
 * The one attempt-reservation mechanism for every guessable secret (docs/architecture.md,
 * docs/security.md). An attempt is taken from its budgets atomically — in the store every
 * process of the deployment shares — *before* the secret is checked, so however many guesses
 * arrive at once, at most the budget of them is ever checked. A right answer gives the
 * attempt back; a wrong one keeps it, so the budgets count failures (plus checks in flight).
 */
export class Attempts {
  constructor(
    private readonly store: AttemptStore,
    private readonly now: () => number,
    private readonly onStoreError: (error: unknown, what: string) => void = () => {},
  ) {}

  /**
   * Takes one attempt from every budget, or from none. Throws TooManyRequests (429, Retry-After
   * until the spent budget's window ends) when any is spent, and TemporarilyUnavailable (503)
   * when the store cannot answer: a guess is never checked uncounted (fail closed).
   */
  async reserve(budgets: readonly Budget[], refusal: string): Promise<Reservation> {
    const now = this.now();
    let result;
    try {
      result = await this.store.take(budgets, now);
    } catch (error) {
      this.onStoreError(error, 'take');
      const failure = new TemporarilyUnavailable('attempts cannot be counted right now: try again shortly', 5);
      failure.cause = error;
      throw failure;
    }
    if (!result.granted) throw new TooManyRequests(refusal, (result.resetAt - now) / 1000);
    const { taken } = result;
    return {
      taken,
      giveBack: async () => {
        // The attempt succeeded either way; a lost give-back only costs its owner one attempt.
        await this.store.giveBack(taken).catch((error) => this.onStoreError(error, 'give back'));
      },
    };
  }

  /**
   * `check` under a reservation: given back when it resolves, kept when it throws (and then
   * `onKept` sees what was taken, e.g. to report the failure that spent a budget's last attempt).
   */
  async guard<T>(budgets: readonly Budget[], refusal: string, check: () => Promise<T>, onKept: (taken: readonly Taken[]) => void = () => {}): Promise<T> {
    const reservation = await this.reserve(budgets, refusal);
    let result: T;
    try {
      result = await check();
    } catch (error) {
      onKept(reservation.taken);
      throw error;
    }
    await reservation.giveBack();
    return result;
  }

  /** Forgets ended windows (database store; Redis expires them itself). */
  purge(): Promise<number> {
    return this.store.purge(this.now());
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
