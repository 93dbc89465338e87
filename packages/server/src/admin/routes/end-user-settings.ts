import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { endUserSettingsPatch, endUserSettingsView as view } from '../../users/model.js';
import type { UserService } from '../../users/service.js';
import { auditContext } from '../auth.js';
import * as S from '../schemas.js';
import { config, security } from './common.js';

export interface EndUserSettingsRoutesOptions {
  users: Pick<UserService, 'settings' | 'updateSettings'>;
}

/**
 * `GET/PATCH /admin/v1/tenants/:tenant/end-user-settings` (docs/admin.md): what
 * `keymint users settings` shows and changes. Validation is UserService.updateSettings' (one place).
 */
export const endUserSettingsRoutes: FastifyPluginAsyncTypebox<EndUserSettingsRoutesOptions> = async (app, { users }) => {
  const tags = ['admin: end users'];
  app.get('/tenants/:tenant/end-user-settings', {
    config, schema: { summary: 'How end users get tokens (docs/end-users.md "Settings")', tags, security, params: S.TenantParams, response: { 200: S.EndUserSettingsView, ...S.errors } },
  }, async (request) => view(users.settings(request.adminTenant)));

  app.patch('/tenants/:tenant/end-user-settings', {
    config, schema: { summary: 'Change how end users get tokens', tags, security, params: S.TenantParams, body: S.EndUserSettingsBody, response: { 200: S.EndUserSettingsView, ...S.errors } },
  }, async (request) => view(await users.updateSettings(request.adminTenant.slug, endUserSettingsPatch(request.body), auditContext(request))));
};
