import { createHmac, randomBytes } from 'node:crypto';

/** JSON body of `POST {issuer}/v3/tokens` (DESIGN "Signed-request profile"). */
export interface SignedTokenRequest {
  client_id: string;
  audience: string;
  /** Epoch seconds; the server refuses values more than 5 s from its clock. */
  timestamp: number;
  /** 16–1024 random characters, used once. */
  signature_value: string;
  /** Lowercase hex HMAC-SHA256 (see {@link signatureFor}). */
  signature: string;
  /** Space-separated scopes. */
  scopes?: string;
}

/**
 * The signed-request profile's signature: lowercase hex HMAC-SHA256, keyed with the client
 * secret, of `{signature_value}.{length of signature_value}.{timestamp}`. The secret itself never
 * crosses the wire; the length field keeps `value.timestamp` splits unambiguous. Never throws.
 */
export function signatureFor(clientSecret: string, signatureValue: string, timestamp: number): string {
  return createHmac('sha256', clientSecret).update(`${signatureValue}.${signatureValue.length}.${timestamp}`).digest('hex');
}

/** 32 random base64url characters: well above the profile's 16-character minimum. Never throws. */
export function newSignatureValue(): string {
  return randomBytes(24).toString('base64url');
}

/** Builds a complete signed token request body for this moment. Never throws. */
export function buildSignedTokenRequest(input: {
  clientId: string;
  clientSecret: string;
  audience: string;
  scopes?: string[] | undefined;
  /** Epoch milliseconds; default now. */
  nowMs?: number;
  /** Default: fresh random. */
  signatureValue?: string;
}): SignedTokenRequest {
  const timestamp = Math.floor((input.nowMs ?? Date.now()) / 1000);
  const signatureValue = input.signatureValue ?? newSignatureValue();
  const body: SignedTokenRequest = {
    client_id: input.clientId,
    audience: input.audience,
    timestamp,
    signature_value: signatureValue,
    signature: signatureFor(input.clientSecret, signatureValue, timestamp),
  };
  if (input.scopes && input.scopes.length > 0) body.scopes = input.scopes.join(' ');
  return body;
}
