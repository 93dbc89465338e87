import { Type } from '@sinclair/typebox';
import { SIGNING_ALGORITHMS } from '../crypto/algorithms.js';

/**
 * Admin API schemas (docs/admin.md): request validation, response serialization and the
 * OpenAPI document at /openapi.json. Times are ISO 8601 strings; null means "never"/"none".
 */
const Time = Type.String({ format: 'date-time' });
const MaybeTime = Type.Union([Time, Type.Null()]);
const Role = Type.Union([Type.Literal('owner'), Type.Literal('viewer')]);
const ScopeName = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' });
const Name = Type.String({ minLength: 1, maxLength: 200 });
const Scopes = Type.Array(ScopeName, { maxItems: 100, uniqueItems: true });
const Audiences = Type.Array(Type.String({ minLength: 1, maxLength: 512, pattern: '^\\S+$' }), { maxItems: 50, uniqueItems: true });
const AuthMethod = Type.Union([Type.Literal('client_secret_basic'), Type.Literal('client_secret_post'), Type.Literal('signed_request'), Type.Literal('private_key_jwt')]);
/** RFC 7517 §5 JWK Set of public keys (RFC 7591 `jwks`); each key is checked by the app service (public members only). */
const Jwks = Type.Object({
  keys: Type.Array(Type.Object({}, { additionalProperties: true }), { minItems: 1, maxItems: 10 }),
}, { additionalProperties: true, description: 'JWK Set of the app\'s public keys, for private_key_jwt (RFC 7523 §2.2): EC P-256/P-384, OKP Ed25519 or RSA ≥ 2048 bits; no private members' });
/** Seconds, or a duration such as "90d", "12h" (at most ~10 years). */
const Duration = Type.Union([Type.Integer({ minimum: 1, maximum: 315_360_000 }), Type.String({ pattern: '^\\d{1,9}[smhd]?$' })]);

export { ErrorBody, errorResponses as errors } from '../http/error-body.js';
export const NoContent = Type.Null({ description: 'Done' });

export const Account = Type.Object({
  email: Type.String(),
  role: Role,
  tenant: Type.Union([Type.String(), Type.Null()], { description: 'The only tenant this admin may reach; null: every tenant' }),
  via: Type.Union([Type.Literal('session'), Type.Literal('token')]),
});
export const SessionView = Type.Object({
  account: Account,
  csrf_token: Type.Union([Type.String(), Type.Null()], { description: 'Send as X-CSRF-Token on every POST/PATCH/DELETE made with the session cookie' }),
  expires_at: MaybeTime,
});

export const SignInBody = Type.Object({ email: Type.String({ minLength: 3, maxLength: 320 }), password: Type.String({ minLength: 1, maxLength: 1024 }) }, { additionalProperties: false });
export const SetupToken = Type.String({ minLength: 20, maxLength: 100, pattern: '^[A-Za-z0-9_-]+$' });
export const InspectSetupBody = Type.Object({ token: SetupToken }, { additionalProperties: false });
export const SetupInfo = Type.Object({ email: Type.Union([Type.String(), Type.Null()], { description: 'null: the first-start link, which asks for an email' }), expires_at: Time });
export const SetupBody = Type.Object({
  token: SetupToken,
  email: Type.Optional(Type.String({ minLength: 3, maxLength: 320 })),
  password: Type.String({ minLength: 10, maxLength: 1024 }),
}, { additionalProperties: false });

export const TenantParams = Type.Object({ tenant: Type.String({ minLength: 1, maxLength: 63 }) });
export const AppParams = Type.Object({ tenant: Type.String({ minLength: 1, maxLength: 63 }), client_id: Type.String({ minLength: 1, maxLength: 64 }) });
export const SecretParams = Type.Object({ tenant: Type.String(), client_id: Type.String({ maxLength: 64 }), secret_id: Type.String({ minLength: 1, maxLength: 64 }) });
export const IdParams = Type.Object({ tenant: Type.String(), id: Type.String({ minLength: 1, maxLength: 64 }) });
export const AdminTokenParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

const SigningAlg = Type.Union(SIGNING_ALGORITHMS.map((alg) => Type.Literal(alg)), { description: 'JWS algorithm of the tenant\'s signing keys; a change takes effect by publish-ahead rotation' });
export const TenantView = Type.Object({ tenant: Type.String(), name: Type.String(), issuer: Type.String(), app_id: Type.String(), created_at: Time });
export const TenantList = Type.Object({ tenants: Type.Array(TenantView) });
export const CreateTenantBody = Type.Object({ slug: Type.String({ minLength: 1, maxLength: 63 }), name: Type.Optional(Name), signing_alg: Type.Optional(SigningAlg) }, { additionalProperties: false });

export const SettingsView = Type.Object({ tenant: Type.String(), default_token_lifetime: Type.Integer(), signed_request_window: Type.Integer(), signing_alg: SigningAlg });
export const SettingsBody = Type.Object({
  signing_alg: Type.Optional(SigningAlg),
  default_token_lifetime: Type.Optional(Type.Integer({ minimum: 60, maximum: 86_400 })),
  signed_request_window: Type.Optional(Type.Integer({ minimum: 1, maximum: 300 })),
}, { additionalProperties: false, minProperties: 1 });

export const ScopeView = Type.Object({ name: Type.String(), description: Type.String(), default: Type.Boolean() });
export const ScopeList = Type.Object({ scopes: Type.Array(ScopeView) });
export const AddScopeBody = Type.Object({ name: ScopeName, description: Type.Optional(Type.String({ maxLength: 500 })), default: Type.Optional(Type.Boolean()) }, { additionalProperties: false });

/** A key's limits (docs/gateway.md): `N/WINDOW` strings as the CLI takes them. */
export const LimitsView = Type.Object({
  rate_limit: Type.Union([Type.String(), Type.Null()], { description: 'N/WINDOW, a fixed window (e.g. 100/1m); null: none' }),
  quota: Type.Union([Type.Integer(), Type.Null()], { description: 'Uses in all (a request costs 1, a verification its cost); null: none' }),
  quota_refill: Type.Union([Type.String(), Type.Null()], { description: 'N/PERIOD: the uses left go back to N once PERIOD has passed since the last refill; null: never' }),
  fail_open: Type.Boolean({ description: 'During a limit-store outage: true lets uses through uncounted, false (default) answers 503' }),
}, { title: 'Limits' });
const RateText = Type.String({ pattern: '^\\d{1,10}/\\d{0,9}[smhd]$', description: 'N/WINDOW, e.g. 100/1m, 10/5s, 10000/30d' });
/** Limits to set: an absent field is kept, null removes that limit. */
export const LimitsBody = Type.Object({
  rate_limit: Type.Optional(Type.Union([RateText, Type.Null()])),
  quota: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 1_000_000_000 }), Type.Null()])),
  quota_refill: Type.Optional(Type.Union([RateText, Type.Null()])),
  fail_open: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });

export const AppView = Type.Object({
  client_id: Type.String(), name: Type.String(), scopes: Type.Array(Type.String()), audiences: Type.Array(Type.String()),
  token_lifetime: Type.Integer({ description: 'Seconds: what the app\'s access tokens live, the tenant default applied' }),
  token_lifetime_default: Type.Boolean({ description: 'true: the app follows the tenant\'s default_token_lifetime (and changes with it)' }),
  token_format: Type.String(), auth_methods: Type.Array(Type.String()), status: Type.String(), created_at: Time, updated_at: Time,
  require_dpop: Type.Boolean({ description: 'RFC 9449: tokens only for requests with a DPoP proof, always bound to its key' }),
  limits: LimitsView,
}, { title: 'App' });
export const AppList = Type.Object({ apps: Type.Array(AppView) });
export const CreateAppBody = Type.Object({
  name: Name,
  scopes: Type.Optional(Scopes),
  audiences: Type.Optional(Audiences),
  token_lifetime: Type.Optional(Type.Union([Type.Integer({ minimum: 60, maximum: 86_400 }), Type.Null()])),
  token_format: Type.Optional(Type.Union([Type.Literal('jwt'), Type.Literal('opaque')])),
  auth_methods: Type.Optional(Type.Array(AuthMethod, { minItems: 1, uniqueItems: true })),
  jwks: Type.Optional(Jwks),
  require_dpop: Type.Optional(Type.Boolean({ description: 'RFC 9449: refuse token requests without a DPoP proof (default false)' })),
  limits: Type.Optional(LimitsBody),
}, { additionalProperties: false });
export const UpdateAppBody = Type.Object({
  name: Type.Optional(Name),
  scopes: Type.Optional(Scopes),
  audiences: Type.Optional(Audiences),
  token_lifetime: Type.Optional(Type.Union([Type.Integer({ minimum: 60, maximum: 86_400 }), Type.Null()])),
  auth_methods: Type.Optional(Type.Array(AuthMethod, { minItems: 1, uniqueItems: true })),
  jwks: Type.Optional(Jwks),
  require_dpop: Type.Optional(Type.Boolean({ description: 'RFC 9449: refuse token requests without a DPoP proof' })),
  limits: Type.Optional(LimitsBody),
}, { additionalProperties: false, minProperties: 1 });
export const UpdatedApp = Type.Object({ app: AppView, new_secret_required: Type.Boolean({ description: 'signed_request was enabled and no secret has a recoverable copy yet, or the app left private_key_jwt and has no secret: add one' }) });

export const NewSecretView = Type.Object({
  secret_id: Type.String(),
  client_secret: Type.String({ description: 'Shown once: Keymint keeps only its hash' }),
  expires_at: MaybeTime,
});
export const CreatedApp = Type.Object({ app: AppView, secret: Type.Union([NewSecretView, Type.Null()], { description: 'null for a private_key_jwt app: it holds no secret' }) });
export const AppKeyParams = Type.Object({ tenant: Type.String(), client_id: Type.String({ maxLength: 64 }), kid: Type.String({ minLength: 1, maxLength: 128 }) });
export const AppKeyView = Type.Object({
  kid: Type.String(), thumbprint: Type.String({ description: 'RFC 7638 SHA-256 thumbprint, base64url' }), kty: Type.String(), alg: Type.Union([Type.String(), Type.Null()]), created_at: Time,
}, { title: 'AppKey' });
export const AppKeyList = Type.Object({ keys: Type.Array(AppKeyView) });
export const AddKeysBody = Type.Object({ jwks: Jwks }, { additionalProperties: false });
export const SecretView = Type.Object({ secret_id: Type.String(), hint: Type.String(), status: Type.String(), created_at: Time, expires_at: MaybeTime, last_used_at: MaybeTime, revoked_at: MaybeTime });
export const SecretList = Type.Object({ secrets: Type.Array(SecretView) });
export const AddSecretBody = Type.Object({ expires_in: Type.Optional(Duration) }, { additionalProperties: false });
export const Regenerated = Type.Object({ secret: NewSecretView, revoked: Type.Array(Type.String(), { description: 'ids of the secrets revoked in the same step' }) });

export const ApiTokenView = Type.Object({ id: Type.String(), name: Type.String(), hint: Type.String(), scopes: Type.Array(Type.String()), status: Type.String(), created_at: Time, expires_at: MaybeTime, last_used_at: MaybeTime, revoked_at: MaybeTime, limits: LimitsView });
export const ApiTokenList = Type.Object({ tokens: Type.Array(ApiTokenView) });
export const CreateApiTokenBody = Type.Object({ name: Name, scopes: Type.Optional(Scopes), expires_in: Type.Optional(Duration), limits: Type.Optional(LimitsBody) }, { additionalProperties: false });
export const UpdateApiTokenBody = Type.Object({ limits: LimitsBody }, { additionalProperties: false });
export const NewApiTokenView = Type.Object({ token: Type.String({ description: 'Shown once' }), info: ApiTokenView });

export const KeyView = Type.Object({ kid: Type.String(), alg: Type.String(), state: Type.String(), created_at: Time, activated_at: MaybeTime, retired_at: MaybeTime, remove_after: MaybeTime });
export const KeyList = Type.Object({ keys: Type.Array(KeyView) });
export const RotationView = Type.Object({ promoted: Type.Union([Type.String(), Type.Null()]), next: Type.Object({ kid: Type.String(), activates_at: Time }), keys: Type.Array(KeyView) });

export const AuditQuery = Type.Object({
  actor: Type.Optional(Type.Union([Type.Literal('cli'), Type.Literal('admin'), Type.Literal('system'), Type.Literal('client')])),
  actor_id: Type.Optional(Type.String({ minLength: 1, maxLength: 320 })),
  action: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z_.]+$' })),
  app: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'client_id (or any other target id)' })),
  since: Type.Optional(Type.String({ format: 'date-time' })),
  until: Type.Optional(Type.String({ format: 'date-time' })),
  before: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$', description: 'entry id: page to older entries' })),
  limit: Type.Optional(Type.String({ pattern: '^(?:[1-9]|[1-9][0-9]|[1-4][0-9][0-9]|500)$' })),
}, { additionalProperties: false });
export const AuditEntryView = Type.Object({
  id: Type.Integer(), actor: Type.String(), actor_id: Type.Union([Type.String(), Type.Null()]), action: Type.String(),
  target: Type.Union([Type.String(), Type.Null()]), tenant: Type.Union([Type.String(), Type.Null()]), ip: Type.Union([Type.String(), Type.Null()]),
  detail: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]), created_at: Time,
});
export const AuditList = Type.Object({ entries: Type.Array(AuditEntryView) });

export const UsageQuery = Type.Object({ hours: Type.Optional(Type.String({ pattern: '^(?:[1-9]|[1-9][0-9]|1[0-5][0-9]|16[0-8])$', description: '1-168, default 24' })) }, { additionalProperties: false });
export const UsageView = Type.Object({
  from: Time, hours: Type.Integer(),
  apps: Type.Array(Type.Object({ client_id: Type.String(), name: Type.String(), counts: Type.Array(Type.Integer()) })),
});

const Hours = Type.String({ pattern: '^(?:[1-9]|[1-9][0-9]|1[0-5][0-9]|16[0-8])$', description: '1-168, default 24' });
export const KeyUsageQuery = Type.Object({
  hours: Type.Optional(Hours),
  token: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'one API token\'s id' })),
  app: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'one app\'s client_id (the JWT and kma_ tokens it holds)' })),
}, { additionalProperties: false });
const OutcomeCounts = {
  valid: Type.Integer({ description: 'uses let through (and counted against the limits)' }),
  rate_limited: Type.Integer(), usage_exceeded: Type.Integer(),
  invalid: Type.Integer({ description: 'unknown, expired or revoked keys, or a disabled app\'s' }),
  insufficient_scope: Type.Integer(),
};
export const KeyUsageEntry = Type.Object({
  subject: Type.String({ description: 'token:{id}, app:{client_id}, or unknown (keys that resolved to no key of this tenant)' }),
  token_id: Type.Optional(Type.String()), client_id: Type.Optional(Type.String()),
  name: Type.Union([Type.String(), Type.Null()]),
  ...OutcomeCounts,
  last_used_at: Time,
  hours: Type.Array(Type.Object({ hour: Time, ...OutcomeCounts }), { description: 'hours with any use, oldest first' }),
}, { title: 'KeyUsage' });
export const KeyUsageList = Type.Object({ from: Time, hours: Type.Integer(), usage: Type.Array(KeyUsageEntry) });

export const AdminTokenView = Type.Object({ id: Type.String(), name: Type.String(), hint: Type.String(), role: Role, tenant: Type.Union([Type.String(), Type.Null()]), created_by: Type.String(), created_at: Time, last_used_at: MaybeTime, revoked_at: MaybeTime, expires_at: MaybeTime });
export const AdminTokenList = Type.Object({ tokens: Type.Array(AdminTokenView) });
export const CreateAdminTokenBody = Type.Object({
  name: Name,
  role: Type.Optional(Role),
  expires_in: Type.Optional(Type.Integer({ minimum: 60, maximum: 2 * 365 * 86_400, description: 'seconds until the token stops working; omitted: it never expires' })),
}, { additionalProperties: false });
export const NewAdminTokenView = Type.Object({ token: Type.String({ description: 'kmo_…, shown once' }), info: AdminTokenView });

export const UsersQuery = Type.Object({
  limit: Type.Optional(Type.String({ pattern: '^(?:[1-9]|[1-9][0-9]|1[0-9][0-9]|200)$', description: '1-200, default 50' })),
  before: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'the `next` of the previous page: the id of its last user' })),
  email: Type.Optional(Type.String({ minLength: 3, maxLength: 320, description: 'only the user with this email (case-insensitive)' })),
}, { additionalProperties: false });
export const EndUserView = Type.Object({
  id: Type.String(), email: Type.String(),
  email_verified: Type.Boolean({ description: 'whether the owner of the email proved it with a mailed code (docs/end-users.md)' }),
  created_at: Time,
  last_sign_in_at: Type.Union([Time, Type.Null()], { description: 'newest session still kept (ended sessions are purged); null: none' }),
}, { title: 'EndUser' });
export const EndUserList = Type.Object({ users: Type.Array(EndUserView), next: Type.Union([Type.String(), Type.Null()], { description: 'pass as `before` for the next page; null: no more' }) });
export const UserParams = Type.Object({ tenant: Type.String(), id: Type.String({ minLength: 1, maxLength: 64 }) });
export const UserSessionParams = Type.Object({ tenant: Type.String(), id: Type.String({ minLength: 1, maxLength: 64 }), sid: Type.String({ minLength: 1, maxLength: 64 }) });
export const UserSessionView = Type.Object({
  sid: Type.String({ description: 'the `sid` claim of the session\'s tokens' }), created_at: Time, last_used_at: Time,
  expires_at: Time, idle_expires_at: Type.String({ format: 'date-time', description: 'when the session ends without a refresh' }),
});
export const UserSessionList = Type.Object({ user: Type.Omit(EndUserView, ['last_sign_in_at']), sessions: Type.Array(UserSessionView) });
export const RevokedSessions = Type.Object({ user_id: Type.String(), revoked: Type.Integer({ description: 'live sessions ended' }) });

/** The CLI's `users settings` view and the admin API's (docs/end-users.md "Settings"). */
export const EndUserSettingsView = Type.Object({
  token_mode: Type.Union([Type.Literal('bearer'), Type.Literal('cookie')]),
  allowed_origins: Type.Array(Type.String()),
  access_token_lifetime: Type.Integer({ description: 'seconds' }),
  session_idle_timeout: Type.Integer({ description: 'seconds' }),
  session_absolute_lifetime: Type.Integer({ description: 'seconds' }),
  refresh_reuse_grace: Type.Integer({ description: 'seconds (0-60): a refresh token spent less than this ago is taken for a retry, not theft' }),
  signup: Type.Union([Type.Literal('open'), Type.Literal('closed')], { description: 'closed: /auth/signup and first code sign-ins are 403 signup_closed' }),
  require_verified_email: Type.Boolean({ description: 'a password signs in only once the email is proven (403 email_not_verified until then)' }),
});
export const EndUserSettingsBody = Type.Partial(EndUserSettingsView, { additionalProperties: false, minProperties: 1 });

// Webhooks (docs/webhooks.md).
export const WebhookView = Type.Object({
  id: Type.String(), url: Type.String(), events: Type.Array(Type.String(), { description: '[]: every event' }), created_at: Time,
  previous_secret_expires_at: Type.Union([Time, Type.Null()], { description: 'After a rotation: until when the previous secret signs too' }),
}, { title: 'Webhook' });
export const WebhookList = Type.Object({ webhooks: Type.Array(WebhookView) });
export const CreateWebhookBody = Type.Object({
  url: Type.String({ minLength: 1, maxLength: 2048 }),
  events: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z_.*]+$' }), { maxItems: 50, uniqueItems: true })),
}, { additionalProperties: false });
export const NewWebhookView = Type.Object({ id: Type.String(), secret: Type.String({ description: 'whsec_…, shown once' }), webhook: WebhookView });
export const WebhookDeliveryView = Type.Object({
  id: Type.String({ description: 'The webhook-id header of every attempt' }), event_type: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
  attempts: Type.Integer(), next_attempt_at: MaybeTime, last_status: Type.Union([Type.Integer(), Type.Null()]),
  last_error: Type.Union([Type.String(), Type.Null()]), last_attempt_at: MaybeTime,
  last_duration_ms: Type.Union([Type.Integer(), Type.Null()]), delivered_at: MaybeTime, created_at: Time,
});
export const WebhookDeliveryList = Type.Object({ deliveries: Type.Array(WebhookDeliveryView) });
