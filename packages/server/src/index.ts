export { loadConfig, ConfigError, redactUrl, type Config, type ConfigFlags } from './config.js';
export { openKeymint, type Keymint } from './keymint.js';
export { startServer, type RunningServer } from './server.js';
export { createLogger } from './log.js';
export { migrateDatabase } from './store/migrate.js';
export { KeymintError } from './errors.js';
export { parseDuration } from './util/duration.js';
export type { App, AppStatus, AuthMethod, SecretInfo, SecretStatus, TokenFormat } from './apps/model.js';
export type { Tenant } from './tenants/model.js';
export type { ApiTokenInfo, NewApiToken } from './api-tokens/model.js';
export type { AuditContext, AuditEntry, AuditFilter } from './audit/service.js';
export { auditView, type AuditEntryView } from './audit/view.js';
export type { SigningKeyInfo } from './keys/model.js';
export type { RotationResult } from './keys/service.js';
export type { Principal } from './resource/authenticate.js';
export type { EndUser, EndUserSettings, UserSession, TokenMode } from './users/model.js';
export { endUserSettingsView } from './users/model.js';
export { SIGNING_ALGORITHMS, type SigningAlgorithm } from './crypto/algorithms.js';
// One serializer per resource: the admin API answers with these and the CLI's --json prints them.
export {
  adminTokenView, apiTokenView, appKeyView, appView, endUserView, iso, keyUsageView, keyView, newSecretView, revokedSessionsView, rotationView, secretView, settingsView, tenantView,
  newWebhookView, webhookDeliveryView, webhookView,
} from './admin/views.js';
export { serve, type ServeOptions } from './cluster.js';
export { rotateMasterKey, sealedValuesByKey, type MasterKeyRotation } from './master-key/rotate.js';
export { generateMasterKey } from './master-key/generate.js';
export { backupDatabase } from './store/backup.js';
export { describeChange, type PlannedChange } from './config-as-code/plan.js';
export type { ApplyResult } from './config-as-code/service.js';
export type { Limits, LimitsInput } from './limits/model.js';
export { keyNames, usageSubject, type KeyUsage } from './admin/usage.js';
