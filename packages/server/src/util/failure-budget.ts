import { TooManyRequests } from '../errors.js';

interface Window {
  count: number;
  resetAt: number;
}

/**
 * Failed sign-in attempts per email and per IP in fixed windows (OWASP ASVS V6.3: brute force),
 * for people's passwords and codes: end users (users/) and admin accounts (admin/).
 * Unlike client secrets (190 random bits, see oauth/auth-failures.ts), a password can be guessed,
 * so past the budget the password is not even checked: the answer is 429 with Retry-After until
 * the window ends. In memory, per node: with N nodes an attacker gets at most N budgets.
 */
export class FailureBudget {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly limits: { windowMs: number; perEmail: number; perIp: number },
    private readonly now: () => number,
  ) {}

  /** Throws TooManyRequests when this email or IP has spent its budget. */
  check(email: string, ip: string): void {
    const now = this.now();
    let retryAt = 0;
    for (const [key, max] of this.keys(email, ip)) {
      const window = this.windows.get(key);
      if (window && window.resetAt > now && window.count >= max) retryAt = Math.max(retryAt, window.resetAt);
    }
    if (retryAt > 0) throw new TooManyRequests('too many failed sign-in attempts: try again later', (retryAt - now) / 1000);
  }

  fail(email: string, ip: string): void {
    const now = this.now();
    if (this.windows.size > 100_000) this.sweep(now);
    for (const [key] of this.keys(email, ip)) {
      const window = this.windows.get(key);
      if (!window || window.resetAt <= now) this.windows.set(key, { count: 1, resetAt: now + this.limits.windowMs });
      else window.count++;
    }
  }

  /** A correct password clears that email's failures (not the IP's: one IP may spray many emails). */
  succeed(email: string): void {
    this.windows.delete(`email:${email}`);
  }

  private keys(email: string, ip: string): [string, number][] {
    return [[`email:${email}`, this.limits.perEmail], [`ip:${ip}`, this.limits.perIp]];
  }

  private sweep(now: number): void {
    for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key);
  }
}
