import { InvalidArgumentError, type Command } from 'commander';
import type { LimitsInput } from '@keymint/server';

/** What commander parsed from addLimitOptions' options. */
export interface LimitOptions {
  rateLimit?: string;
  quota?: string;
  quotaRefill?: string;
  failOpen?: boolean;
}

/** `N/WINDOW`, or `none` where a limit may be removed (checked fully by the service). */
function rate(value: string): string {
  if (value !== 'none' && !/^\d{1,10}\/\d{0,9}[smhd]$/.test(value)) throw new InvalidArgumentError('expected N/WINDOW such as 100/1m, 10/5s or 10000/30d');
  return value;
}

function count(value: string): string {
  if (value !== 'none' && !/^\d{1,10}$/.test(value)) throw new InvalidArgumentError('expected a whole number');
  return value;
}

/** The limit options of `token create`, `app create` and the `limits` commands (docs/gateway.md). */
export function addLimitOptions(command: Command, removable: boolean): Command {
  const none = removable ? ' (none: remove it)' : '';
  return command
    .option('--rate-limit <N/WINDOW>', `at most N requests per fixed window, e.g. 100/1m${none}`, rate)
    .option('--quota <N>', `N uses in all${none}`, count)
    .option('--quota-refill <N/PERIOD>', `the uses left go back to N once PERIOD has passed, e.g. 10000/30d${none}`, rate)
    .option('--fail-open', 'during a limit-store outage let uses through uncounted (default: refuse them with 503)')
    .option('--fail-closed', 'during a limit-store outage refuse uses with 503 (the default)');
}

/** The service's input: absent options are kept, `none` removes a limit. */
export function limitsInputOf(options: LimitOptions & { failClosed?: boolean }): LimitsInput {
  const text = (value: string | undefined) => (value === undefined ? undefined : value === 'none' ? null : value);
  const quota = text(options.quota);
  return {
    rateLimit: text(options.rateLimit),
    quota: quota === undefined || quota === null ? quota : Number(quota),
    quotaRefill: text(options.quotaRefill),
    failOpen: options.failOpen ? true : options.failClosed ? false : undefined,
  };
}

/** One line for tables: `100/1m, quota 10000 (10000/30d), fail open`, or `none`. */
export function describeLimits(view: { rate_limit: string | null; quota: number | null; quota_refill: string | null; fail_open: boolean }): string {
  const parts = [
    ...(view.rate_limit ? [view.rate_limit] : []),
    ...(view.quota === null ? [] : [`quota ${view.quota}${view.quota_refill ? ` (${view.quota_refill})` : ''}`]),
  ];
  if (parts.length === 0) return 'none';
  return view.fail_open ? `${parts.join(', ')}, fail open` : parts.join(', ');
}
