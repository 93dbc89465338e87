/** JSON schemas of the vendor-profile routes: validation, serialization and OpenAPI in one place. */

const tokenFields = {
  access_token: { type: 'string' },
  token_type: { type: 'string' },
  expires_in: { type: 'integer' },
  scope: { type: 'string' },
} as const;

const tokenResponse = {
  type: 'object',
  properties: tokenFields,
  required: ['access_token', 'token_type', 'expires_in', 'scope'],
} as const;

/** Envelope profile: the token wrapped in `data`. */
export const envelopeResponseSchema = {
  200: { type: 'object', properties: { data: tokenResponse }, required: ['data'] },
} as const;

export const signedResponseSchema = { 200: tokenResponse } as const;

/** Visible ASCII only, so that "length" means the same in every language a client is written in. */
export const SIGNATURE_VALUE_PATTERN = '^[\\x21-\\x7E]{16,1024}$';

/**
 * Body of `POST /v3/tokens` (DESIGN "Signed-request profile"). `signature` is only bounded here,
 * not checked for shape: a wrong signature of any length must fail the same constant-time way.
 */
export const signedRequestBodySchema = {
  type: 'object',
  required: ['client_id', 'audience', 'timestamp', 'signature_value', 'signature'],
  properties: {
    client_id: { type: 'string', minLength: 12, maxLength: 36 },
    audience: { type: 'string', minLength: 1, maxLength: 512 },
    timestamp: {
      description: 'epoch seconds, as a number or a string of digits',
      anyOf: [{ type: 'integer', minimum: 0, maximum: 99_999_999_999 }, { type: 'string', pattern: '^[0-9]{1,11}$' }],
    },
    signature_value: { type: 'string', pattern: SIGNATURE_VALUE_PATTERN, description: '16-1024 random visible ASCII characters, used once' },
    signature: { type: 'string', minLength: 1, maxLength: 256, description: 'lowercase hex HMAC-SHA256 of {signature_value}.{length}.{timestamp}' },
    scopes: { type: 'string', minLength: 5, maxLength: 2048, description: 'space-separated scopes' },
    expiration: {
      description: 'token lifetime: "5m", "1h", "1d", or seconds as a number or numeric string',
      anyOf: [{ type: 'integer', minimum: 1 }, { type: 'string', minLength: 1, maxLength: 16 }],
    },
  },
} as const;

export interface SignedRequestBody {
  client_id: string;
  audience: string;
  timestamp: number | string;
  signature_value: string;
  signature: string;
  scopes?: string;
  expiration?: number | string;
}
