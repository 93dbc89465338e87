import { Option, type Command } from 'commander';
import { CLI, withKeymint, type GlobalOptions } from './context.js';
import { print, table } from './output.js';
import { seconds } from './args.js';
import { adminTokenView } from '@keymint/server';

/** `keymint admin token …`: admin API tokens (`kmo_`) for scripts (docs/admin.md). */
export function registerAdminTokenCommands(admin: Command, globals: () => GlobalOptions): void {
  const token = admin.command('token').description('admin API tokens (kmo_…) for scripts: shown once, optional expiry');
  token
    .command('create')
    .description('create an admin API token; it is printed once')
    .requiredOption('--name <name>', 'what the token is for (e.g. terraform)')
    .addOption(new Option('--role <role>', 'owner: everything; viewer: read only').choices(['owner', 'viewer']).default('owner'))
    .option('--expires-in <duration>', 'refused after this long (e.g. 30d, 12h; 60 s to 2 years); default: never', seconds)
    .option('--tenant-only', 'limit the token to --tenant (default: every tenant)')
    .action((options: { name: string; role: string; expiresIn?: number; tenantOnly?: boolean }) =>
      withKeymint(globals(), async ({ keymint, tenant }) => {
        // The command line stands for a global owner, as for `admin create`.
        const creator = { email: 'cli', role: 'owner' as const, tenantId: options.tenantOnly ? tenant.id : null, via: 'token' as const };
        const { info, token: secret } = await keymint.admins.createToken(creator, { name: options.name, role: options.role, expires_in: options.expiresIn }, CLI);
        const view = { token: secret, info: adminTokenView(info, options.tenantOnly ? tenant.slug : null) };
        const { id, name, role, tenant: only, expires_at } = view.info;
        print(globals().json, view, () => `${secret}\n  ${id} ${name} (${role}${only ? `, tenant ${only} only` : ''}), ${expires_at ? `expires ${expires_at}` : 'no expiry'}: shown once, store it now`);
      }),
    );
  token
    .command('list')
    .description('admin API tokens with their last use and expiry (never the token)')
    .action(() =>
      withKeymint(globals(), async ({ keymint }) => {
        const slugs = new Map((await keymint.tenants.list()).map((t) => [t.id, t.slug]));
        const tokens = (await keymint.admins.listTokens({ email: 'cli', role: 'owner', tenantId: null, via: 'token' }))
          .map((t) => adminTokenView(t, t.tenantId === null ? null : slugs.get(t.tenantId) ?? null));
        print(globals().json, { tokens }, () => table([['ID', 'NAME', 'ROLE', 'LAST USED', 'EXPIRES', 'REVOKED'], ...tokens.map((t) => [t.id, t.name, t.role, t.last_used_at ?? '-', t.expires_at ?? 'never', t.revoked_at ?? '-'])]));
      }),
    );
}
