import cluster from 'node:cluster';
import { createRequire } from 'node:module';
import { Command, InvalidArgumentError, Option } from 'commander';
import { loadConfig, parseDuration, migrateToLatest, createLogger, openKeymint, serve } from '@keymint/server';
import { publicUrlOf, withKeymint, type GlobalOptions } from './context.js';
import { print, table } from './output.js';
import { apiTokenView, appView, iso, keyView, secretView, tenantView } from './views.js';
import { registerUserCommands } from './users.js';
import { registerAdminTokenCommands } from './admin-tokens.js';
import { registerOperationsCommands } from './operations.js';
import { registerAuditCommands } from './audit.js';
import { assertPortFree } from './port.js';

/** This package's version (package.json beside dist/). */
const VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

/** Audit context of every change made from the command line. */
const CLI = { actor: 'cli' } as const;

export function list(value: string): string[] {
  return value.split(',').map((item) => item.trim()).filter(Boolean);
}

export function seconds(value: string): number {
  const parsed = parseDuration(value);
  if (parsed === null || parsed === 0) throw new InvalidArgumentError('expected a duration such as 3600, 90s, 15m, 12h or 7d');
  return parsed;
}

/** Like `seconds`, but 0 (off) is a valid answer. */
export function secondsOrZero(value: string): number {
  const parsed = parseDuration(value);
  if (parsed === null) throw new InvalidArgumentError('expected a duration such as 0, 10, 10s or 1m');
  return parsed;
}

function integer(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number');
  return Number(value);
}

export function buildProgram(): Command {
  const program = new Command('keymint')
    .description('Keymint: self-hosted authentication for REST API platforms')
    .option('--tenant <slug>', 'tenant to act on', 'default')
    .option('--json', 'print one JSON object on stdout and nothing else')
    .version(`keymint ${VERSION}`, '-V, --version', 'print the version')
    // A usage error is one line and a pointer to the help, not the whole help.
    .configureOutput({ outputError: (text, write) => write(`keymint: ${text.trim().replace(/^error: /, '')} (see keymint --help)\n`) });
  const globals = (): GlobalOptions => program.opts<GlobalOptions>();

  program
    .command('serve')
    .description('run the server (migrates and bootstraps on first start)')
    .option('--port <n>', 'listen port (overrides PORT)')
    .option('--host <address>', 'listen address (overrides HOST)')
    .option('--workers <n>', 'worker processes sharing the port (node:cluster); dead workers are replaced', integer)
    .action(async (options: { port?: string; host?: string; workers?: number }) => {
      const { workers, ...flags } = options;
      if (workers !== undefined && (workers < 1 || workers > 64)) throw new InvalidArgumentError('--workers: expected 1 to 64');
      const config = loadConfig({ flags });
      // Workers share the primary's listening socket: only the primary (or a single process) checks.
      if (cluster.isPrimary) await assertPortFree(config.host, config.port);
      await serve(config, { workers });
    });

  program
    .command('migrate')
    .description('bring the database schema up to date')
    .action(async () => {
      const config = loadConfig();
      const keymint = await openKeymint(config, { log: createLogger('warn', process.stderr) });
      try {
        const applied = await migrateToLatest(keymint.db);
        print(globals().json, { applied }, () => (applied.length ? `applied ${applied.join(', ')}` : 'schema is up to date'));
      } finally {
        await keymint.close();
      }
    });

  const tenant = program.command('tenant').description('tenants: one issuer, key set, catalog and app list each');
  tenant
    .command('create <slug>')
    .description('create a tenant with the default scope catalog and a signing key')
    .action((slug: string) =>
      withKeymint(globals(), async ({ keymint, config }) => {
        const created = await keymint.tenants.create(slug, slug, CLI);
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
    .action((slug: string, options: { signedRequestWindow?: number }) =>
      withKeymint(globals(), async ({ keymint }) => {
        const changed = options.signedRequestWindow === undefined
          ? await keymint.tenants.get(slug)
          : await keymint.tenants.updateSettings(slug, { signedRequestMaxSkew: options.signedRequestWindow }, CLI);
        const view = {
          tenant: changed.slug,
          default_token_lifetime: changed.settings.defaultTokenLifetime,
          signed_request_window: changed.settings.signedRequestMaxSkew,
        };
        print(globals().json, view, () => Object.entries(view).map(([k, v]) => `${k.padEnd(24)} ${v}`).join('\n'));
      }),
    );

  const app = program.command('app').description('OAuth applications (client credentials)');
  app
    .command('create')
    .description('create an app and print its first client secret (shown once)')
    .requiredOption('--name <name>', 'a name people recognise')
    .option('--scopes <list>', 'comma-separated scopes to enable (none unless given)', list)
    .option('--lifetime <seconds>', 'access token lifetime, 60 to 86400 seconds', integer)
    .addOption(new Option('--format <format>', 'access token format').choices(['jwt', 'opaque']).default('jwt'))
    .option('--audiences <list>', 'comma-separated audiences beyond the tenant default', list)
    .option('--auth-methods <list>', 'client_secret_basic, client_secret_post, signed_request', list)
    .action((options: { name: string; scopes?: string[]; lifetime?: number; format: string; audiences?: string[]; authMethods?: string[] }) =>
      withKeymint(globals(), async ({ keymint, tenant: current, issuer }) => {
        const { app: created, secret } = await keymint.apps.create(current.id, await keymint.tenants.scopes(current.id), {
          name: options.name,
          scopes: options.scopes,
          tokenLifetime: options.lifetime,
          tokenFormat: options.format,
          audiences: options.audiences,
          authMethods: options.authMethods,
        }, CLI);
        const view = {
          client_id: created.clientId,
          client_secret: secret.clientSecret,
          secret_id: secret.secretId,
          tenant: current.slug,
          issuer,
          scopes: created.scopes,
        };
        print(globals().json, view, () =>
          [
            `created app ${created.name}`,
            `  client_id      ${view.client_id}`,
            `  client_secret  ${view.client_secret}`,
            `  scopes         ${view.scopes.join(' ') || '(none)'}`,
            `  token endpoint ${issuer}/oauth/token`,
            '',
            'Copy the client secret now: Keymint keeps only its hash and cannot show it again.',
          ].join('\n'),
        );
      }),
    );
  app
    .command('list')
    .description('list apps')
    .action(() =>
      withKeymint(globals(), async ({ keymint, tenant: current, issuer }) => {
        const apps = (await keymint.apps.list(current.id)).map((a) => appView(a, current, issuer));
        print(globals().json, { apps }, () =>
          table([['CLIENT ID', 'NAME', 'STATUS', 'SCOPES'], ...apps.map((a) => [a.client_id, a.name, a.status, a.scopes.join(' ')])]),
        );
      }),
    );
  app
    .command('show <client_id>')
    .description('show one app')
    .action((clientId: string) =>
      withKeymint(globals(), async ({ keymint, tenant: current, issuer }) => {
        const view = appView(await keymint.apps.get(current.id, clientId), current, issuer);
        print(globals().json, view, () => describeApp(view));
      }),
    );
  app
    .command('disable <client_id>')
    .description('disable an app: its secrets stop working at once')
    .action((clientId: string) =>
      withKeymint(globals(), async ({ keymint, tenant: current, issuer }) => {
        const view = appView(await keymint.apps.disable(current.id, clientId, CLI), current, issuer);
        print(globals().json, view, () => `disabled app ${view.name} (${view.client_id})`);
      }),
    );

  app
    .command('revoke-tokens <client_id>')
    .description('revoke every access token the app holds now (JWTs via the revocation feed), without disabling it')
    .action((clientId: string) =>
      withKeymint(globals(), async ({ keymint, tenant: current }) => {
        await keymint.accessTokens.revokeAllTokens(current.id, clientId, CLI);
        print(globals().json, { client_id: clientId, revoked: true }, () => `revoked every token of ${clientId}`);
      }),
    );
  app
    .command('auth-methods <client_id> <methods>')
    .description('set the allowed auth methods (comma-separated: client_secret_basic, client_secret_post, signed_request)')
    .action((clientId: string, methods: string) =>
      withKeymint(globals(), async ({ keymint, tenant: current }) => {
        const { app: changed, newSecretRequired } = await keymint.apps.setAuthMethods(current.id, clientId, list(methods), CLI);
        const view = { client_id: changed.clientId, auth_methods: changed.authMethods, new_secret_required: newSecretRequired };
        print(globals().json, view, () =>
          [
            `app ${changed.clientId} allows ${changed.authMethods.join(', ')}`,
            ...(newSecretRequired
              ? ['', `Signed requests need a new secret: existing secrets were stored as hashes only. Run: keymint app secret add ${changed.clientId}`]
              : []),
          ].join('\n'),
        );
      }),
    );

  const secret = app.command('secret').description('client secrets: up to 5 active per app, for rotation without downtime');
  secret
    .command('add <client_id>')
    .description('add a client secret (shown once)')
    .option('--expires-in <duration>', 'e.g. 7d, 12h, 3600', seconds)
    .action((clientId: string, options: { expiresIn?: number }) =>
      withKeymint(globals(), async ({ keymint, tenant: current }) => {
        const added = await keymint.apps.addSecret(current.id, clientId, options.expiresIn ?? null, CLI);
        const view = { secret_id: added.secretId, client_secret: added.clientSecret, expires_at: iso(added.expiresAt) };
        print(globals().json, view, () =>
          `added secret ${view.secret_id}\n  client_secret  ${view.client_secret}\n  expires        ${view.expires_at ?? 'never'}\n\nCopy it now: it cannot be shown again.`,
        );
      }),
    );
  secret
    .command('list <client_id>')
    .description('list an app\'s secrets (never the secrets themselves)')
    .action((clientId: string) =>
      withKeymint(globals(), async ({ keymint, tenant: current }) => {
        const secrets = (await keymint.apps.listSecrets(current.id, clientId)).map(secretView);
        print(globals().json, { secrets }, () =>
          table([
            ['SECRET ID', 'HINT', 'STATUS', 'CREATED', 'EXPIRES', 'LAST USED'],
            ...secrets.map((s) => [s.secret_id, s.hint, s.status, s.created_at ?? '', s.expires_at ?? 'never', s.last_used_at ?? 'never']),
          ]),
        );
      }),
    );
  secret
    .command('revoke <client_id> <secret_id>')
    .description('revoke a secret: it stops working at once')
    .action((clientId: string, secretId: string) =>
      withKeymint(globals(), async ({ keymint, tenant: current }) => {
        const view = secretView(await keymint.apps.revokeSecret(current.id, clientId, secretId, CLI));
        print(globals().json, view, () => `revoked secret ${view.secret_id}`);
      }),
    );

  const token = program.command('token').description('API tokens: long-lived, scoped Bearer tokens (kmk_…)');
  token
    .command('create')
    .description('create an API token (shown once)')
    .requiredOption('--name <name>', 'a name people recognise')
    .option('--scopes <list>', 'comma-separated scopes from the catalog (default: the catalog\'s default scopes)', list)
    .option('--expires-in <duration>', 'e.g. 30d, 12h, 3600 (default: never)', seconds)
    .action((options: { name: string; scopes?: string[]; expiresIn?: number }) =>
      withKeymint(globals(), async ({ keymint, tenant: current }) => {
        const created = await keymint.apiTokens.create(current.id, await keymint.tenants.scopes(current.id), {
          name: options.name,
          scopes: options.scopes,
          expiresInSeconds: options.expiresIn ?? null,
        }, CLI);
        const view = { id: created.info.id, token: created.token, scopes: created.info.scopes, expires_at: iso(created.info.expiresAt) };
        print(globals().json, view, () =>
          `created API token ${view.id}\n  token    ${view.token}\n  scopes   ${view.scopes.join(' ') || '(none)'}\n  expires  ${view.expires_at ?? 'never'}\n\nCopy it now: Keymint keeps only its hash and cannot show it again.`,
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
            ['ID', 'NAME', 'HINT', 'STATUS', 'SCOPES', 'CREATED', 'EXPIRES', 'LAST USED'],
            ...tokens.map((t) => [t.id, t.name, t.hint, t.status, t.scopes.join(' '), t.created_at ?? '', t.expires_at ?? 'never', t.last_used_at ?? 'never']),
          ]),
        );
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

  const keys = program.command('keys').description('signing keys: next → current → retired → removed (docs/key-rotation.md)');
  keys
    .command('list')
    .description('list the tenant\'s signing keys')
    .action(() =>
      withKeymint(globals(), async ({ keymint, tenant: current }) => {
        const list = (await keymint.keys.list(current.id)).map(keyView);
        print(globals().json, { keys: list }, () =>
          table([['KID', 'ALG', 'STATE', 'CREATED', 'ACTIVATED', 'REMOVE AFTER'], ...list.map((k) => [k.kid, k.alg, k.state, k.created_at ?? '', k.activated_at ?? '', k.remove_after ?? ''])]),
        );
      }),
    );
  keys
    .command('rotate')
    .description('promote the published next key (or schedule it) and stage a new next key')
    .action(() =>
      withKeymint(globals(), async ({ keymint, tenant: current }) => {
        const result = await keymint.keys.rotate(current.id, CLI);
        const list = (await keymint.keys.list(current.id)).map(keyView);
        const view = { promoted: result.promoted, next: { kid: result.next.kid, activates_at: iso(result.next.activatesAt) }, keys: list };
        print(globals().json, view, () =>
          result.promoted
            ? `key ${result.promoted} signs from now on; next key ${result.next.kid} is published`
            : `key ${result.next.kid} is published and will sign from ${view.next.activates_at} (verifiers may cache the JWKS until then)`,
        );
      }),
    );

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

  registerAdminTokenCommands(admin, globals);
  registerOperationsCommands(program, globals);
  registerUserCommands(program, globals);
  registerAuditCommands(program, globals);
  return program;
}

function describeApp(view: ReturnType<typeof appView>): string {
  return [
    `${view.name} (${view.status})`,
    `  client_id     ${view.client_id}`,
    `  scopes        ${view.scopes.join(' ') || '(none)'}`,
    `  audiences     ${[`${view.issuer}/api (default)`, ...view.audiences].join(', ')}`,
    `  lifetime      ${view.token_lifetime} s`,
    `  format        ${view.token_format}`,
    `  auth methods  ${view.auth_methods.join(', ')}`,
    `  created       ${view.created_at}`,
  ].join('\n');
}
