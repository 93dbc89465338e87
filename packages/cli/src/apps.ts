import { Option, type Command } from 'commander';
import { integer, jsonFile, list, seconds } from './args.js';
import { CLI, withKeymint, type GlobalOptions } from './context.js';
import { UsageError } from './errors.js';
import { print, table } from './output.js';
import { appKeyView, appView, newSecretView, secretView } from '@keymint/server';
import { addLimitOptions, describeLimits, limitsInputOf, type LimitOptions } from './limits.js';

/** `keymint app …` and `keymint app secret …`: OAuth applications and their client secrets. */
export function registerAppCommands(program: Command, globals: () => GlobalOptions): void {
  const app = program.command('app').description('OAuth applications (client credentials)');
  addLimitOptions(app
    .command('create')
    .description('create an app and print its first client secret (shown once), or, with private_key_jwt and --jwks, register its public keys (no secret)')
    .requiredOption('--name <name>', 'a name people recognise')
    .option('--scopes <list>', 'comma-separated scopes to enable (none unless given)', list)
    .option('--lifetime <seconds>', 'access token lifetime, 60 to 86400 seconds', integer)
    .addOption(new Option('--format <format>', 'access token format').choices(['jwt', 'opaque']).default('jwt'))
    .option('--audiences <list>', 'comma-separated audiences beyond the tenant default', list)
    .option('--auth-methods <list>', 'client_secret_basic, client_secret_post, signed_request, or private_key_jwt alone', list)
    .option('--jwks <file>', 'private_key_jwt: a JWKS file ({"keys": [...]}) of the app\'s public keys', jsonFile)
    .option('--require-dpop', 'issue tokens only to requests with a DPoP proof, always bound to its key (RFC 9449)'), false)
    .action((options: { name: string; scopes?: string[]; lifetime?: number; format: string; audiences?: string[]; authMethods?: string[]; jwks?: unknown; requireDpop?: boolean } & LimitOptions) =>
      withKeymint(globals(), async ({ keymint, tenant: current, issuer }) => {
        const { app: created, secret } = await keymint.apps.create(current.id, await keymint.tenants.scopes(current.id), {
          name: options.name,
          scopes: options.scopes,
          tokenLifetime: options.lifetime,
          tokenFormat: options.format,
          audiences: options.audiences,
          authMethods: options.authMethods,
          jwks: options.jwks,
          requireDpop: options.requireDpop === true,
          limits: limitsInputOf(options),
        }, CLI);
        const keys = secret ? [] : (await keymint.apps.listKeys(current.id, created.clientId)).map(appKeyView);
        const view = {
          client_id: created.clientId,
          // null for a private_key_jwt app: it has no secret.
          client_secret: secret?.clientSecret ?? null,
          secret_id: secret?.secretId ?? null,
          tenant: current.slug,
          issuer,
          scopes: created.scopes,
          ...(secret ? {} : { auth_methods: created.authMethods, keys }),
          // Only when set, like the key fields: the flat one-time answer keeps its documented shape (docs/admin.md).
          ...(created.requireDpop ? { require_dpop: true } : {}),
        };
        print(globals().json, view, () =>
          [
            `created app ${created.name}`,
            `  client_id      ${view.client_id}`,
            ...(secret ? [`  client_secret  ${secret.clientSecret}`] : [`  auth method    private_key_jwt (no secret), keys ${keys.map((k) => k.kid).join(', ')}`]),
            `  scopes         ${view.scopes.join(' ') || '(none)'}`,
            ...(created.requireDpop ? ['  dpop           required (tokens only with a DPoP proof)'] : []),
            `  token endpoint ${issuer}/oauth/token`,
            ...(secret ? ['', 'Copy the client secret now: Keymint keeps only its hash and cannot show it again.'] : []),
          ].join('\n'),
        );
      }),
    );
  app
    .command('list')
    .description('list apps')
    .action(() =>
      withKeymint(globals(), async ({ keymint, tenant: current }) => {
        const apps = (await keymint.apps.list(current.id)).map((a) => appView(a, current));
        print(globals().json, { apps }, () =>
          table([['CLIENT ID', 'NAME', 'STATUS', 'SCOPES', 'LIMITS'], ...apps.map((a) => [a.client_id, a.name, a.status, a.scopes.join(' '), describeLimits(a.limits)])]),
        );
      }),
    );
  app
    .command('show <client_id>')
    .description('show one app')
    .action((clientId: string) =>
      withKeymint(globals(), async ({ keymint, tenant: current, issuer }) => {
        const view = appView(await keymint.apps.get(current.id, clientId), current);
        print(globals().json, view, () => describeApp(view, issuer));
      }),
    );
  app
    .command('rename <client_id> <name>')
    .description('rename an app (names need not be unique: the client_id tells apps apart)')
    .action((clientId: string, name: string) =>
      withKeymint(globals(), async ({ keymint, tenant: current }) => {
        const { app: renamed } = await keymint.apps.update(current.id, await keymint.tenants.scopes(current.id), clientId, { name }, CLI);
        const view = appView(renamed, current);
        print(globals().json, view, () => `renamed app ${view.client_id} to ${view.name}`);
      }),
    );
  addLimitOptions(app
    .command('limits <client_id>')
    .description('change the rate limit, quota or outage behaviour shared by every token of an app (a changed limit starts a fresh count)'), true)
    .action((clientId: string, options: LimitOptions & { failClosed?: boolean }) =>
      withKeymint(globals(), async ({ keymint, tenant: current }) => {
        const { app: changed } = await keymint.apps.update(current.id, await keymint.tenants.scopes(current.id), clientId, { limits: limitsInputOf(options) }, CLI);
        const view = appView(changed, current);
        print(globals().json, view, () => `limits of app ${view.client_id} (${view.name}): ${describeLimits(view.limits)}`);
      }),
    );
  app
    .command('disable <client_id>')
    .description('disable an app: its secrets stop working at once')
    .action((clientId: string) =>
      withKeymint(globals(), async ({ keymint, tenant: current }) => {
        const view = appView(await keymint.apps.disable(current.id, clientId, CLI), current);
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
    .description('set the allowed auth methods (comma-separated: client_secret_basic, client_secret_post, signed_request; or private_key_jwt alone, which revokes every secret)')
    .option('--jwks <file>', 'private_key_jwt: a JWKS file replacing the app\'s public keys', jsonFile)
    .action((clientId: string, methods: string, options: { jwks?: unknown }) =>
      withKeymint(globals(), async ({ keymint, tenant: current }) => {
        const { app: changed, newSecretRequired } = await keymint.apps.setAuthMethods(current.id, clientId, list(methods), CLI, options.jwks);
        const view = { app: appView(changed, current), new_secret_required: newSecretRequired };
        print(globals().json, view, () =>
          [
            `app ${changed.clientId} allows ${changed.authMethods.join(', ')}`,
            ...(newSecretRequired
              ? ['', `The app needs a new secret (signed requests need a recoverable copy; a former private_key_jwt app has none). Run: keymint app secret add ${changed.clientId}`]
              : []),
          ].join('\n'),
        );
      }),
    );
  app
    .command('dpop <client_id> <mode>')
    .description('required: tokens only with a DPoP proof (RFC 9449), always bound; optional: a proof binds the token, none gives a Bearer token')
    .action((clientId: string, mode: string) =>
      withKeymint(globals(), async ({ keymint, tenant: current }) => {
        if (mode !== 'required' && mode !== 'optional') throw new UsageError(`dpop mode must be required or optional, got ${JSON.stringify(mode)}`);
        const { app: changed } = await keymint.apps.update(current.id, await keymint.tenants.scopes(current.id), clientId, { requireDpop: mode === 'required' }, CLI);
        const view = appView(changed, current);
        print(globals().json, view, () => `app ${view.client_id}: DPoP ${view.require_dpop ? 'required' : 'optional'}`);
      }),
    );

  const keys = app.command('keys').description('public keys of a private_key_jwt app (RFC 7523): rotate by adding the new key, then removing the old');
  keys
    .command('list <client_id>')
    .description('list the app\'s public keys by kid and RFC 7638 thumbprint')
    .action((clientId: string) =>
      withKeymint(globals(), async ({ keymint, tenant: current }) => {
        const listed = (await keymint.apps.listKeys(current.id, clientId)).map(appKeyView);
        print(globals().json, { keys: listed }, () => table([['KID', 'THUMBPRINT', 'KTY', 'ALG', 'CREATED'], ...listed.map((k) => [k.kid, k.thumbprint, k.kty, k.alg ?? '-', k.created_at])]));
      }),
    );
  keys
    .command('add <client_id> <jwks_file>')
    .description('add the public keys of a JWKS file (at most 10 keys per app, kids unique)')
    .action((clientId: string, file: string) =>
      withKeymint(globals(), async ({ keymint, tenant: current }) => {
        const listed = (await keymint.apps.addKeys(current.id, clientId, jsonFile(file), CLI)).map(appKeyView);
        print(globals().json, { keys: listed }, () => `app ${clientId} has keys ${listed.map((k) => k.kid).join(', ')}`);
      }),
    );
  keys
    .command('remove <client_id> <kid>')
    .description('remove a public key (never the app\'s last one)')
    .action((clientId: string, kid: string) =>
      withKeymint(globals(), async ({ keymint, tenant: current }) => {
        const listed = (await keymint.apps.removeKey(current.id, clientId, kid, CLI)).map(appKeyView);
        print(globals().json, { keys: listed }, () => `removed key ${kid}; app ${clientId} has keys ${listed.map((k) => k.kid).join(', ')}`);
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
        const view = newSecretView(added);
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
            ...secrets.map((s) => [s.secret_id, `${s.hint}…`, s.status, s.created_at, s.expires_at ?? 'never', s.last_used_at ?? 'never']),
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
}

function describeApp(view: ReturnType<typeof appView>, issuer: string): string {
  return [
    `${view.name} (${view.status})`,
    `  client_id     ${view.client_id}`,
    `  scopes        ${view.scopes.join(' ') || '(none)'}`,
    `  audiences     ${[`${issuer}/api (default)`, ...view.audiences].join(', ')}`,
    `  lifetime      ${view.token_lifetime} s${view.token_lifetime_default ? ' (tenant default)' : ''}`,
    `  format        ${view.token_format}`,
    `  auth methods  ${view.auth_methods.join(', ')}`,
    `  dpop          ${view.require_dpop ? 'required' : 'optional'}`,
    `  limits        ${describeLimits(view.limits)}`,
    `  created       ${view.created_at}`,
  ].join('\n');
}
