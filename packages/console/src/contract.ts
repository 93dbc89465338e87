import type { Static } from '@sinclair/typebox';
// Type-only: the admin API's own TypeBox schemas are the console's contract, so a field renamed
// on the server breaks the console's type check instead of its pages. Nothing of the server
// reaches the bundle.
import type * as S from '../../server/src/admin/schemas.js';

export type Account = Static<typeof S.Account>;
export type Session = Static<typeof S.SessionView>;
export type SetupInfo = Static<typeof S.SetupInfo>;
export type TenantList = Static<typeof S.TenantList>;
export type Settings = Static<typeof S.SettingsView>;
export type ScopeList = Static<typeof S.ScopeList>;
export type App = Static<typeof S.AppView>;
export type AppList = Static<typeof S.AppList>;
export type CreatedApp = Static<typeof S.CreatedApp>;
export type UpdatedApp = Static<typeof S.UpdatedApp>;
export type NewSecret = Static<typeof S.NewSecretView>;
export type SecretList = Static<typeof S.SecretList>;
export type AppKeyList = Static<typeof S.AppKeyList>;
export type Regenerated = Static<typeof S.Regenerated>;
export type ApiToken = Static<typeof S.ApiTokenView>;
export type ApiTokenList = Static<typeof S.ApiTokenList>;
export type NewApiToken = Static<typeof S.NewApiTokenView>;
export type Webhook = Static<typeof S.WebhookView>;
export type WebhookList = Static<typeof S.WebhookList>;
export type NewWebhook = Static<typeof S.NewWebhookView>;
export type WebhookDeliveryList = Static<typeof S.WebhookDeliveryList>;
export type Key = Static<typeof S.KeyView>;
export type KeyList = Static<typeof S.KeyList>;
export type Rotation = Static<typeof S.RotationView>;
export type AuditList = Static<typeof S.AuditList>;
export type Usage = Static<typeof S.UsageView>;
export type KeyUsageList = Static<typeof S.KeyUsageList>;
export type Limits = Static<typeof S.LimitsView>;
export type AdminTokenList = Static<typeof S.AdminTokenList>;
export type NewAdminToken = Static<typeof S.NewAdminTokenView>;
export type EndUser = Static<typeof S.EndUserView>;
export type EndUserList = Static<typeof S.EndUserList>;
export type UserSessionList = Static<typeof S.UserSessionList>;
export type RevokedSessions = Static<typeof S.RevokedSessions>;
