/** Schemas of the vendor-profile routes: validation, serialization, handler types and OpenAPI in one place. */
import { Type, type Static } from '@sinclair/typebox';

/** Serialized through this schema: a member missing here is never sent. */
const TokenResponse = Type.Object({
  access_token: Type.String(),
  token_type: Type.String(),
  expires_in: Type.Integer(),
  scope: Type.String(),
});

/**
 * The envelope profile's failure body (http/errors.ts sendError), for every 4xx and 5xx: the
 * vendor's numeric `code`, the reason, and a message.
 */
const EnvelopeError = Type.Object({
  error: Type.Object({ code: Type.String(), code_reason: Type.String(), message: Type.String() }),
}, { title: 'EnvelopeError' });

/** Envelope profile: the token wrapped in `data`, failures in the envelope's own shape. */
export const envelopeResponseSchema = {
  200: Type.Object({ data: TokenResponse }),
  '4xx': EnvelopeError,
  '5xx': EnvelopeError,
};

/** Signed-request profile: RFC 6749 §5.1 answers; failures are RFC 6749 §5.2 (errorResponses). */
export const signedResponseSchema = { 200: TokenResponse };

/** Visible ASCII only, so that "length" means the same in every language a client is written in. */
export const SIGNATURE_VALUE_PATTERN = '^[\\x21-\\x7E]{16,1024}$';

/**
 * Body of `POST /v3/tokens` (DESIGN "Signed-request profile"). `signature` is only bounded here,
 * not checked for shape: a wrong signature of any length must fail the same constant-time way.
 */
export const SignedRequestBody = Type.Object({
  client_id: Type.String({ minLength: 12, maxLength: 36 }),
  audience: Type.String({ minLength: 1, maxLength: 512 }),
  timestamp: Type.Union(
    [Type.Integer({ minimum: 0, maximum: 99_999_999_999 }), Type.String({ pattern: '^[0-9]{1,11}$' })],
    { description: 'epoch seconds, as a number or a string of digits' },
  ),
  signature_value: Type.String({ pattern: SIGNATURE_VALUE_PATTERN, description: '16-1024 random visible ASCII characters, used once' }),
  signature: Type.String({ minLength: 1, maxLength: 256, description: 'lowercase hex HMAC-SHA256 of {signature_value}.{length}.{timestamp}' }),
  scopes: Type.Optional(Type.String({ minLength: 5, maxLength: 2048, description: 'space-separated scopes' })),
  expiration: Type.Optional(Type.Union(
    [Type.Integer({ minimum: 1 }), Type.String({ minLength: 1, maxLength: 16 })],
    { description: 'token lifetime: "5m", "1h", "1d", or seconds as a number or numeric string' },
  )),
});
export type SignedRequestBody = Static<typeof SignedRequestBody>;
