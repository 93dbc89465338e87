import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Keymint } from '../keymint.js';
import { endUserSettingsView as view, type EndUserSettings } from '../users/model.js';
import { auditContext } from './auth.js';
import * as S from './schemas.js';

/** The CLI's `users settings` view, so scripts read the same names from both. */
const EndUserSettingsView = Type.Object({
  token_mode: Type.Union([Type.Literal('bearer'), Type.Literal('cookie')]),
  allowed_origins: Type.Array(Type.String()),
  access_token_lifetime: Type.Integer({ description: 'seconds' }),
  session_idle_timeout: Type.Integer({ description: 'seconds' }),
  session_absolute_lifetime: Type.Integer({ description: 'seconds' }),
  refresh_reuse_grace: Type.Integer({ description: 'seconds (0-60): a refresh token spent less than this ago is taken for a retry, not theft' }),
  signup: Type.Union([Type.Literal('open'), Type.Literal('closed')], { description: 'closed: /auth/signup and first code sign-ins are 403 signup_closed' }),
  require_verified_email: Type.Boolean({ description: 'a password signs in only once the email is proven (403 email_not_verified until then)' }),
});

const EndUserSettingsBody = Type.Partial(EndUserSettingsView, { additionalProperties: false, minProperties: 1 });
type EndUserSettingsBody = Static<typeof EndUserSettingsBody>;


/**
 * `GET/PATCH /admin/v1/tenants/:tenant/end-user-settings` (docs/admin.md): what
 * `keymint users settings` shows and changes. Validation is UserService.updateSettings' (one place).
 */
export function endUserSettingsRoutes(app: FastifyInstance, keymint: Keymint): void {
  const config = { errorProfile: 'api' as const };
  const security: { [name: string]: string[] }[] = [{ adminToken: [] }, { adminSession: [] }];
  const tags = ['admin: end users'];
  app.get('/tenants/:tenant/end-user-settings', {
    config, schema: { summary: 'How end users get tokens (docs/end-users.md "Settings")', tags, security, params: S.TenantParams, response: { 200: EndUserSettingsView, ...S.errors } },
  }, async (request) => view(keymint.users.settings(request.adminTenant)));

  app.patch('/tenants/:tenant/end-user-settings', {
    config, schema: { summary: 'Change how end users get tokens', tags, security, params: S.TenantParams, body: EndUserSettingsBody, response: { 200: EndUserSettingsView, ...S.errors } },
  }, async (request) => {
    const body = request.body as EndUserSettingsBody;
    const patch: Partial<EndUserSettings> = {
      ...(body.token_mode === undefined ? {} : { tokenMode: body.token_mode }),
      ...(body.allowed_origins === undefined ? {} : { allowedOrigins: body.allowed_origins }),
      ...(body.access_token_lifetime === undefined ? {} : { accessTokenLifetime: body.access_token_lifetime }),
      ...(body.session_idle_timeout === undefined ? {} : { sessionIdleTimeout: body.session_idle_timeout }),
      ...(body.session_absolute_lifetime === undefined ? {} : { sessionAbsoluteLifetime: body.session_absolute_lifetime }),
      ...(body.refresh_reuse_grace === undefined ? {} : { refreshReuseGrace: body.refresh_reuse_grace }),
      ...(body.signup === undefined ? {} : { signup: body.signup }),
      ...(body.require_verified_email === undefined ? {} : { requireVerifiedEmail: body.require_verified_email }),
    };
    return view(await keymint.users.updateSettings(request.adminTenant.slug, patch, auditContext(request)));
  });
}
