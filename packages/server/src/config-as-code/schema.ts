import { Type, type Static } from '@sinclair/typebox';
import { APP_LIMITS, AUTH_METHODS, TOKEN_FORMATS } from '../apps/model.js';
import { SIGNING_ALGORITHMS } from '../crypto/algorithms.js';
import { EndUserSettingsView, LimitsBody, ScopeView } from '../admin/schemas.js';
import { SIGNED_REQUEST_SKEW_LIMITS } from '../tenants/model.js';

/**
 * The declarative form of an installation (docs/config-as-code.md): what `keymint export` writes
 * and `keymint apply` reads. One section per resource, named as in the admin API. Optional fields
 * take the value a new resource gets, so a hand-written file may be short. Never a secret, a hash
 * or a credential: API tokens, client secrets and signing keys are not part of it.
 */

const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));

export const TenantSettingsDeclaration = Type.Object({
  default_token_lifetime: Type.Optional(Type.Integer({ minimum: APP_LIMITS.minTokenLifetime, maximum: APP_LIMITS.maxTokenLifetime, description: 'seconds' })),
  signed_request_window: Type.Optional(Type.Integer({ minimum: SIGNED_REQUEST_SKEW_LIMITS.min, maximum: SIGNED_REQUEST_SKEW_LIMITS.max, description: 'seconds' })),
  signing_alg: Type.Optional(literals(SIGNING_ALGORITHMS)),
}, { additionalProperties: false });

/** Public keys of a private_key_jwt app, each with its `kid` (keys are matched and rotated by kid). */
export const JwksDeclaration = Type.Object({
  keys: Type.Array(Type.Object({ kty: Type.String(), kid: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: true }), { minItems: 1, maxItems: APP_LIMITS.maxKeys }),
}, { additionalProperties: false });

/**
 * An app. Fields added to apps (auth methods' keys, limits, DPoP…) are added here and in
 * `appDeclaration` (declare.ts), one line each, and applied in ConfigAsCode.applyApp.
 */
export const AppDeclaration = Type.Object({
  client_id: Type.String({ minLength: 3, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$', description: 'kept across installations: clients keep working' }),
  name: Type.String({ minLength: 1, maxLength: 200 }),
  scopes: Type.Optional(Type.Array(Type.String(), { maxItems: 100 })),
  audiences: Type.Optional(Type.Array(Type.String(), { maxItems: 50 })),
  token_lifetime: Type.Optional(Type.Union([Type.Integer(), Type.Null()], { description: 'seconds; null: the tenant default' })),
  token_format: Type.Optional(literals(TOKEN_FORMATS)),
  auth_methods: Type.Optional(Type.Array(literals(AUTH_METHODS), { minItems: 1 })),
  status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('disabled')])),
  limits: Type.Optional(LimitsBody),
  require_dpop: Type.Optional(Type.Boolean({ description: 'RFC 9449: tokens only for requests with a DPoP proof (default false)' })),
  jwks: Type.Optional(Type.Union([JwksDeclaration, Type.Null()], { description: 'private_key_jwt apps: their public keys (RFC 7517 JWK Set); null for other apps' })),
}, { additionalProperties: false });

export const ScopeDeclaration = Type.Object({
  name: ScopeView.properties.name,
  description: Type.Optional(Type.String({ maxLength: 500 })),
  default: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });

/**
 * A webhook (docs/webhooks.md): its URL and events, never its secret (apply prints a new one for
 * each webhook it creates). `id` is what export writes: apply updates the webhook of that id when
 * it exists here, else the one with the same URL, else creates one (which gets a new id).
 */
export const WebhookDeclaration = Type.Object({
  id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  url: Type.String({ minLength: 1, maxLength: 2048 }),
  events: Type.Optional(Type.Array(Type.String(), { maxItems: 100, description: '[] or absent: every event' })),
}, { additionalProperties: false });

export const TenantDeclaration = Type.Object({
  slug: Type.String({ minLength: 1, maxLength: 63 }),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  settings: Type.Optional(TenantSettingsDeclaration),
  end_users: Type.Optional(Type.Partial(EndUserSettingsView, { additionalProperties: false })),
  scopes: Type.Optional(Type.Array(ScopeDeclaration)),
  apps: Type.Optional(Type.Array(AppDeclaration)),
  webhooks: Type.Optional(Type.Array(WebhookDeclaration, { maxItems: 20 })),
}, { additionalProperties: false });

/** Version 1 of the file; a later shape gets a new number and apply refuses numbers it does not know. */
export const ConfigDocument = Type.Object({
  version: Type.Literal(1),
  tenants: Type.Array(TenantDeclaration),
}, { additionalProperties: false });

export type ConfigDocument = Static<typeof ConfigDocument>;
export type TenantDeclaration = Static<typeof TenantDeclaration>;
export type AppDeclaration = Static<typeof AppDeclaration>;
export type AppJwks = Static<typeof JwksDeclaration>;
/** A webhook as export writes it (with its id) or as a file declares it (id optional). */
export type WebhookState = Static<typeof WebhookDeclaration> & { events: string[] };

/** A declaration with every default filled in and every value in its stored form: what export writes. */
export type AppState = Required<AppDeclaration>;
export interface TenantState {
  slug: string;
  name: string;
  settings: Required<Static<typeof TenantSettingsDeclaration>>;
  end_users: Static<typeof EndUserSettingsView>;
  scopes: Required<Static<typeof ScopeDeclaration>>[];
  apps: AppState[];
  webhooks: WebhookState[];
}
