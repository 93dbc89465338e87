import { Command, InvalidArgumentError } from 'commander';
import { auditView, parseDuration } from '@keymint/server';
import { withKeymint, type GlobalOptions } from './context.js';
import { print, table } from './output.js';

/** `--since 1h` (that long ago) or `--since 2026-11-30T12:00:00Z`; epoch ms of the start. */
function since(value: string): number {
  const seconds = parseDuration(value);
  if (seconds !== null) return Date.now() - seconds * 1000;
  const ms = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) throw new InvalidArgumentError('expected a duration such as 15m, 12h or 7d, or an ISO 8601 time such as 2026-11-30T12:00:00Z');
  return ms;
}

function limit(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 1000) throw new InvalidArgumentError('expected a whole number from 1 to 1000');
  return Number(value);
}

/**
 * `keymint audit list`: the audit log for operators without the console (docs/credential-lifecycle.md
 * "Audit log"). Every tenant, and the events of none, unless --tenant is given; entries have the
 * admin API's shape (audit/view.ts).
 */
export function registerAuditCommands(program: Command, globals: () => GlobalOptions): void {
  const audit = program.command('audit').description('the audit log: who changed which credential, when and from where');
  audit
    .command('list')
    .description('list audit entries, newest first (every tenant unless --tenant is given)')
    .option('--action <action>', 'only this action, e.g. app.created or tenant.settings_updated')
    .option('--since <when>', 'only entries from this long ago (15m, 12h, 7d) or from an ISO 8601 time', since)
    .option('--limit <n>', 'at most this many entries, 1-1000', limit, 100)
    .action((options: { action?: string; since?: number; limit: number }) =>
      // --tenant is the program's global option: its default (tenant `default`) must not narrow the log.
      withKeymint(globals(), async ({ keymint, tenant }) => {
        const chosen = program.getOptionValueSource('tenant') === 'default' ? undefined : tenant;
        const slugs = new Map((await keymint.tenants.list()).map((t) => [t.id, t.slug]));
        const entries = await keymint.audit.query({ tenantId: chosen?.id, action: options.action, since: options.since, limit: options.limit });
        const events = entries.map((e) => auditView(e, e.tenantId === null ? null : slugs.get(e.tenantId) ?? null));
        print(globals().json, { events }, () =>
          events.length === 0
            ? 'no audit entries match'
            : table([
              ['TIME', 'TENANT', 'ACTION', 'ACTOR', 'TARGET', 'IP'],
              ...events.map((e) => [e.created_at, e.tenant ?? '-', e.action, e.actor_id ? `${e.actor} ${e.actor_id}` : e.actor, e.target ?? '', e.ip ?? '']),
            ]),
        );
      }),
    );
}
