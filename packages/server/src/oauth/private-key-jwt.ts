import type { ClientRecord } from '../apps/clients.js';
import { verifyAssertionSignature } from '../crypto/client-keys.js';
import type { ReplayStore } from '../profiles/replay-store.js';
import { TOKEN_ENDPOINT_PATHS } from './endpoint-paths.js';

/** RFC 7523 §2.2: the `client_assertion_type` of a JWT client assertion. */
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Bounds of a client assertion (docs/client-authentication.md). */
export const ASSERTION_RULES = {
  /** `exp` may be at most this far after now: an assertion is made for one request. */
  maxLifetimeSeconds: 300,
  /** Clock skew allowed on `exp`, `iat` and `nbf`. */
  leewaySeconds: 30,
  /** Longer assertions are refused unread. */
  maxLength: 8192,
  maxJtiLength: 256,
} as const;

export interface AssertionContext {
  /** The tenant's issuer: `aud` must be it or its token endpoint URL. */
  issuer: string;
  /** Where `jti`s are claimed once, shared by every worker and node (Services.replay). */
  replay: ReplayStore;
  /** Epoch milliseconds. */
  now: number;
}

type Claims = Record<string, unknown>;

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/**
 * RFC 7523 §3 checks of a private_key_jwt assertion for the client `record`: a signature by one
 * of its registered keys (crypto/client-keys.ts), `iss` = `sub` = its client_id, `aud` the issuer
 * or a token endpoint URL (a string, or an array holding one), `exp` required and at most
 * ASSERTION_RULES.maxLifetimeSeconds ahead, `iat`/`nbf` not in the future, and `jti` required and
 * claimed once in the replay store (RFC 7523 §3 item 7) until `exp` has passed. True when every
 * check passed; the caller answers every false with the same invalid_client.
 */
export async function verifyClientAssertion(record: ClientRecord, assertion: string, { issuer, replay, now }: AssertionContext): Promise<boolean> {
  if (assertion.length > ASSERTION_RULES.maxLength) return false;
  const payload = await verifyAssertionSignature(assertion, record.keys);
  if (!payload) return false;
  let claims: Claims;
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(payload));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return false;
    claims = parsed as Claims;
  } catch {
    return false;
  }
  const clientId = record.app.clientId;
  if (claims.iss !== clientId || claims.sub !== clientId) return false;
  const accepted = [issuer, ...TOKEN_ENDPOINT_PATHS.map((path) => `${issuer}${path}`)];
  const audiences: unknown[] = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.some((aud) => typeof aud === 'string' && accepted.includes(aud))) return false;
  const { leewaySeconds, maxLifetimeSeconds, maxJtiLength } = ASSERTION_RULES;
  const seconds = now / 1000;
  if (!isNumber(claims.exp) || claims.exp <= seconds - leewaySeconds || claims.exp > seconds + maxLifetimeSeconds + leewaySeconds) return false;
  for (const name of ['iat', 'nbf']) {
    const value = claims[name];
    if (value !== undefined && (!isNumber(value) || value > seconds + leewaySeconds)) return false;
  }
  if (typeof claims.jti !== 'string' || claims.jti.length === 0 || claims.jti.length > maxJtiLength) return false;
  // Last, once everything else holds: only a genuine assertion spends its jti.
  return replay.claim(`assertion:${clientId}`, claims.jti, (claims.exp + leewaySeconds) * 1000);
}
