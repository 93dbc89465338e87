import { Type } from '@sinclair/typebox';

/** What a gateway sends: the key its caller presented, and what the call needs. */
export const VerifyBody = Type.Object({
  key: Type.String({ minLength: 1, maxLength: 8192, description: 'The credential to check: a kmk_ API token, a kma_ opaque access token or a JWT access token' }),
  scopes: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 100, uniqueItems: true, description: 'Scopes the call needs; every one must be granted' })),
  cost: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'Quota units this call spends (default 1); the rate limit counts the call once whatever its cost' })),
}, { additionalProperties: false, title: 'VerifyRequest' });

export const VERIFY_CODES = ['VALID', 'NOT_FOUND', 'EXPIRED', 'REVOKED', 'DISABLED', 'RATE_LIMITED', 'USAGE_EXCEEDED', 'INSUFFICIENT_SCOPE'] as const;
export type VerifyCode = (typeof VERIFY_CODES)[number];

const EpochMs = (description: string) => Type.Union([Type.Integer(), Type.Null()], { description });

/** The answer (docs/gateway.md "The answer"); times are epoch milliseconds. */
export const VerifyAnswer = Type.Object({
  valid: Type.Boolean({ description: 'true only for VALID: the call may proceed, and it was counted' }),
  code: Type.Union(VERIFY_CODES.map((code) => Type.Literal(code))),
  remaining: Type.Union([Type.Integer(), Type.Null()], { description: 'Quota units left after this call; null: the key has no quota (or was not found)' }),
  reset: EpochMs('When the quota may next be refilled; null: never, or no quota'),
  ratelimit: Type.Union([Type.Object({
    limit: Type.Integer({ description: 'Calls per window' }),
    remaining: Type.Integer({ description: 'Calls left in the current window' }),
    reset: Type.Integer({ description: 'Epoch ms the current window ends' }),
  }), Type.Null()], { description: 'null: the key has no rate limit (or was not found)' }),
  scopes: Type.Array(Type.String(), { description: 'Scopes granted to the key (empty when not found)' }),
  client_id: Type.Optional(Type.String({ description: 'JWT and kma_ tokens: the app that holds the key (its limits apply)' })),
  token_id: Type.Optional(Type.String({ description: 'kmk_ API tokens: the token\'s id (its own limits apply)' })),
  expires_at: EpochMs('When the key expires; null: never, or not found'),
  cnf: Type.Optional(Type.Object({ jkt: Type.String() }, { description: 'RFC 9449: the key is DPoP-bound to this JWK thumbprint; the gateway must accept it only with a DPoP proof by that key (docs/dpop.md), never as Bearer' })),
}, { title: 'VerifyAnswer' });
