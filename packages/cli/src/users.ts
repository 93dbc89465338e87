import { Option, type Command } from 'commander';
import { CLI, withKeymint, type GlobalOptions } from './context.js';
import { print, table } from './output.js';
import { list, seconds, secondsOrZero } from './args.js';
import { endUserSettingsView, endUserView, revokedSessionsView } from '@keymint/server';

/** `keymint users …`: the tenant's end users and how they sign in (docs/end-users.md). */
export function registerUserCommands(program: Command, globals: () => GlobalOptions): void {
  const users = program.command('users').description('end users of the tenant\'s app: settings, accounts, sessions (docs/end-users.md)');
  users
    .command('settings')
    .description('show or change how end users get tokens')
    .addOption(new Option('--mode <mode>', 'bearer (tokens in JSON) or cookie (HTTP-only cookies)').choices(['bearer', 'cookie']))
    .option('--origins <origins>', 'comma-separated origins allowed to call /auth (e.g. https://app.example.com); "" for none', (value: string) => list(value))
    .option('--access-lifetime <duration>', 'access-token lifetime (default 1h)', seconds)
    .option('--idle-timeout <duration>', 'session ends after this long without use (default 7d)', seconds)
    .option('--session-lifetime <duration>', 'session ends this long after sign-in at the latest (default 30d)', seconds)
    .option('--refresh-reuse-grace <duration>', 'a refresh token spent less than this ago may be presented again (retries, concurrent tabs): 0-60s, default 10s; 0 turns it off', secondsOrZero)
    .addOption(new Option('--signup <policy>', 'open (anyone may create an account; the default) or closed (403 signup_closed)').choices(['open', 'closed']))
    .option('--require-verified-email', 'a password signs in only once the email has been proven with a mailed code')
    .option('--no-require-verified-email', 'passwords sign in whether or not the email has been proven (the default)')
    .action((options: { mode?: 'bearer' | 'cookie'; origins?: string[]; accessLifetime?: number; idleTimeout?: number; sessionLifetime?: number; refreshReuseGrace?: number; signup?: 'open' | 'closed'; requireVerifiedEmail?: boolean }) =>
      withKeymint(globals(), async ({ keymint, tenant, issuer }) => {
        const patch = {
          ...(options.mode !== undefined ? { tokenMode: options.mode } : {}),
          ...(options.origins !== undefined ? { allowedOrigins: options.origins } : {}),
          ...(options.accessLifetime !== undefined ? { accessTokenLifetime: options.accessLifetime } : {}),
          ...(options.idleTimeout !== undefined ? { sessionIdleTimeout: options.idleTimeout } : {}),
          ...(options.sessionLifetime !== undefined ? { sessionAbsoluteLifetime: options.sessionLifetime } : {}),
          ...(options.refreshReuseGrace !== undefined ? { refreshReuseGrace: options.refreshReuseGrace } : {}),
          ...(options.signup !== undefined ? { signup: options.signup } : {}),
          ...(options.requireVerifiedEmail !== undefined ? { requireVerifiedEmail: options.requireVerifiedEmail } : {}),
        };
        const settings = Object.keys(patch).length > 0 ? await keymint.users.updateSettings(tenant.slug, patch, CLI) : keymint.users.settings(tenant);
        const view = {
          tenant: tenant.slug,
          issuer,
          app_id: tenant.appId,
          ...endUserSettingsView(settings),
        };
        print(globals().json, view, () => Object.entries(view).map(([k, v]) => `${k.padEnd(26)} ${Array.isArray(v) ? v.join(', ') || '(none)' : v}`).join('\n'));
      }),
    );
  users
    .command('list')
    .description('list end users, newest first')
    .action(() =>
      withKeymint(globals(), async ({ keymint, tenant }) => {
        const all = (await keymint.users.listPage(tenant.id, { limit: 100 })).users.map(endUserView);
        print(globals().json, { users: all }, () => table([['ID', 'EMAIL', 'VERIFIED', 'CREATED', 'LAST SIGN-IN'], ...all.map((u) => [u.id, u.email, u.email_verified ? 'yes' : 'no', u.created_at, u.last_sign_in_at ?? 'never'])]));
      }),
    );
  users
    .command('signout-all <email>')
    .description('revoke every session of a user: their tokens stop working on every verifier within a poll')
    .action((email: string) =>
      withKeymint(globals(), async ({ keymint, tenant }) => {
        const user = await keymint.users.userByEmail(tenant.id, email);
        const revoked = await keymint.users.revokeUserSessions(tenant.id, user.id, CLI);
        print(globals().json, revokedSessionsView(user.id, revoked), () => `revoked ${revoked} session(s) of ${email}`);
      }),
    );
}
