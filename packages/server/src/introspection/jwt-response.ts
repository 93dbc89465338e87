import type { TenantKeyRing } from '../keys/service.js';

/** RFC 9701 §4, §10.1: the media type a resource server asks for, and the answer's Content-Type. */
export const JWT_INTROSPECTION_MEDIA_TYPE = 'application/token-introspection+jwt';

/**
 * RFC 9701 §4: the caller asks for a JWT answer by listing its media type in `Accept`
 * (parameters such as `q` aside; `q=0` means "not this one", RFC 9110 §12.4.2).
 */
export function wantsJwtResponse(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  return accept.split(',').some((range) => {
    const [type, ...parameters] = range.split(';').map((part) => part.trim().toLowerCase());
    return type === JWT_INTROSPECTION_MEDIA_TYPE && !parameters.some((p) => /^q=0(\.0{0,3})?$/.test(p));
  });
}

/**
 * RFC 9701 §5: the RFC 7662 answer as the `token_introspection` claim of a JWT signed with the
 * tenant's key, addressed to the resource server that asked (`aud` = its client_id), so another
 * party cannot present it as its own. No `sub` or `exp` at the top level, and its own `typ`
 * (§8.1): it can never pass for an access token.
 */
export function signIntrospectionResponse(ring: TenantKeyRing, issuer: string, callerClientId: string, answer: object, nowMs: number): Promise<string> {
  return ring.introspectionSigner.sign({ iss: issuer, aud: callerClientId, iat: Math.floor(nowMs / 1000), token_introspection: answer });
}
