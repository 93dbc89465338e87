import { budgetKey, type Attempts } from './attempts.js';
import type { Budget } from './store.js';

/**
 * Password budgets of one kind of account (end users, admins), from config.ts. NIST SP 800-63B
 * §5.2.2 and OWASP ASVS 5.0 V6.3: throttle guessing without letting a stranger lock the owner
 * out, so failures count per account *and* address; the per-account ceiling (all addresses
 * together) bounds a distributed attack, and past it the account's passwords are throttled
 * until the window ends, never disabled.
 */
export interface SignInLimits {
  readonly windowSeconds: number;
  readonly perAccountAddress: number;
  readonly perAccount: number;
  /** One address trying many accounts (credential stuffing, spraying). */
  readonly perAddress: number;
}

/** Who is trying: `realm` separates tenants' end users from each other and from admins. */
export interface Attempter {
  realm: string;
  /** Normalised email. */
  account: string;
  address: string;
}

/** Sign-in codes mailed per account and address in one window (a small number: each is a mail). */
export const CODE_SENDS_PER_ACCOUNT_ADDRESS = 5;

/**
 * Every budget a person's sign-in draws on, written once for end users (users/) and admins
 * (admin/). Passwords and mailed codes have separate budgets: a stranger who exhausts an
 * account's password budget does not stop its owner signing in with an emailed code.
 */
export class SignInBudgets {
  private readonly windowMs: number;

  constructor(
    private readonly attempts: Attempts,
    private readonly kind: 'user' | 'admin',
    private readonly limits: SignInLimits,
    /** Told once per window, by the failure that brings an account to its ceiling (the audit log). */
    private readonly onThrottled: (who: Attempter, limits: SignInLimits) => void = () => {},
  ) {
    this.windowMs = limits.windowSeconds * 1000;
  }

  /** Password sign-in: the check runs only under a reserved attempt, given back if it succeeds. */
  password<T>(who: Attempter, check: () => Promise<T>): Promise<T> {
    const { perAccountAddress, perAccount, perAddress } = this.limits;
    const ceiling = this.budget('password.account', perAccount, who.realm, who.account);
    return this.attempts.guard([
      this.budget('password.account-address', perAccountAddress, who.realm, who.account, who.address),
      ceiling,
      this.budget('password.address', perAddress, who.address),
    ], 'too many failed sign-in attempts: try again later, or sign in with an emailed code', check, (taken) => {
      if (taken.some((t) => t.key === ceiling.key && t.count === t.max)) this.onThrottled(who, this.limits);
    });
  }

  /**
   * Code sign-in. No per-account ceiling here: each code dies after a few wrong guesses
   * (users/otp-codes.ts), and codes are mailed under their own budget, which bounds guesses per
   * account; an account-wide code budget would only hand strangers a way to block the owner.
   */
  code<T>(who: Attempter, check: () => Promise<T>): Promise<T> {
    return this.attempts.guard([
      this.budget('code.account-address', this.limits.perAccountAddress, who.realm, who.account, who.address),
      this.budget('code.address', this.limits.perAddress, who.address),
    ], 'too many failed code attempts: try again later', check);
  }

  /** One mailed code (kept: a sent mail is spent whatever happens next). */
  async codeSent(who: Attempter): Promise<void> {
    await this.attempts.reserve([
      this.budget('code-send.account-address', CODE_SENDS_PER_ACCOUNT_ADDRESS, who.realm, who.account, who.address),
      // Mail-bomb ceiling: one address's mailbox receives at most this many codes per window.
      this.budget('code-send.account', this.limits.perAccountAddress, who.realm, who.account),
      this.budget('code-send.address', this.limits.perAddress, who.address),
    ], 'too many sign-in codes requested: try again later');
  }

  private budget(scope: string, max: number, ...subject: string[]): Budget {
    return { key: budgetKey(`${this.kind}.${scope}`, ...subject), max, windowMs: this.windowMs };
  }
}

/** Accounts created per address and tenant in one window (end-user sign-up). */
export interface SignUpLimits {
  readonly windowSeconds: number;
  readonly perAddress: number;
}

/** End-user sign-ups per address and tenant. */
export class SignUpBudget {
  constructor(private readonly attempts: Attempts, private readonly limits: SignUpLimits) {}

  /** Counted before the (slow) password hash, and kept: it is a budget of accounts made. */
  async reserve(realm: string, address: string): Promise<void> {
    await this.attempts.reserve([{ key: budgetKey('user.signup.address', realm, address), max: this.limits.perAddress, windowMs: this.limits.windowSeconds * 1000 }],
      'too many sign-ups from this address: try again later');
  }
}
