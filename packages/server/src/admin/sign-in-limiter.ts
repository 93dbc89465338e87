import { TooManyRequests } from '../errors.js';

interface Window {
  failures: number;
  resetAt: number;
}

/**
 * Fixed-window count of failed sign-ins per email and per IP (OWASP ASVS 5.0 V6.3: brute-force
 * protection). Over budget → 429 with Retry-After until the window ends; a correct password
 * clears the email's count. In memory: one node's budget (docs/admin.md says so).
 */
export class SignInLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly now: () => number,
    private readonly limits: { perEmail: number; perIp: number; windowMs: number },
  ) {}

  /** Throws 429 when either the email or the IP has used its budget. */
  check(email: string, ip: string): void {
    const now = this.now();
    for (const [key, budget] of [[`e:${email}`, this.limits.perEmail], [`i:${ip}`, this.limits.perIp]] as const) {
      const window = this.windows.get(key);
      if (window && window.resetAt <= now) this.windows.delete(key);
      else if (window && window.failures >= budget) {
        throw new TooManyRequests('too many failed sign-ins: try again later', (window.resetAt - now) / 1000);
      }
    }
  }

  failed(email: string, ip: string): void {
    const now = this.now();
    for (const key of [`e:${email}`, `i:${ip}`]) {
      const window = this.windows.get(key);
      if (!window || window.resetAt <= now) this.windows.set(key, { failures: 1, resetAt: now + this.limits.windowMs });
      else window.failures += 1;
    }
    // Bounded: a flood of made-up emails must not grow memory without end.
    if (this.windows.size > 100_000) this.windows.clear();
  }

  succeeded(email: string): void {
    this.windows.delete(`e:${email}`);
  }
}
