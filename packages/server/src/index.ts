export { loadConfig, ConfigError, redactUrl, type Config, type ConfigFlags } from './config.js';
export { openKeymint, type Keymint } from './keymint.js';
export { startServer, type RunningServer } from './server.js';
export { createLogger } from './log.js';
export { migrateToLatest } from './store/migrate.js';
export { KeymintError } from './errors.js';
export { parseDuration } from './util/duration.js';
export type { App, AppStatus, AuthMethod, SecretInfo, SecretStatus, TokenFormat } from './apps/model.js';
export type { Tenant } from './tenants/model.js';
