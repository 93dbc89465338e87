// The console's pages, one per file; main.tsx routes between them.
export { AppsPage } from './apps';
export { AppPage } from './app';
export { ApiTokensPage } from './api-tokens';
export { WebhooksPage } from './webhooks';
export { KeysPage } from './keys';
export { UsagePage } from './usage';
export { AuditPage } from './audit';
export { ScopesPage } from './scopes';
export { SettingsPage } from './settings';
export { UsersPage } from './users';
export { SignInPage } from './sign-in';
export { SetupPage } from './setup';
export { TenantsPage, UnknownTenant } from './tenants';
