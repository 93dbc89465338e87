import { InvalidArgumentError, type Command } from 'commander';
import { keyNames, keyUsageView, usageSubject } from '@keymint/server';
import { withKeymint, type GlobalOptions } from './context.js';
import { print, table } from './output.js';

function hours(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 168) throw new InvalidArgumentError('expected a whole number of hours from 1 to 168');
  return Number(value);
}

/**
 * `keymint usage`: what each key's uses came to per hour (issue 20, docs/gateway.md "Usage"),
 * in the admin API's shape (admin/views.ts keyUsageView). Counts reach the database in the
 * server's batches (every 10 s and on shutdown).
 */
export function registerUsageCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('usage')
    .description('outcomes of each key\'s uses (valid, rate_limited, usage_exceeded, invalid, insufficient_scope), busiest first')
    .option('--token <id>', 'one API token')
    .option('--app <client_id>', 'one app (the JWT and kma_ tokens it holds)')
    .option('--hours <n>', 'the last N hours, 1-168 (default 24)', hours, 24)
    .action((options: { token?: string; app?: string; hours: number }) =>
      withKeymint(globals(), async ({ keymint, tenant }) => {
        const { keys } = await keymint.usage.keyUsage(tenant.id, options.hours, usageSubject(options));
        const names = await keyNames(tenant.id, keymint.apps, keymint.apiTokens);
        const usage = keys.map((u) => keyUsageView(u, names));
        print(globals().json, { usage }, () =>
          table([
            ['KEY', 'NAME', 'VALID', 'RATE LIMITED', 'USAGE EXCEEDED', 'INVALID', 'INSUFFICIENT SCOPE', 'LAST USED'],
            ...usage.map((u) => [u.subject, u.name ?? '', u.valid, u.rate_limited, u.usage_exceeded, u.invalid, u.insufficient_scope, u.last_used_at].map(String)),
          ]),
        );
      }),
    );
}
