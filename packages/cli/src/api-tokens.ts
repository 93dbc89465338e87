import type { Command } from 'commander';
import { list, seconds } from './args.js';
import { CLI, withKeymint, type GlobalOptions } from './context.js';
import { print, table } from './output.js';
import { addLimitOptions, describeLimits, limitsInputOf, type LimitOptions } from './limits.js';
import { apiTokenView } from '@keymint/server';

/** `keymint token …`: long-lived, scoped API tokens (kmk_…). */
export function registerApiTokenCommands(program: Command, globals: () => GlobalOptions): void {
  const token = program.command('token').description('API tokens: long-lived, scoped Bearer tokens (kmk_…)');
  addLimitOptions(token
    .command('create')
    .description('create an API token (shown once)')
    .requiredOption('--name <name>', 'a name people recognise')
    .option('--scopes <list>', 'comma-separated scopes from the catalog (default: the catalog\'s default scopes)', list)
    .option('--expires-in <duration>', 'e.g. 30d, 12h, 3600 (default: never)', seconds), false)
    .action((options: { name: string; scopes?: string[]; expiresIn?: number } & LimitOptions) =>
      withKeymint(globals(), async ({ keymint, tenant: current }) => {
        const created = await keymint.apiTokens.create(current.id, await keymint.tenants.scopes(current.id), {
          name: options.name,
          scopes: options.scopes,
          expiresInSeconds: options.expiresIn ?? null,
          limits: limitsInputOf(options),
        }, CLI);
        const view = { token: created.token, info: apiTokenView(created.info) };
        print(globals().json, view, () =>
          `created API token ${view.info.id}\n  token    ${view.token}\n  scopes   ${view.info.scopes.join(' ') || '(none)'}\n  expires  ${view.info.expires_at ?? 'never'}\n\nCopy it now: Keymint keeps only its hash and cannot show it again.`,
        );
      }),
    );
  token
    .command('list')
    .description('list API tokens (never the tokens themselves)')
    .action(() =>
      withKeymint(globals(), async ({ keymint, tenant: current }) => {
        const tokens = (await keymint.apiTokens.list(current.id)).map(apiTokenView);
        print(globals().json, { tokens }, () =>
          table([
            ['ID', 'NAME', 'HINT', 'STATUS', 'SCOPES', 'CREATED', 'EXPIRES', 'LAST USED', 'LIMITS'],
            ...tokens.map((t) => [t.id, t.name, `${t.hint}…`, t.status, t.scopes.join(' '), t.created_at, t.expires_at ?? 'never', t.last_used_at ?? 'never', describeLimits(t.limits)]),
          ]),
        );
      }),
    );
  addLimitOptions(token
    .command('limits <id>')
    .description('change a token\'s rate limit, quota or outage behaviour (a changed limit starts a fresh count)'), true)
    .action((id: string, options: LimitOptions & { failClosed?: boolean }) =>
      withKeymint(globals(), async ({ keymint, tenant: current }) => {
        const view = apiTokenView(await keymint.apiTokens.setLimits(current.id, id, limitsInputOf(options), CLI));
        print(globals().json, view, () => `limits of API token ${view.id} (${view.name}): ${describeLimits(view.limits)}`);
      }),
    );
  token
    .command('revoke <id>')
    .description('revoke an API token: it stops working at once on every server')
    .action((id: string) =>
      withKeymint(globals(), async ({ keymint, tenant: current }) => {
        const view = apiTokenView(await keymint.apiTokens.revoke(current.id, id, CLI));
        print(globals().json, view, () => `revoked API token ${view.id} (${view.name})`);
      }),
    );
}
