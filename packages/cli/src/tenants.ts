import type { Command } from 'commander';
import { integer } from './args.js';
import { CLI, publicUrlOf, withKeymint, type GlobalOptions } from './context.js';
import { print, table } from './output.js';
import { settingsView, SIGNING_ALGORITHMS, tenantView } from '@keymint/server';

const ALGORITHMS = SIGNING_ALGORITHMS.join('|');

/** `keymint tenant …`: tenants, each with its own issuer, keys, catalog and apps. */
export function registerTenantCommands(program: Command, globals: () => GlobalOptions): void {
  const tenant = program.command('tenant').description('tenants: one issuer, key set, catalog and app list each');
  tenant
    .command('create <slug>')
    .description('create a tenant with the default scope catalog and a signing key')
    .option('--signing-alg <alg>', `algorithm of the tenant's signing keys: ${ALGORITHMS} (default ES256)`)
    .action((slug: string, options: { signingAlg?: string }) =>
      withKeymint(globals(), async ({ keymint, config }) => {
        const created = await keymint.tenants.create(slug, slug, CLI, options.signingAlg === undefined ? {} : { signingAlg: options.signingAlg });
        const view = tenantView(created, `${publicUrlOf(config)}/t/${created.slug}`);
        print(globals().json, view, () => `created tenant ${view.tenant}\n  issuer  ${view.issuer}\n  app id  ${view.app_id}`);
      }),
    );
  tenant
    .command('list')
    .description('list tenants')
    .action(() =>
      withKeymint(globals(), async ({ keymint, config }) => {
        const tenants = (await keymint.tenants.list()).map((t) => tenantView(t, `${publicUrlOf(config)}/t/${t.slug}`));
        print(globals().json, { tenants }, () => table([['TENANT', 'ISSUER', 'APP ID'], ...tenants.map((t) => [t.tenant, t.issuer, t.app_id])]));
      }),
    );

  tenant
    .command('settings <slug>')
    .description('show or change a tenant\'s settings')
    .option('--signed-request-window <seconds>', 'how far a signed request\'s timestamp may be from server time (1-300, default 5)', integer)
    .option('--signing-alg <alg>', `move the tenant's keys to ${ALGORITHMS}: a key of that algorithm is published ahead, then signs`)
    .action((slug: string, options: { signedRequestWindow?: number; signingAlg?: string }) =>
      withKeymint(globals(), async ({ keymint }) => {
        const patch = {
          ...(options.signedRequestWindow === undefined ? {} : { signedRequestMaxSkew: options.signedRequestWindow }),
          ...(options.signingAlg === undefined ? {} : { signingAlg: options.signingAlg }),
        };
        const changed = Object.keys(patch).length === 0 ? await keymint.tenants.get(slug) : await keymint.tenants.updateSettings(slug, patch, CLI);
        const view = settingsView(changed);
        print(globals().json, view, () => Object.entries(view).map(([k, v]) => `${k.padEnd(24)} ${v}`).join('\n'));
      }),
    );
}
