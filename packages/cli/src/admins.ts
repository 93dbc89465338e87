import { Option, type Command } from 'commander';
import { CLI, publicUrlOf, withKeymint, type GlobalOptions } from './context.js';
import { print } from './output.js';

/** `keymint admin create`: admin console accounts; returns the group so admin-token commands join it. */
export function registerAdminCommands(program: Command, globals: () => GlobalOptions): Command {
  const admin = program.command('admin').description('admin console accounts (docs/admin.md)');
  admin
    .command('create')
    .description('create an admin account; without --password, print a one-time link to choose one')
    .requiredOption('--email <email>', 'the person\'s email (their sign-in name)')
    .option('--password <password>', 'set the password now (at least 10 characters)')
    .addOption(new Option('--role <role>', 'owner: everything; viewer: read only').choices(['owner', 'viewer']).default('owner'))
    .option('--tenant-only', 'limit the account to --tenant (default: every tenant)')
    .action((options: { email: string; password?: string; role: string; tenantOnly?: boolean }) =>
      withKeymint(globals(), async ({ keymint, config, tenant: current }) => {
        const { account, setupToken } = await keymint.admins.createAccount(
          { email: options.email, password: options.password, role: options.role, tenantId: options.tenantOnly ? current.id : null },
          CLI,
        );
        const view = {
          email: account.email,
          role: account.role,
          tenant: options.tenantOnly ? current.slug : null,
          setup_url: setupToken ? `${publicUrlOf(config)}/console/setup?token=${setupToken}` : null,
        };
        print(globals().json, view, () =>
          [`created admin ${view.email} (${view.role}${view.tenant ? `, tenant ${view.tenant} only` : ', every tenant'})`, ...(view.setup_url ? [`  one-time setup link (24 h): ${view.setup_url}`] : [])].join('\n'),
        );
      }),
    );
  return admin;
}
