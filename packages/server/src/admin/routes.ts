import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ApiTokenService } from '../api-tokens/service.js';
import type { AppService } from '../apps/service.js';
import type { AuditLog } from '../audit/service.js';
import type { ConfigAsCode } from '../config-as-code/service.js';
import { NotFound } from '../errors.js';
import { noStore } from '../http/no-store.js';
import type { KeyService } from '../keys/service.js';
import type { TenantService } from '../tenants/service.js';
import type { UserService } from '../users/service.js';
import { installAdminAuth } from './auth.js';
import { adminTokenRoutes } from './routes/admin-tokens.js';
import { apiTokenRoutes } from './routes/api-tokens.js';
import { appRoutes } from './routes/apps.js';
import { auditRoutes } from './routes/audit.js';
import { configExportRoutes } from './routes/config-export.js';
import { endUserSettingsRoutes } from './routes/end-user-settings.js';
import { endUserRoutes } from './routes/end-users.js';
import { keyRoutes } from './routes/keys.js';
import { sessionRoutes } from './routes/session.js';
import { tenantRoutes } from './routes/tenants.js';
import { usageRoutes } from './routes/usage.js';
import { webhookRoutes } from './routes/webhooks.js';
import type { WebhookService } from '../webhooks/service.js';
import type { AdminService } from './service.js';
import type { IssuanceCounter } from './usage.js';

export interface AdminRoutesOptions {
  admins: AdminService;
  tenants: TenantService;
  apps: AppService;
  apiTokens: ApiTokenService;
  keys: KeyService;
  audit: AuditLog;
  usage: IssuanceCounter;
  users: UserService;
  webhooks: WebhookService;
  publicUrl: () => string;
  configAsCode: ConfigAsCode;
}

/**
 * The admin API under `/admin/v1` (docs/admin.md): everything the CLI can do, for the console
 * and for scripts with a `kmo_` token. One plugin per capability (admin/routes/), each given
 * only the services it calls; authentication, CSRF, role and tenant reach run before all of them.
 */
export const adminRoutes: FastifyPluginAsyncTypebox<AdminRoutesOptions> = async (app, { admins, tenants, apps, apiTokens, keys, audit, usage, users, webhooks, publicUrl, configAsCode }) => {
  installAdminAuth(app, { admins, tenants, publicUrl });
  app.addHook('onRequest', noStore);
  await app.register(sessionRoutes, { admins, tenants, publicUrl });
  await app.register(tenantRoutes, { tenants, publicUrl });
  await app.register(appRoutes, { apps, tenants });
  await app.register(apiTokenRoutes, { apiTokens, tenants });
  await app.register(keyRoutes, { keys });
  await app.register(auditRoutes, { audit });
  await app.register(usageRoutes, { usage, apps, apiTokens });
  await app.register(endUserRoutes, { users });
  await app.register(endUserSettingsRoutes, { users });
  await app.register(adminTokenRoutes, { admins, tenants });
  await app.register(webhookRoutes, { webhooks });
  await app.register(configExportRoutes, { configAsCode });
  app.setNotFoundHandler(() => {
    throw new NotFound('no such admin route');
  });
};
